"""NumPy functions composed from the ops tracejit has: each is written once here in
terms of views, ``where``, ``concatenate``, broadcasts and reductions, with NumPy's own
argument rules, so every pass and kernel sees only the ops it knows.

``flip``/``fliplr``/``flipud`` (reversed views), ``roll`` (two slices concatenated),
``triu``/``tril`` (a constant mask), ``hstack``/``vstack``/``atleast_1d``/``atleast_2d``,
``repeat`` and ``tile`` (broadcasts reshaped), ``outer`` and ``ufunc.outer``,
``linalg.norm`` for vectors (ord None, 1, 2, inf, -inf) and matrices (None, 'fro'), and
``einsum`` of one or two operands (lowered to sums and one batched matrix product).
"""
from __future__ import annotations

import operator

import numpy as np

from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend.functions import (broadcast_to, concatenate, implements, reshape, where)
from tracejit.frontend.trace import user_location
from tracejit.frontend.values import is_tracer


def _axes(axis, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(operator.index(a) % ndim for a in axes)


@implements(np.flip)
def flip(m, axis=None):
    key = [slice(None)] * m.ndim
    for a in _axes(axis, m.ndim):
        key[a] = slice(None, None, -1)
    return m[tuple(key)]


@implements(np.fliplr)
def fliplr(m):
    return flip(m, 1)


@implements(np.flipud)
def flipud(m):
    return flip(m, 0)


@implements(np.roll)
def roll(a, shift, axis=None):
    if axis is None:
        return reshape(roll(reshape(a, (-1,)), shift, 0), a.shape)
    shifts = (shift,) if isinstance(shift, int) else tuple(shift)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    if len(shifts) != len(axes):
        shifts = shifts * len(axes) if len(shifts) == 1 else shifts
    out = a
    for s, ax in zip(shifts, axes):
        ax = operator.index(ax) % a.ndim
        n = a.shape[ax]
        s = operator.index(s) % n if n else 0
        if s:
            head = [slice(None)] * a.ndim
            tail = [slice(None)] * a.ndim
            head[ax], tail[ax] = slice(n - s, None), slice(None, n - s)
            out = concatenate([out[tuple(head)], out[tuple(tail)]], axis=ax)
    return out if out is not a else a.copy()


def _triangle(m, k: int, upper: bool):
    if m.ndim < 2:
        raise UnsupportedError(f"numpy.{'triu' if upper else 'tril'} of a {m.ndim}-d array{at(user_location())}")
    rows, cols = m.shape[-2:]
    below = np.tri(rows, cols, k - 1 if upper else k, dtype=bool)
    return where(~below if upper else below, m, m.dtype.type(0))


@implements(np.triu)
def triu(m, k=0):
    return _triangle(m, operator.index(k), True)


@implements(np.tril)
def tril(m, k=0):
    return _triangle(m, operator.index(k), False)


@implements(np.atleast_1d)
def atleast_1d(*arys):
    out = [reshape(a, (1,)) if is_tracer(a) and a.ndim == 0 else np.atleast_1d(a) if not is_tracer(a) else a
           for a in arys]
    return out[0] if len(out) == 1 else out


@implements(np.atleast_2d)
def atleast_2d(*arys):
    def one(a):
        if not is_tracer(a):
            return np.atleast_2d(a)
        return reshape(a, (1,) * (2 - a.ndim) + a.shape) if a.ndim < 2 else a
    out = [one(a) for a in arys]
    return out[0] if len(out) == 1 else out


@implements(np.hstack)
def hstack(tup, *, dtype=None, casting="same_kind"):
    arrays = [atleast_1d(a) for a in tup]
    return concatenate(arrays, axis=0 if arrays and arrays[0].ndim == 1 else 1, dtype=dtype, casting=casting)


@implements(np.vstack)
def vstack(tup, *, dtype=None, casting="same_kind"):
    return concatenate([atleast_2d(a) for a in tup], axis=0, dtype=dtype, casting=casting)


@implements(np.repeat)
def repeat(a, repeats, axis=None):
    loc = user_location()
    if not isinstance(repeats, (int, np.integer)):
        raise UnsupportedError(f"numpy.repeat with per-element repeat counts{at(loc)}")
    if axis is None:
        a, axis = reshape(a, (-1,)), 0
    axis = operator.index(axis) % a.ndim
    r = operator.index(repeats)
    expanded = reshape(a, a.shape[:axis + 1] + (1,) + a.shape[axis + 1:])
    wide = broadcast_to(expanded, a.shape[:axis + 1] + (r,) + a.shape[axis + 1:])
    return reshape(wide, a.shape[:axis] + (a.shape[axis] * r,) + a.shape[axis + 1:]).copy()


@implements(np.tile)
def tile(A, reps):
    reps = (reps,) if isinstance(reps, (int, np.integer)) else tuple(reps)
    d = max(A.ndim, len(reps))
    reps = (1,) * (d - len(reps)) + tuple(operator.index(r) for r in reps)
    shape = (1,) * (d - A.ndim) + A.shape
    interleaved = tuple(x for n in shape for x in (1, n))
    wide = broadcast_to(reshape(A, interleaved), tuple(x for r, n in zip(reps, shape) for x in (r, n)))
    return reshape(wide, tuple(r * n for r, n in zip(reps, shape))).copy()


@implements(np.outer)
def outer(a, b, out=None):
    if out is not None:
        raise UnsupportedError(f"numpy.outer with out={at(user_location())}")
    a = reshape(a, (-1, 1)) if is_tracer(a) else np.ravel(a)[:, None]
    b = reshape(b, (1, -1)) if is_tracer(b) else np.ravel(b)[None, :]
    return a * b


def ufunc_outer(ufunc, a, b):
    """``ufunc.outer(a, b)``: ``a`` reshaped with ``b.ndim`` trailing unit dims, then ``ufunc``."""
    ndim_b = np.ndim(b) if not is_tracer(b) else b.ndim
    shape_a = (a.shape if is_tracer(a) else np.shape(a)) + (1,) * ndim_b
    a = reshape(a, shape_a) if is_tracer(a) else np.reshape(a, shape_a)
    return ufunc(a, b)


@implements(np.linalg.norm)
def norm(x, ord=None, axis=None, keepdims=False):
    loc = user_location()
    if x.dtype.kind not in "f":
        x = x.astype(np.float64)
    axes = _axes(axis, x.ndim)
    vector = len(axes) == 1
    if ord is None or (ord == "fro" and len(axes) == 2) or (ord == 2 and vector):
        return np.sqrt((x * x).sum(axis=axes, keepdims=keepdims))
    if vector and ord == 1:
        return np.abs(x).sum(axis=axes, keepdims=keepdims)
    if vector and ord in (np.inf, -np.inf):
        ax = np.abs(x)
        return ax.max(axis=axes, keepdims=keepdims) if ord > 0 else ax.min(axis=axes, keepdims=keepdims)
    raise UnsupportedError(f"numpy.linalg.norm with ord={ord!r} over {len(axes)} axes{at(loc)}")


@implements(np.einsum)
def einsum(subscripts, *operands, out=None, dtype=None, order="K", casting="safe", optimize=False):
    """``np.einsum`` of one or two operands without repeated or ellipsis indices: sums
    of the indices only one operand has, then one batched matrix product (batch: in
    both and the output; contracted: in both, not the output), then a transpose."""
    loc = user_location()
    if out is not None or dtype is not None or not isinstance(subscripts, str):
        raise UnsupportedError(f"numpy.einsum with out=, dtype= or operand-list subscripts{at(loc)}")
    spec = subscripts.replace(" ", "")
    inputs, _, output = spec.partition("->")
    names = inputs.split(",")
    if "." in spec or len(names) != len(operands) or len(operands) not in (1, 2) \
            or any(len(set(n)) != len(n) for n in names):
        raise UnsupportedError(f"numpy.einsum {subscripts!r}: one or two operands, no repeated index or "
                               f"ellipsis{at(loc)}")
    if not _:
        counts = {c: inputs.count(c) for c in inputs if c != ","}
        output = "".join(sorted(c for c, n in counts.items() if n == 1))
    sizes = {}
    for n, op in zip(names, operands):
        for c, size in zip(n, np.shape(op)):
            if sizes.setdefault(c, size) != size:
                raise user_error(ValueError(f"einsum: size of index {c!r} differs between operands{at(loc)}"))
    reduced = []
    for k, (n, op) in enumerate(zip(names, operands)):  # indices nothing else has: summed first
        others = set(output) | set("".join(names[:k] + names[k + 1:]))
        alone = tuple(i for i, c in enumerate(n) if c not in others)
        keep = "".join(c for i, c in enumerate(n) if i not in alone)
        reduced.append((keep, op.sum(axis=alone) if alone else op))
    if len(reduced) == 1:
        (n, op), = reduced
        return op.transpose(tuple(n.index(c) for c in output)) if n != output else op
    (na, a), (nb, b) = reduced
    batch = [c for c in na if c in nb and c in output]
    contract = [c for c in na if c in nb and c not in output]
    m = [c for c in na if c not in nb]
    n_ = [c for c in nb if c not in na]
    size = lambda cs: int(np.prod([sizes[c] for c in cs])) if cs else 1  # noqa: E731
    a3 = reshape(a.transpose(tuple(na.index(c) for c in batch + m + contract)),
                 (size(batch), size(m), size(contract)))
    b3 = reshape(b.transpose(tuple(nb.index(c) for c in batch + contract + n_)),
                 (size(batch), size(contract), size(n_)))
    product = reshape(a3 @ b3, tuple(sizes[c] for c in batch + m + n_))
    order = batch + m + n_
    return product.transpose(tuple(order.index(c) for c in output))
