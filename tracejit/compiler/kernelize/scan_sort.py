"""The kernel of an op along one axis (scan or sort, ``compiler/ops/scan_sort.py``): an
:class:`AlongAxis` record reading the operand where it lies, through its strides (a
transposed or sliced view costs no copy). An operand that is not a strided buffer (an
expression, an iota, a gather) is given one first: the builder raises :class:`NeedsCopy`
and formation inserts a ``copy``. Chunking and scratch are planned later, by the kernel
pass ``plan_along_axis`` (``schedule/scan_sort.py``).
"""
from __future__ import annotations

import math

import numpy as np

from tracejit.compiler.kernelize.builder import KernelBuilder, NeedsCopy, view_step
from tracejit.compiler.kir import Access, AlongAxis, Kernel, Load
from tracejit.compiler.layout import contiguous_strides


def scan_sort_kernel(builder: KernelBuilder, name: str) -> list[Kernel]:
    """The kernel of the along-axis op rooted at ``builder.root`` (none for an empty
    result); an operand that is not a buffer raises :class:`NeedsCopy` (formation
    inserts a copy and restarts)."""
    graph, root = builder.graph, builder.root
    d = graph.data(root)
    (src,) = graph.operands(root)
    shape, axis = graph.aval(src).shape, d["attrs"]["axis"]
    perm = tuple(a for a in range(len(shape)) if a != axis) + (axis,)
    value = builder.expr(src, (view_step("transpose", root, perm=perm),))
    if type(value) is not Load:  # an expression, an iota or a gather: no strided buffer to read
        raise NeedsCopy(root)
    if not math.prod(shape):
        return []
    out = builder.buffers[root]
    strides = contiguous_strides(graph.aval(root).shape)  # (a head of a sort is shorter along the axis)
    keep = [i for i, p in enumerate(perm[:-1]) if shape[p] != 1]  # drop length-1 dims
    rows = tuple(shape[perm[i]] for i in keep)

    def lines(access_strides: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(access_strides[i] for i in keep) + (access_strides[-1],)

    load = value.access
    src_acc = Access(load.buffer, load.dtype, load.offset, lines(load.strides))
    dst_acc = Access(out.id, out.dtype, 0, lines(tuple(strides[p] for p in perm)))
    record = AlongAxis(d["op"], src_acc, dst_acc, rows, shape[axis], np.dtype(load.dtype),
                       kth=(d["attrs"]["k"] - 1,) if "k" in d["attrs"] else tuple(d["attrs"].get("kth", ())),
                       nanq=tuple(d["attrs"].get("nanq", ())))
    return [Kernel(name, "along_axis", sorted(builder.nodes), [], along=record)]
