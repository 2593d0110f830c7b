"""Host calls of functions that write into their array arguments (``np.random.shuffle(idx)``,
``rng.shuffle(x)``, ``np.fill_diagonal(S, v)``, a library's in-place routine).

A host call hands the function read-only views of the program's buffers, so such a function
fails on its placeholders (``frontend/hostcall.py`` learns it there). It then runs instead on
writable copies of its traced array arguments and returns, besides its own result, the copies
it may have written; the traced arrays are assigned those copies afterwards (``x[...] = copy``,
an ordinary traced write: an argument of the jitted function is written back to the caller's
array, as eagerly). The draws and the values are eager's: the real function runs on the same
values, in program order, from the same stream.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from tracejit.errors import UnsupportedError, at
from tracejit.frontend.context import current_trace
from tracejit.frontend.core import Tracer
from tracejit.frontend.refusals import TraceSites, created_sites
from tracejit.frontend.tree import flatten, unflatten


class WritingCall:
    """``func`` called on writable copies of the leaves ``targets`` of its (args, kwargs);
    returns (its result, the copies)."""

    def __init__(self, func: Callable, targets: list[int]):
        self.func = func
        self.targets = targets
        self.__self__ = getattr(func, "__self__", func)  # (its generator's stream is kept while tracing)

    def __call__(self, *args: Any, **kwargs: Any) -> tuple:
        """Run the function on copies of the written arguments."""
        leaves, tree = flatten((args, kwargs))
        copies = tuple(np.array(leaves[i], copy=True) for i in self.targets)
        for i, c in zip(self.targets, copies):
            leaves[i] = c
        args, kwargs = unflatten(tree, leaves)
        return self.func(*args, **kwargs), copies


def writing_call(host_call: Callable, func: Callable, args: tuple, kwargs: dict, reason: str, name: str,
                 loc: str | None) -> Any:
    """Record ``func(*args, **kwargs)``, which writes into its traced array arguments, as a host
    call on copies and assign the copies back to those arguments; returns its traced result."""
    leaves, _ = flatten((tuple(args), dict(kwargs)))
    refused = UnsupportedError(f"{name} writes into an array argument, which a host call cannot do ({reason}){at(loc)}")
    sites = frozenset().union(*(created_sites(current_trace(), leaf) for leaf in leaves if type(leaf) is np.ndarray))
    if sites:  # an array the function made from constants (np.arange(n)): traced again, that array traced
        raise TraceSites(sites, refused)
    targets = [i for i, leaf in enumerate(leaves) if isinstance(leaf, Tracer) and not leaf._scalar]
    if not targets:
        raise refused
    result, copies = host_call(WritingCall(func, targets), args, kwargs, reason, name)
    for i, copy in zip(targets, copies):
        leaves[i][...] = copy
    return result
