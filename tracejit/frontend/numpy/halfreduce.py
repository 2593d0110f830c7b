"""float16 sums and products as NumPy's loops run them (``frontend/numpy/reductions.py``
calls :func:`half_reduce`).

NumPy's ``HALF_add``/``HALF_multiply`` reduce loops accumulate one inner loop in float32
and write the float16 output once per call; the iterator puts the axis with the smallest
stride innermost (length-1 axes dropped) and coalesces the axes that are dense together.
So the reduced axes of that inner run are summed in float32 and rounded once, and every
other reduced axis adds rows into the float16 output, one rounding per step (summing
``[2048, 1, 1, ...]`` down a C-ordered axis 0 stays 2048). The kernels keep that order
(``schedule/split_rows.py`` and ``split_reduce.py`` do not split float16 reductions).
"""
from __future__ import annotations

import numpy as np

from tracejit.compiler.layout import StridedView
from tracejit.frontend.memorder import numpy_layout

HALF = np.dtype(np.float16)
F32 = np.dtype(np.float32)


def inner_run(shape: tuple[int, ...], strides: tuple[int, ...], axes: tuple[int, ...]) -> list[int]:
    """The reduced axes NumPy's iterator runs as one inner loop: from the smallest stride
    outwards (a later axis first where strides tie), reduced and dense on the previous."""
    dims = sorted((d for d in range(len(shape)) if shape[d] != 1), key=lambda d: (abs(strides[d]), -d))
    run: list[int] = []
    for d in dims:
        if d not in axes or run and abs(strides[d]) != abs(strides[run[-1]]) * shape[run[-1]]:
            break
        run.append(d)
    return run + [d for d in axes if shape[d] == 1]


def half_reduce(op: str, x: object, axes: tuple[int, ...], keepdims: bool) -> object:
    """float16 ``sum``/``prod`` of traced ``x`` over ``axes`` with NumPy's roundings."""
    trace = x._trace
    view = numpy_layout(x) or StridedView.contiguous(tuple(x.shape))
    inner = inner_run(tuple(x.shape), tuple(view.strides), axes)
    wide = trace.apply("convert", [x], {"dtype": F32}) if inner else x
    if len(inner) == len(axes):  # one inner loop: float32 throughout, one rounding
        r = trace.apply(op, [wide], {"axes": axes, "keepdims": keepdims})
        return trace.apply("convert", [r], {"dtype": HALF}, scalar=True)
    if inner:
        r = trace.apply(op, [wide], {"axes": tuple(sorted(inner)), "keepdims": True})
        x = trace.apply("convert", [r], {"dtype": HALF})
    return trace.apply(op, [x], {"axes": axes, "keepdims": keepdims}, scalar=True)
