"""Host calls: a Python function run at run time on concrete arrays (``frontend/hostcall.py``).

``host(order..., operands...)`` calls ``attrs['host']`` (a frontend object: see
:class:`HostFunction`) on the operands' values; ``loop_out(node, index)`` picks its
results, the last of which is an ordering token (0-d uint8). The first ``n_order``
operands only order it after earlier effects (the previous host call's token, or a
loop or branch that made one). A host call is effectful: never merged, removed or
moved (``passes/cse.py``, ``passes/dce.py``, ``passes/select.py``); it becomes a control
kernel of its own (``kernelize/host.py``, ``codegen/host.py``).
"""
from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from tracejit.compiler.ops.control import TOKEN
from tracejit.compiler.ops.registry import OpDef, register


class HostFunction(Protocol):
    """What the compiler reads of a host call's function object (``frontend/hostcall.py``)."""

    name: str  # shown in the graph and the kernel program

    def results(self) -> list:
        """The results' (shape, dtype) as the kernel's buffers hold them, the token last."""

    def address(self) -> int:
        """The address of the native callback ``int32 cb(void **pointers)`` (kept alive by this object)."""

    def keepalive(self) -> Any:
        """An object to keep alive as long as compiled code may call :meth:`address`."""

    def evaluate(self, values: list) -> tuple:
        """The results (the token last) on concrete operand values (the interpreter's reference)."""


def _host_reference(*values, host: HostFunction, n_order: int, **_ignored):
    return tuple(host.evaluate(list(values[n_order:])))


def _infer_token(avals, **attrs):
    return TOKEN


register(OpDef(
    name="host", kind="control", arity=None, infer=_infer_token, reference=_host_reference, cost=0,
    doc="call a Python function on the operands' values at run time (an effect; results via loop_out)"))


def is_effectful(graph: Any) -> bool:
    """Whether ``graph`` holds a host call, directly or inside a loop or branch."""
    for nid in graph.nx.nodes:
        if node_is_effectful(graph, nid):
            return True
    return False


def node_is_effectful(graph: Any, nid: int) -> bool:
    """Whether node ``nid`` of ``graph`` is a host call, or a loop or branch holding one."""
    op = graph.op(nid)
    if op == "host":
        return True
    if op in ("while", "cond", "gfor"):
        attrs = graph.attrs(nid)
        subs = [attrs[k].graph for k in ("cond", "body", "true", "false") if k in attrs]
        subs += [seg[2].graph for seg in attrs.get("segments", ()) if hasattr(seg[2], "graph")]
        return any(is_effectful(g) for g in subs)
    return False


TOKEN_DTYPE = np.dtype(np.uint8)
