"""NumPy functions composed from the ops tracejit has: each is written once here in
terms of views, ``where``, ``concatenate``, broadcasts and reductions, with NumPy's own
argument rules, so every pass and kernel sees only the ops it knows.

``flip``/``fliplr``/``flipud`` (reversed views), ``roll`` (two slices concatenated),
``triu``/``tril`` (a constant mask; a 1-d array broadcast as a row), ``hstack``/``vstack``/``atleast_1d``/``2d``/``3d``,
``rot90``, ``split``/``array_split`` (views),
``repeat`` and ``tile`` (broadcasts reshaped). Products, ``outer``, ``norm`` and
``einsum``: ``linalg.py``.
"""
from __future__ import annotations

import operator

import numpy as np
from numpy.typing import DTypeLike

from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend.context import user_location
from tracejit.frontend.dispatch import implements
from tracejit.frontend.numpy.axes import axes_arg, axis_index
from tracejit.frontend.numpy.elementwise import where
from tracejit.frontend.numpy.shape import broadcast_to, concatenate, reshape
from tracejit.frontend.operands import Operand, is_tracer, static_ints


@implements(np.flip)
def flip(m: Operand, axis: int | tuple[int, ...] | None = None) -> Operand:
    """``numpy.flip`` of traced arrays, with NumPy's argument rules."""
    key = [slice(None)] * m.ndim
    for a in axes_arg(axis, m.ndim):
        key[a] = slice(None, None, -1)
    return m[tuple(key)]


@implements(np.fliplr)
def fliplr(m: Operand) -> Operand:
    """``numpy.fliplr`` of traced arrays, with NumPy's argument rules."""
    if m.ndim < 2:
        raise user_error(ValueError(f"Input must be >= 2-d.{at(user_location())}"))
    return flip(m, 1)


@implements(np.flipud)
def flipud(m: Operand) -> Operand:
    """``numpy.flipud`` of traced arrays, with NumPy's argument rules."""
    if m.ndim < 1:
        raise user_error(ValueError(f"Input must be >= 1-d.{at(user_location())}"))
    return flip(m, 0)


@implements(np.rot90)
def rot90(m: Operand, k: int = 1, axes: object = (0, 1)) -> Operand:
    """NumPy's rot90: flips and a transpose, all views."""
    loc = user_location()
    ax = tuple(axis_index(a, m.ndim) for a in static_ints(axes))
    if len(ax) != 2 or ax[0] == ax[1]:
        raise user_error(ValueError(f"Axes must be different.{at(loc)}"))
    k = static_ints(k) % 4
    if k == 0:
        return m[:]
    if k == 2:
        return flip(flip(m, ax[0]), ax[1])
    perm = list(range(m.ndim))
    perm[ax[0]], perm[ax[1]] = perm[ax[1]], perm[ax[0]]
    return flip(m, ax[1]).transpose(perm) if k == 1 else flip(m.transpose(perm), ax[1])


@implements(np.split)
def split(ary: Operand, indices_or_sections: Operand, axis: int | tuple[int, ...] | None = 0) -> Operand:
    """``np.split``: as ``array_split``, but sections must divide the axis."""
    cuts = static_ints(indices_or_sections)
    if not isinstance(cuts, tuple) and cuts > 0 and ary.shape[axis_index(axis, ary.ndim)] % cuts:
        raise user_error(ValueError(f"array split does not result in an equal division{at(user_location())}"))
    return array_split(ary, indices_or_sections, axis)


@implements(np.array_split)
def array_split(ary: Operand, indices_or_sections: Operand, axis: int | tuple[int, ...] | None = 0) -> Operand:
    """``np.array_split``: views of consecutive slices along ``axis``."""
    loc = user_location()
    axis = axis_index(axis, ary.ndim)
    n = ary.shape[axis]
    cuts = static_ints(indices_or_sections)
    if isinstance(cuts, tuple):
        bounds = [0, *cuts, n]
    else:
        if cuts <= 0:
            raise user_error(ValueError(f"number sections must be larger than 0.{at(loc)}"))
        each, extra = divmod(n, cuts)
        bounds = [0]
        for i in range(cuts):
            bounds.append(bounds[-1] + each + (1 if i < extra else 0))
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        key = [slice(None)] * ary.ndim
        key[axis] = slice(lo, hi)
        out.append(ary[tuple(key)])
    return out


@implements(np.roll)
def roll(a: Operand, shift: Operand, axis: int | tuple[int, ...] | None = None) -> Operand:
    """``numpy.roll`` of traced arrays, with NumPy's argument rules."""
    if axis is None:
        return reshape(roll(reshape(a, (-1,)), shift, 0), a.shape)
    shifts, axes = static_ints(shift), static_ints(axis)
    shifts = shifts if isinstance(shifts, tuple) else (shifts,)
    axes = axes if isinstance(axes, tuple) else (axes,)
    if len(shifts) != len(axes):
        shifts = shifts * len(axes) if len(shifts) == 1 else shifts
    out = a
    for s, ax in zip(shifts, axes):
        ax = axis_index(ax, a.ndim)
        n = a.shape[ax]
        s = operator.index(s) % n if n else 0
        if s:
            head = [slice(None)] * a.ndim
            tail = [slice(None)] * a.ndim
            head[ax], tail[ax] = slice(n - s, None), slice(None, n - s)
            out = concatenate([out[tuple(head)], out[tuple(tail)]], axis=ax)
    return out if out is not a else np.copy(a)  # (np.roll allocates like empty_like: a's order)


