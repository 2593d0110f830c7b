"""The kernel IR: records only, no passes (``docs/design.md``, "Kernel IR").

``buffers`` (Buffer, Access), ``expr`` (the expression DAG and scatter stores), ``nest``
(Nest, Schedule), ``gemm``, ``along`` (scans and sorts), ``controlflow`` (loops and
branches over sub-programs), ``memory`` (the memory plan), ``kernel`` (Kernel, Program),
``text`` (printing), ``walk`` (the one DAG walker and rewriter) and ``verify`` (checks
of a whole program).
"""
from tracejit.compiler.kir.buffers import NO_BUFFER, Access, Buffer
from tracejit.compiler.kir.controlflow import Control, SubCall
from tracejit.compiler.kir.expr import (
    Acc,
    Apply,
    Const,
    Convert,
    Expr,
    Gather,
    Iota,
    Load,
    ScatterAccess,
    Search,
    with_store,
)
from tracejit.compiler.kir.gemm import Gemm
from tracejit.compiler.kir.kernel import Kernel, Program, in_sequence
from tracejit.compiler.kir.memory import ALIGN, Interval, MemoryPlan, padded
from tracejit.compiler.kir.nest import Nest, Schedule
from tracejit.compiler.kir.scan_sort import AlongAxis
from tracejit.compiler.kir.text import expr_text, nest_text
from tracejit.compiler.kir.walk import map_accesses, nodes, rebuild, rewrite

__all__ = [
    "ALIGN", "NO_BUFFER", "Acc", "Access", "AlongAxis", "Apply", "Buffer", "Const", "Control", "Convert",
    "Expr", "Gather", "Gemm", "Interval", "Iota", "Kernel", "Load", "MemoryPlan", "Nest", "Program", "Schedule",
    "ScatterAccess", "Search", "SubCall", "expr_text", "in_sequence", "map_accesses", "nest_text", "nodes", "padded",
    "rebuild", "rewrite", "with_store",
]
