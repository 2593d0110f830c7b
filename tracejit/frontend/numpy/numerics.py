"""More NumPy composed from tracejit's ops (like ``frontend/numpy/composites.py``): diagonals,
differences, grids, closeness tests and padding, each with NumPy's argument rules.

``diagonal``/``diag`` of a matrix are read-only ``diagonal`` views (strided, no copy,
writes to the matrix show through); ``diag`` of a vector selects it into a square with
the ``eye`` mask;
``trace`` sums a diagonal; ``diff`` subtracts shifted slices (``not_equal`` for bools,
as NumPy); ``meshgrid`` broadcasts reshaped vectors; ``isclose``/``allclose`` follow
NumPy's formula (``|a - b| <= atol + rtol * |b|``, infinities equal only to
themselves, NaNs equal with ``equal_nan``); ``pad`` concatenates constant, edge,
wrapped or reflected slices.
"""
from __future__ import annotations

import operator

import numpy as np
from numpy.typing import DTypeLike

from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend import arrayconv
from tracejit.frontend.context import user_location
from tracejit.frontend.core import as_python_scalar
from tracejit.frontend.dispatch import implements
from tracejit.frontend.memorder import fortran_order, numpy_layout, set_layout
from tracejit.frontend.numpy.axes import normalize_axes
from tracejit.frontend.numpy.elementwise import where
from tracejit.frontend.numpy.quantiles import lines_of
from tracejit.frontend.numpy.scans_and_sorts import partitioning
from tracejit.frontend.numpy.shape import broadcast_to, concatenate, make_view, reshape, scalar_result
from tracejit.frontend.operands import Operand, as_array, find_trace, is_tracer, promotion_operand, static_ints


