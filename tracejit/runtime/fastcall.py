"""Fast calls of programs with temporaries or several results (``runtime/executable.py``
chooses them): the call path without a per-call arena allocation, dict or context array.

A program's temporaries live in an *arena*, one block per running call. Allocating it
(and the four-pointer context that points at it) cost ~2-4 us of Python per call; here an
executable keeps the blocks of finished calls in a free list and a call takes one (or
makes one when none is free) and gives it back after the native call. ``list.pop`` and
``list.append`` are atomic, so concurrent calls in several threads never share a block,
and a call made again from inside a running one (a host call calling the same jitted
function from Python) finds the running call's block taken and makes its own. Only
arenas up to ``CACHED_ARENA_BYTES`` are kept (at most one per call in flight at once:
a bound on what many signatures hold); larger ones come from the pool per call, where the
kernels' time dwarfs the allocation.
Results never alias an arena: outputs are allocated apart from it.
"""
from __future__ import annotations

import ctypes
from typing import Callable

import numpy as np

from tracejit.runtime import MISS
from tracejit.runtime.buffers import MIN_POOLED_BYTES, pool

# arenas kept between calls: at most this large; larger ones come from the pool's reused
# blocks. (Between the two, an arena from np.empty per call page-faulted: 8-16 64x64
# cholesky +180 us a call, issue 17.)
CACHED_ARENA_BYTES = MIN_POOLED_BYTES
_ALIGN = 64
_BYTE = np.dtype(np.uint8)


class ArenaCache:
    """Arena blocks of one program not in use, each with its call context."""

    def __init__(self, nbytes: int, context_for: Callable[[int], ctypes.Array]):
        """``nbytes``: the program's arena; ``context_for(base)`` makes the wrapper's
        context for an arena starting at ``base``."""
        self.nbytes = nbytes
        self.keep = nbytes <= CACHED_ARENA_BYTES  # else a block per call, from the pool
        self._context_for = context_for
        self.free: list[tuple[np.ndarray, ctypes.Array, int]] = []

    def make(self) -> tuple[np.ndarray, ctypes.Array, int]:
        """A new block: the array, its context and the context's address."""
        block = (np.empty if self.keep else pool.empty)((self.nbytes + _ALIGN,), _BYTE)
        base = -(-block.ctypes.data // _ALIGN) * _ALIGN
        context = self._context_for(base)
        return block, context, ctypes.addressof(context)


def multi_call(n_inputs: int, call: Callable, context: int, allocs: list, position: list[int],
               arenas: ArenaCache | None) -> Callable:
    """``direct(args)``: the list of results (in the program's result order) for ``args``
    when they are exactly the arrays the signature was compiled for (the wrapper checks them
    natively), else MISS. ``allocs`` holds each output's allocator, shape and dtype;
    ``arenas`` the free arena blocks (None: no temporaries, ``context`` is used)."""
    identity = position == list(range(len(allocs)))

    if arenas is None:
        def direct(args: tuple):
            if len(args) != n_inputs:
                return MISS
            outs = [empty(shape, dtype) for empty, shape, dtype in allocs]
            if call(*map(id, args), *map(id, outs), context):
                return MISS
            return outs if identity else [outs[i] for i in position]
        return direct

    free, make, keep = arenas.free, arenas.make, arenas.keep

    def direct_arena(args: tuple):
        if len(args) != n_inputs:
            return MISS
        outs = [empty(shape, dtype) for empty, shape, dtype in allocs]
        try:
            block = free.pop()
        except IndexError:  # every block is in use (other threads, or a call from a host call)
            block = make()
        refused = call(*map(id, args), *map(id, outs), block[2])
        if keep:
            free.append(block)
        del block  # (a pooled block goes back to the pool)
        if refused:
            return MISS
        return outs if identity else [outs[i] for i in position]
    return direct_arena


def distinct_results(multi: Callable, repeated: list[int]) -> Callable:
    """``multi`` (a :func:`multi_call`) whose results at the positions ``repeated`` (an output
    that also is an earlier result: two results CSE merged) are copies, distinct arrays as
    eager NumPy returns them."""
    def direct(args: tuple):
        outs = multi(args)
        if outs is MISS:
            return MISS
        for k in repeated:
            outs[k] = outs[k].copy()
        return outs
    return direct


def single_call(multi: Callable) -> Callable:
    """The single result of ``multi`` (a :func:`multi_call` of a one-result program)."""
    def direct(args: tuple):
        outs = multi(args)
        return MISS if outs is MISS else outs[0]
    return direct


def run_from(direct: Callable, n_inputs: int, fallback: Callable) -> Callable:
    """The executable's run (input list -> results) through ``direct``, ``fallback`` for
    inputs the wrapper refuses."""
    def run(arrays: list[np.ndarray]) -> list[np.ndarray]:
        outs = direct(arrays) if len(arrays) == n_inputs else MISS
        return fallback(arrays) if outs is MISS else outs
    return run
