"""Buffers and affine accesses: the arrays a kernel program reads and writes, and how a
loop nest's iteration point maps to one element of one of them."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from tracejit.compiler.layout import StridedView

NO_BUFFER = -1  # the buffer of an Iota's access: none


@dataclass(frozen=True)
class Buffer:
    """One array the compiled program reads or writes."""

    id: int
    kind: str  # input | constant | temp | output | scratch (one row per kernel task, on its stack)
    shape: tuple[int, ...]
    dtype: np.dtype
    node: int
    view: StridedView  # the elements addressable from the base pointer
    index: int | None = None  # argument index of inputs
    outputs: tuple[int, ...] = ()  # result indices of outputs
    value: Any = None  # constants
    label: str = ""  # what a buffer without a graph node holds

    @property
    def nbytes(self) -> int:
        """Size of the array in bytes."""
        return math.prod(self.shape) * self.dtype.itemsize

    @property
    def name(self) -> str:
        """Short display name: kind prefix and id (``in0``, ``t3``, ``out5``)."""
        return {"input": "in", "constant": "c", "temp": "t", "output": "out", "scratch": "s"}[self.kind] + str(self.id)


@dataclass(frozen=True)
class Access:
    """``buffer[offset + sum(i[d] * strides[d])]`` over a nest's iteration dims."""

    buffer: int
    dtype: np.dtype
    offset: int
    strides: tuple[int, ...]

    def text(self, names: list[str], bufname: str) -> str:
        """The access as an index expression over the loop variables ``names``."""
        terms = [f"{s}*{n}" if s != 1 else n for s, n in zip(self.strides, names) if s != 0]
        if self.offset or not terms:
            terms.append(str(self.offset))
        return f"{bufname}[{' + '.join(terms)}]"
