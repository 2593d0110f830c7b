"""Supported dtypes and abstract values (shape + dtype)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tracejit.errors import user_error

SUPPORTED_DTYPES: tuple[np.dtype, ...] = tuple(np.dtype(c) for c in (
    "bool", "int8", "int16", "int32", "int64",
    "uint8", "uint16", "uint32", "uint64", "float16", "float32", "float64"))
_SUPPORTED = frozenset(SUPPORTED_DTYPES)

_SHORT = {"b": "bool", "i": "i", "u": "u", "f": "f"}


def is_supported(dtype: np.dtype) -> bool:
    """True for the dtypes that kernels can load, compute and store."""
    return np.dtype(dtype) in _SUPPORTED


def check_supported(dtype: npt.DTypeLike, what: str) -> np.dtype:
    """Return ``np.dtype(dtype)`` or raise a TypeError naming ``what`` (the user's error)."""
    try:
        dt = np.dtype(dtype)
    except TypeError as e:
        raise user_error(TypeError(f"{what}: {e}")) from e
    if dt not in _SUPPORTED:
        names = ", ".join(d.name for d in SUPPORTED_DTYPES)
        raise user_error(TypeError(f"{what}: dtype {dt} is not supported by tracejit (supported: {names})"))
    return dt


def short_name(dtype: np.dtype) -> str:
    """Compact dtype name for dumps: f32, i64, u8, bool."""
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return "bool"
    return f"{_SHORT.get(dt.kind, dt.kind)}{dt.itemsize * 8}"


@dataclass(frozen=True)
class AVal:
    """Abstract value: what the tracer knows about an array."""

    shape: tuple[int, ...]
    dtype: np.dtype

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return len(self.shape)

    @property
    def size(self) -> int:
        """Number of elements."""
        return math.prod(self.shape)

    def __str__(self) -> str:
        return f"{short_name(self.dtype)}[{','.join(map(str, self.shape))}]"


def reduction_default_dtype(ufunc: np.ufunc, dtype: np.dtype) -> np.dtype:
    """The accumulator dtype NumPy picks for ``ufunc.reduce`` (small ints widen to int64)."""
    return ufunc.reduce(np.zeros(1, dtype)).dtype