@implements(np.diagonal)
def diagonal(a: Operand, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Operand:
    """NumPy's diagonal: a read-only view (writes to ``a`` show through it)."""
    loc = user_location()
    if a.ndim < 2:
        raise user_error(ValueError(f"diag requires an array of at least two dimensions{at(loc)}"))
    ax1, ax2 = (normalize_axes(ax, a.ndim, loc)[0] for ax in (axis1, axis2))
    if ax1 == ax2:
        raise user_error(ValueError(f"axis1 and axis2 cannot be the same{at(loc)}"))
    return make_view(a, "diagonal", {"offset": operator.index(offset), "axis1": ax1, "axis2": ax2})


@implements(np.diag)
def diag(v: Operand, k: int = 0) -> Operand:
    """Of a matrix: its ``k``-th diagonal, a read-only view (as NumPy); of a vector: a new
    square matrix."""
    k = operator.index(k)
    if v.ndim == 2:
        return diagonal(v, k)
    if v.ndim != 1:
        raise user_error(ValueError(f"Input must be 1- or 2-d.{at(user_location())}"))
    size = v.shape[0] + abs(k)
    padded = concatenate([v, np.zeros(abs(k), v.dtype)]) if k else v
    values = reshape(padded, (size, 1) if k >= 0 else (1, size))
    return where(np.eye(size, size, k, dtype=bool), broadcast_to(values, (size, size)), v.dtype.type(0))


@implements(np.diagflat)
def diagflat(v: Operand, k: int = 0) -> Operand:
    """NumPy's diagflat: the flattened input on the ``k``-th diagonal of a new square matrix."""
    return diag(reshape(as_array(find_trace((v,)), v), (-1,)), k)


@implements(np.polyval)
def polyval(p: Operand, x: Operand) -> Operand:
    """NumPy's polyval: Horner's rule over ``p``'s coefficients (a static count), as NumPy computes it."""
    trace = find_trace((p, x))
    p, x = as_array(trace, np.asarray(p) if isinstance(p, (list, tuple)) else p), as_array(trace, x)
    if p.ndim != 1:
        raise UnsupportedError(f"numpy.polyval of coefficients that are not a 1-d array{at(user_location())}")
    y = np.zeros_like(x)
    for k in range(p.shape[0]):
        y = y * x + p[k]
    return y


@implements(np.result_type)
def result_type(*arrays_and_dtypes: Operand) -> np.dtype:
    """NumPy's result_type: from the operands' dtypes (a traced Python number weak, as the number is)."""
    return np.result_type(*(promotion_operand(x) if is_tracer(x) else x for x in arrays_and_dtypes))


@implements(np.trace)
def trace(a: Operand, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: DTypeLike = None,
          out: object = None) -> Operand:
    """NumPy's trace: the sums along the diagonals (the diagonal view's last axis), an
    array of ``a``'s shape less ``axis1`` and ``axis2`` (a NumPy scalar of a matrix)."""
    if out is not None:
        raise UnsupportedError(f"numpy.trace with out={at(user_location())}")
    return diagonal(a, offset, axis1, axis2).sum(axis=-1, dtype=dtype)


@implements(np.diff)
def diff(a: Operand, n: int = 1, axis: int | tuple[int, ...] | None = -1, prepend: Operand = np._NoValue,
         append: Operand = np._NoValue) -> Operand:
    """``numpy.diff`` of traced arrays, with NumPy's argument rules."""
    loc = user_location()
    axis = operator.index(axis) % a.ndim if a.ndim else 0
    if a.ndim == 0:
        raise user_error(ValueError(f"diff requires input that is at least one dimensional{at(loc)}"))
    parts = []
    for extra in (prepend, append):
        if extra is np._NoValue:
            parts.append(None)
            continue
        shape = list(a.shape)
        shape[axis] = 1
        value = extra if is_tracer(extra) else np.asarray(extra)
        if np.ndim(value) == 0:
            value = broadcast_to(value, tuple(shape)) if is_tracer(value) else np.broadcast_to(value, shape)
        parts.append(value)
    if parts[0] is not None or parts[1] is not None:
        a = concatenate([p for p in (parts[0], a, parts[1]) if p is not None], axis=axis)
    if static_ints(n) < 0:
        raise user_error(ValueError(f"order must be non-negative but got {static_ints(n)}{at(loc)}"))
    for _ in range(static_ints(n)):
        head = [slice(None)] * a.ndim
        tail = [slice(None)] * a.ndim
        head[axis], tail[axis] = slice(1, None), slice(None, -1)
        later, earlier = a[tuple(head)], a[tuple(tail)]
        a = np.not_equal(later, earlier) if a.dtype == np.bool_ else later - earlier
    return a


@implements(np.meshgrid)
def meshgrid(*xi: Operand, copy: bool | None = True, sparse: bool = False, indexing: str = "xy") -> Operand:
    """``numpy.meshgrid`` of traced arrays, with NumPy's argument rules."""
    if indexing not in ("xy", "ij"):
        raise user_error(ValueError("Valid values for `indexing` are 'xy' and 'ij'."))
    ndim = len(xi)
    shape = [int(np.size(x)) if not is_tracer(x) else x.size for x in xi]
    out = []
    for i, x in enumerate(xi):
        s = [1] * ndim
        s[i] = -1
        if indexing == "xy" and ndim > 1 and i < 2:
            s[0], s[1] = s[1], s[0]
        out.append(reshape(x, tuple(s)) if is_tracer(x) else np.reshape(np.asarray(x), s))
    full = list(shape)
    if indexing == "xy" and ndim > 1:
        full[0], full[1] = full[1], full[0]
    if not sparse:
        out = [broadcast_to(x, tuple(full)) if is_tracer(x) else np.broadcast_to(x, full) for x in out]
        if copy:
            out = [x.copy() for x in out]
    return tuple(out)


@implements(np.isclose)
def isclose(a: Operand, b: Operand, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Operand:
    """``numpy.isclose`` of traced arrays, with NumPy's argument rules."""
    trace = find_trace([a, b, rtol, atol])
    a, b = as_array(trace, a), as_array(trace, b)  # NumPy: asanyarray of both (Python numbers are strong)
    dtype = np.result_type(*(x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype for x in (a, b)), 1.0)
    x = a.astype(dtype) if is_tracer(a) else np.asarray(a, dtype)
    y = b.astype(dtype) if is_tracer(b) else np.asarray(b, dtype)
    close = (np.abs(x - y) <= atol + rtol * np.abs(y)) & np.isfinite(y)
    close = close | (x == y)
    if equal_nan:
        close = close | (np.isnan(x) & np.isnan(y))
    return close


@implements(np.allclose)
def allclose(a: Operand, b: Operand, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Operand:
    """A traced Python bool, as NumPy's (``~np.allclose(a, b)`` is -1 or -2; using it in
    ``if`` needs ``tj.cond``)."""
    return _python_bool(isclose(a, b, rtol, atol, equal_nan).all())


def _python_bool(result):
    """``result`` (a traced 0-d bool) as a traced Python bool, as NumPy's predicates return."""
    result._weak = None
    return as_python_scalar(result)


@implements(np.array_equal)
def array_equal(a1: Operand, a2: Operand, equal_nan: bool = False) -> Operand:
    """A traced Python bool: same shape (known now: else a Python False) and equal elements."""
    if np.shape(a1) != np.shape(a2):
        return False
    same = np.equal(a1, a2)
    if equal_nan:
        same = same | (np.isnan(a1) & np.isnan(a2))
    return _python_bool(np.all(same))


@implements(np.array_equiv)
def array_equiv(a1: Operand, a2: Operand) -> Operand:
    """A traced Python bool: shapes broadcast (known now: else a Python False), elements equal."""
    try:
        np.broadcast_shapes(np.shape(a1), np.shape(a2))
    except ValueError:
        return False
    return _python_bool(np.all(np.equal(a1, a2)))


@implements(np.count_nonzero)
def count_nonzero(a: Operand, axis: int | tuple[int, ...] | None = None, *, keepdims: bool = False) -> Operand:
    """The number of non-zero elements (intp), over ``axis`` or all."""
    return np.sum(np.not_equal(a, 0), axis=axis, keepdims=keepdims, dtype=np.intp)


def _pad_widths(pad_width, ndim: int) -> list[tuple[int, int]]:
    w = np.asarray(pad_width)
    if w.dtype.kind not in "iu":
        raise user_error(TypeError("`pad_width` must be of integral type."))
    w = np.broadcast_to(w, (ndim, 2)) if w.ndim <= 1 or w.shape == (1, 2) else w
    if w.shape != (ndim, 2) or (w < 0).any():
        raise user_error(ValueError(f"invalid pad_width {pad_width!r} for a {ndim}-d array"))
    return [(int(a), int(b)) for a, b in w]


@implements(np.pad)
def pad(array: Operand, pad_width: Operand, mode: str = "constant", **kwargs: object) -> Operand:
    """``numpy.pad`` of traced arrays, with NumPy's argument rules."""
    loc = user_location()
    if mode not in ("constant", "edge", "wrap", "reflect", "symmetric"):
        raise UnsupportedError(f"numpy.pad with mode={mode!r}{at(loc)}")
    widths = _pad_widths(pad_width, array.ndim)
    if mode == "constant" and np.dtype(array.dtype).kind in "iu":  # (Python ints beyond the dtype: OverflowError)
        arrayconv.check_python_ints(kwargs.get("constant_values", 0), np.dtype(array.dtype), loc)
    given = kwargs.get("constant_values", 0)
    constants = np.broadcast_to(arrayconv.asarray(given) if arrayconv.holds_traced(given) else np.asarray(given),
                                (array.ndim, 2))  # (traced numbers in a tuple: stacked as np.asarray does)
    out = array
    for axis, (before, after) in enumerate(widths):
        n = out.shape[axis]

        def part(start, stop, step=1):
            key = [slice(None)] * out.ndim
            key[axis] = slice(start, None if stop is not None and stop < 0 else stop, step)
            return out[tuple(key)]

        pieces = []
        for side, width in ((0, before), (1, after)):
            if not width:
                pieces.append(None)
                continue
            shape = list(out.shape)
            shape[axis] = width
            if mode == "constant":
                piece = np.full(shape, constants[axis][side], dtype=out.dtype)
            elif n == 0:
                raise user_error(ValueError(f"can't extend empty axis {axis} using modes other than "
                                            f"'constant'{at(loc)}"))
            elif mode == "edge":
                piece = broadcast_to(part(0, 1) if side == 0 else part(n - 1, n), tuple(shape))
            else:
                reach = n - 1 if mode == "reflect" else n
                if width > reach:
                    raise UnsupportedError(f"numpy.pad mode={mode!r} wider than the axis{at(loc)}")
                if mode == "wrap":
                    piece = part(n - width, n) if side == 0 else part(0, width)
                elif mode == "reflect":
                    piece = part(width, 0, -1) if side == 0 else part(n - 2, n - 2 - width, -1)
                else:  # symmetric
                    piece = part(width - 1, None, -1) if side == 0 else part(n - 1, n - 1 - width, -1)
                    if side == 0 and width == n:
                        piece = part(None, None, -1)
            pieces.append(piece)
        if pieces[0] is not None or pieces[1] is not None:
            out = concatenate([p for p in (pieces[0], out, pieces[1]) if p is not None], axis=axis)
    out = out if out is not array else array.copy()
    source = numpy_layout(array)  # NumPy pads into an F-order array for an F-order input, else C
    fortran = source is not None and not source.is_contiguous() and \
        source.normalized().strides == fortran_order(source.shape).normalized().strides
    set_layout(out, None if source is None else fortran_order(out.shape) if fortran else "C")
    return out


@implements(np.median)
def median(a: Operand, axis: int | tuple[int, ...] | None = None, out: object = None, overwrite_input: bool = False,
           keepdims: bool = False) -> Operand:
    """NumPy's median: the middle one or two of the sorted values (selected by a partition),
    averaged with ``mean`` (ints give float64), NaN where a line holds a NaN (sorted last)."""
    loc = user_location()
    if out is not None:
        raise UnsupportedError(f"numpy.median with out={at(loc)}")
    x, ax, rest, kept = lines_of(a, axis, "numpy.median", loc)
    n = x.shape[ax]
    if n == 0:
        raise UnsupportedError(f"numpy.median of an empty axis{at(loc)}")
    if x.dtype.kind == "c":
        s = np.sort(x, axis=ax)
    else:  # the one or two middle ranks in place, NaNs last (an introselect, not a sort)
        s = partitioning("partition", x, [(n - 1) // 2, n // 2], ax)
    key = [slice(None)] * x.ndim
    key[ax] = slice((n - 1) // 2, n // 2 + 1)
    out_ = s[tuple(key)].mean(axis=ax, keepdims=True)
    if s.dtype.kind in "fc":
        key[ax] = slice(n - 1, n)
        out_ = where(np.isnan(s[tuple(key)]), s[tuple(key)].astype(out_.dtype), out_)
    return reshape(out_, kept) if keepdims else scalar_result(reshape(out_, rest))
