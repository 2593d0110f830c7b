"""Kernel formation of LAPACK calls (``lapack`` nodes, ``compiler/ops/lapack.py``).

A LAPACK call is a control kernel of its own (kind ``lapack``, run on the calling thread
like a host call's): ``Control.inits`` are the operand buffers, ``results`` the result
buffers, ``dims`` the batch, each result's bytes per matrix (0: shared by all) and the
call's integers -- all size parameters of the generic form, so one object code serves every
shape -- and ``callback`` a constant buffer holding the routine's address. The address is
data, not code (the disk cache holds no address); that constant re-resolves the routine by
name when unpickled (the cross-process program cache stores optimized programs).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from tracejit.compiler.kir import Buffer, Control
from tracejit.runtime import lapack


class RoutineAddress(np.ndarray):
    """A one-element int64 array holding a LAPACK routine's address (by name when pickled)."""

    routine: str = ""

    def __reduce__(self) -> tuple:
        return routine_constant, (self.routine,)


def routine_constant(routine: str) -> np.ndarray:
    """The constant holding the address of LAPACK routine ``routine`` in this process."""
    address = lapack.address(routine)
    if address is None:
        raise RuntimeError(f"tracejit: LAPACK routine {routine} is not available in this process")
    value = np.array([address], dtype=np.int64).view(RoutineAddress)
    value.routine = routine
    value.flags.writeable = False
    return value


def lapack_control(attrs: dict, operands: tuple[int, ...], results: tuple[int, ...],
                   constant: Callable[[object, np.ndarray, str], Buffer]) -> Control:
    """The :class:`Control` of a ``lapack`` node with attrs ``attrs`` reading buffers
    ``operands`` and writing ``results``; ``constant(key, value, label)`` makes a constant buffer."""
    call, batch = attrs["call"], attrs["batch"]
    nbytes = tuple(int(np.prod(a.shape)) * a.dtype.itemsize for a in attrs["results"])
    steps = tuple(n // batch if b and batch else 0 for n, b in zip(nbytes, call.batched))
    address = constant(("lapack", call.routine), routine_constant(call.routine), f"address of {call.routine}")
    return Control("lapack", (), results, nbytes, inits=operands, callback=address.id,
                   dims=(batch,) + steps + tuple(attrs["dims"]), call=call, label=call.routine)
