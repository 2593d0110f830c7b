"""``ufunc.at`` on a traced array (``np.add.at(a, idx, b)``, ``np.maximum.at``...):
unbuffered in-place combination, where repeated indices accumulate (unlike ``a[idx] += b``).

With an integer-array index it is one ``scatter`` with ``attrs['combine']``
(``compiler/ops/scatter.py``): each element of ``b`` (cast to the ufunc's loop dtype)
is combined, serially in C order, with the element stored at its index (converted to
the loop dtype), and the result is cast back unsafely, exactly as NumPy's loop does
(``np.add.at`` of ints with ``1.5`` truncates after every addition). A key of slices and
``None`` only names each element once: a read, the ufunc and a write. Indices are
checked as for ``a[idx]`` (``IndexError`` after the call for traced ones). Binary ufuncs
whose loop has one dtype for both inputs and the output; others are unsupported.
"""
from __future__ import annotations

import numpy as np

from tracejit.compiler.ops import ops_of_kind
from tracejit.errors import UnsupportedError, at, user_error, with_location
from tracejit.frontend.context import user_location
from tracejit.frontend.numpy.advanced import is_array_index, scatter_setitem
from tracejit.frontend.numpy.keys import expand_key, mask_positions
from tracejit.frontend.numpy.ufuncs import LATER_METHODS
from tracejit.frontend.numpy.writes import write
from tracejit.frontend.operands import Operand, dtype_or_weak, is_tracer

_OP_OF = {op.ufunc: op.name for op in ops_of_kind("elementwise") if op.ufunc is not None}


def _view(x: Operand, key: tuple, for_write: bool = False) -> Operand:
    """``x[key]`` for a key of slices and None (a view either way)."""
    return x[key]


def ufunc_at(ufunc: np.ufunc, a: Operand, indices: object, b: object = None, /) -> None:
    """``ufunc.at(a, indices, b)`` for a traced (or traced-into) ``a``: written in place."""
    loc = user_location()
    name = f"numpy.{ufunc.__name__}.at"
    if not is_tracer(a):
        raise UnsupportedError(f"{name}: writing into a concrete array is not supported{at(loc)}")
    op = _OP_OF.get(ufunc)
    if ufunc.nin != 2 or ufunc.nout != 1 or op is None:
        raise UnsupportedError(f"{name} is not supported (binary ufuncs only){at(loc)}")
    if b is None:
        raise user_error(ValueError(f"second operand needed for ufunc{at(loc)}"))
    try:
        loop = ufunc.resolve_dtypes((a.dtype, dtype_or_weak(b, loc), None))
    except TypeError as e:
        raise with_location(e, loc) from e
    if not loop[0] == loop[1] == loop[2]:
        raise UnsupportedError(f"{name} with the loop {loop} (mixed dtypes){at(loc)}")
    key = mask_positions(indices if isinstance(indices, tuple) else (indices,), loc, name)
    key = expand_key(key, a.ndim, loc)
    key = [k if k is None or isinstance(k, slice) or is_array_index(k) else np.asarray(k) for k in key]
    if any(is_array_index(k) for k in key):  # (integers as 0-d index arrays: the same elements)
        scatter_setitem(a, key, b, loc, _view, combine=op, dtype=loop[2])
        return
    region = a[tuple(key)]  # slices and None only: a view
    with np.errstate(all="ignore"):
        combined = ufunc(region, b, dtype=loop[2])
    write(region, combined.astype(a.dtype) if combined.dtype != a.dtype else combined, loc)


LATER_METHODS["at"] = ufunc_at