def _triangle(m, k: int, upper: bool):
    if m.ndim < 1:
        raise UnsupportedError(f"numpy.{'triu' if upper else 'tril'} of a {m.ndim}-d array{at(user_location())}")
    rows, cols = m.shape[-2:] if m.ndim > 1 else m.shape * 2  # (a 1-d array: its row broadcast, as NumPy)
    below = np.tri(rows, cols, k - 1 if upper else k, dtype=bool)
    return where(~below if upper else below, m, m.dtype.type(0))


@implements(np.triu)
def triu(m: Operand, k: int = 0) -> Operand:
    """``numpy.triu`` of traced arrays, with NumPy's argument rules."""
    return _triangle(m, operator.index(k), True)


@implements(np.tril)
def tril(m: Operand, k: int = 0) -> Operand:
    """``numpy.tril`` of traced arrays, with NumPy's argument rules."""
    return _triangle(m, operator.index(k), False)


@implements(np.atleast_1d)
def atleast_1d(*arys: Operand) -> Operand:
    """``numpy.atleast_1d`` of traced arrays, with NumPy's argument rules."""
    out = [reshape(a, (1,)) if is_tracer(a) and a.ndim == 0 else np.atleast_1d(a) if not is_tracer(a) else a
           for a in arys]
    return out[0] if len(out) == 1 else tuple(out)


@implements(np.atleast_2d)
def atleast_2d(*arys: Operand) -> Operand:
    """``numpy.atleast_2d`` of traced arrays, with NumPy's argument rules."""
    def one(a):
        if not is_tracer(a):
            return np.atleast_2d(a)
        return reshape(a, (1,) * (2 - a.ndim) + a.shape) if a.ndim < 2 else a
    out = [one(a) for a in arys]
    return out[0] if len(out) == 1 else tuple(out)


@implements(np.atleast_3d)
def atleast_3d(*arys: Operand) -> Operand:
    """``numpy.atleast_3d`` of traced arrays, with NumPy's argument rules."""
    def one(a):
        if not is_tracer(a):
            return np.atleast_3d(a)
        shape = {0: (1, 1, 1), 1: (1,) + a.shape + (1,), 2: a.shape + (1,)}.get(a.ndim, a.shape)
        return reshape(a, shape) if a.ndim < 3 else a
    out = [one(a) for a in arys]
    return out[0] if len(out) == 1 else tuple(out)


@implements(np.hstack)
def hstack(tup: Operand, *, dtype: DTypeLike = None, casting: str = "same_kind") -> Operand:
    """``numpy.hstack`` of traced arrays, with NumPy's argument rules."""
    arrays = [atleast_1d(a) for a in tup]
    return concatenate(arrays, axis=0 if arrays and arrays[0].ndim == 1 else 1, dtype=dtype, casting=casting)


@implements(np.vstack)
def vstack(tup: Operand, *, dtype: DTypeLike = None, casting: str = "same_kind") -> Operand:
    """``numpy.vstack`` of traced arrays, with NumPy's argument rules."""
    return concatenate([atleast_2d(a) for a in tup], axis=0, dtype=dtype, casting=casting)


@implements(np.repeat)
def repeat(a: Operand, repeats: Operand, axis: int | tuple[int, ...] | None = None) -> Operand:
    """``numpy.repeat`` of traced arrays, with NumPy's argument rules."""
    loc = user_location()
    if is_tracer(repeats) and repeats.ndim or not is_tracer(repeats) and np.ndim(repeats):
        raise UnsupportedError(f"numpy.repeat with per-element repeat counts{at(loc)}")
    if static_ints(repeats) < 0:
        raise user_error(ValueError(f"repeats may not contain negative values.{at(loc)}"))
    if axis is None or a.ndim == 0:  # (NumPy repeats a 0-d array as a 1-d one)
        a = reshape(a, (-1,))
    axis = axis_index(0 if axis is None else axis, a.ndim)
    r = static_ints(repeats)
    expanded = reshape(a, a.shape[:axis + 1] + (1,) + a.shape[axis + 1:])
    wide = broadcast_to(expanded, a.shape[:axis + 1] + (r,) + a.shape[axis + 1:])
    return reshape(wide, a.shape[:axis] + (a.shape[axis] * r,) + a.shape[axis + 1:]).copy()


@implements(np.tile)
def tile(A: Operand, reps: Operand) -> Operand:
    """``numpy.tile`` of traced arrays, with NumPy's argument rules."""
    reps = static_ints(reps)
    reps = reps if isinstance(reps, tuple) else (reps,)
    if any(r < 0 for r in reps):
        raise user_error(ValueError(f"negative dimensions are not allowed{at(user_location())}"))
    d = max(A.ndim, len(reps))
    reps = (1,) * (d - len(reps)) + tuple(operator.index(r) for r in reps)
    shape = (1,) * (d - A.ndim) + A.shape
    interleaved = tuple(x for n in shape for x in (1, n))
    if all(r == 1 for r in reps):  # NumPy: a copy in A's memory order
        return np.copy(reshape(A, shape))
    wide = broadcast_to(reshape(A, interleaved), tuple(x for r, n in zip(reps, shape) for x in (r, n)))
    return reshape(wide, tuple(r * n for r, n in zip(reps, shape))).copy()
