"""Strided views: how transposes, broadcasts, slices and reshapes become index maps.

A :class:`StridedView` addresses elements of a buffer as
``base[offset + sum(i[d] * strides[d])]`` (offset and strides in elements), exactly as
NumPy views do. View ops transform one view into another without touching data.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


def contiguous_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    """C-order strides, in elements, of a dense array of ``shape``."""
    strides, acc = [], 1
    for n in reversed(shape):
        strides.append(acc)
        acc *= max(n, 1)
    return tuple(reversed(strides))


@dataclass(frozen=True)
class StridedView:
    """Shape, strides and offset (all in elements) of a view into a buffer."""

    shape: tuple[int, ...]
    strides: tuple[int, ...]
    offset: int = 0

    @classmethod
    def contiguous(cls, shape: tuple[int, ...]) -> "StridedView":
        """The view of a dense C-order array of ``shape`` at offset 0."""
        return cls(tuple(shape), contiguous_strides(tuple(shape)), 0)

    @property
    def size(self) -> int:
        """Number of elements."""
        return math.prod(self.shape)

    def normalized(self) -> "StridedView":
        """Strides of size-1 (and all dims of zero-size) views do not matter: zero them."""
        if self.size == 0:
            return StridedView(self.shape, (0,) * len(self.shape), 0)
        return StridedView(self.shape, tuple(0 if n == 1 else s for n, s in zip(self.shape, self.strides)),
                           self.offset)

    def is_contiguous(self) -> bool:
        """True if the strides are C-order, size-1 dims aside (empty views are; the offset is not checked)."""
        return self.normalized().strides == StridedView.contiguous(self.shape).normalized().strides

    def offset_range(self) -> tuple[int, int]:
        """Smallest and largest element offset the view touches (empty views: (0, -1))."""
        if self.size == 0:
            return 0, -1
        lo = hi = self.offset
        for n, s in zip(self.shape, self.strides):
            span = (n - 1) * s
            if span < 0:
                lo += span
            else:
                hi += span
        return lo, hi

    def transpose(self, perm: tuple[int, ...]) -> "StridedView":
        """Dims permuted: new dim ``d`` is old dim ``perm[d]``."""
        return StridedView(tuple(self.shape[p] for p in perm), tuple(self.strides[p] for p in perm),
                           self.offset)

    def broadcast_to(self, shape: tuple[int, ...]) -> "StridedView":
        """NumPy broadcasting: new leading dims and size-1 dims get stride 0."""
        lead = len(shape) - len(self.shape)
        if lead < 0:
            raise ValueError(f"cannot broadcast {self.shape} to {shape}")
        strides = [0] * lead
        for n_old, s, n_new in zip(self.shape, self.strides, shape[lead:]):
            if n_old == n_new:
                strides.append(s)
            elif n_old == 1:
                strides.append(0)
            else:
                raise ValueError(f"cannot broadcast {self.shape} to {shape}")
        return StridedView(tuple(shape), tuple(strides), self.offset)

    def slice(self, starts: tuple[int, ...], steps: tuple[int, ...], shape: tuple[int, ...]) -> "StridedView":
        """``out[j] = in[start + step * j]`` per dimension."""
        offset = self.offset + sum(st * s for st, s in zip(starts, self.strides))
        if math.prod(shape) == 0:
            offset = self.offset
        return StridedView(tuple(shape), tuple(s * k for s, k in zip(self.strides, steps)), offset)

    def diagonal(self, offset: int, axis1: int, axis2: int) -> "StridedView":
        """NumPy's diagonal view: ``out[..., i] = in[..., i, i + offset]`` over ``axis1``
        and ``axis2`` (removed; the diagonal is the last dim)."""
        n1, n2 = self.shape[axis1], self.shape[axis2]
        s1, s2 = self.strides[axis1], self.strides[axis2]
        length = diagonal_length(n1, n2, offset)
        start = self.offset + (offset * s2 if offset >= 0 else -offset * s1) if length else self.offset
        rest = [d for d in range(len(self.shape)) if d not in (axis1, axis2)]
        return StridedView(tuple(self.shape[d] for d in rest) + (length,),
                           tuple(self.strides[d] for d in rest) + (s1 + s2,), start)

    def reshape(self, shape: tuple[int, ...]) -> "StridedView | None":
        """The view of the same elements in C order with ``shape``, or None if that
        needs a copy (NumPy's no-copy reshape rule)."""
        strides = _reshape_strides(self.shape, self.strides, tuple(shape))
        return None if strides is None else StridedView(tuple(shape), strides, self.offset)


def diagonal_length(n1: int, n2: int, offset: int) -> int:
    """The length of the ``offset`` diagonal of an ``n1`` x ``n2`` matrix."""
    return max(0, min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2))


def _reshape_strides(shape: tuple[int, ...], strides: tuple[int, ...],
                     new_shape: tuple[int, ...]) -> tuple[int, ...] | None:
    """Strides that present ``(shape, strides)`` as ``new_shape`` without copying, or None."""
    if math.prod(shape) == 0:
        return contiguous_strides(new_shape)
    old = [(n, s) for n, s in zip(shape, strides) if n != 1]
    new = list(new_shape)
    out = [0] * len(new)
    i = j = 0
    while i < len(old) and j < len(new):
        if new[j] == 1:
            j += 1
            continue
        i2, j2 = i + 1, j + 1
        size_old, size_new = old[i][0], new[j]
        while size_old != size_new:
            if size_new < size_old:
                size_new *= new[j2]
                j2 += 1
            else:
                size_old *= old[i2][0]
                i2 += 1
        for k in range(i, i2 - 1):
            if old[k][1] != old[k + 1][1] * old[k + 1][0]:
                return None
        out[j2 - 1] = old[i2 - 1][1]
        for k in range(j2 - 2, j - 1, -1):
            out[k] = out[k + 1] * new[k + 1]
        i, j = i2, j2
    return tuple(out)
