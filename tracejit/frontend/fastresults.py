"""The direct call of a signature whose result is not one plain array: several results, a
0-d result returned as a scalar, run-time checks (``frontend/checks.py``).

``runtime/executable.py`` gives such programs a ``direct_all`` (positional arrays -> every
output, or MISS); this wraps it as ``_Entry.direct``: a call reads the checks' outputs
first (a flag or code nonzero, an index range outside its bound) and only when one failed
takes :func:`~tracejit.frontend.checks.raise_failed`, which raises the error the general
path raises; then it builds the result as ``_Entry._results`` would, without its
per-leaf branching (a complex result is already a complex array there: see
``Executable.complex_boundary``). Results needing more (a boolean selection compacted after
the call, a selection from an argument) keep the general path.
"""
from __future__ import annotations

from operator import itemgetter
from typing import TYPE_CHECKING, Callable

from tracejit.frontend.checks import Check, raise_failed
from tracejit.frontend.tree import TreeDef, builder
from tracejit.runtime import MISS

if TYPE_CHECKING:
    from tracejit.frontend.traced_function import TracedFunction
    from tracejit.runtime.executable import Executable


def _leaf_reader(leaf) -> Callable | None:
    """outs -> this leaf's value, or None where the general path is needed."""
    if leaf.mask is not None or leaf.arg is not None:
        return None
    if leaf.index is None:
        value = leaf.value
        return lambda outs: value
    index, python = leaf.index, leaf.python
    if python is not None:
        return lambda outs: python(outs[index][()])
    if leaf.scalar:
        return lambda outs: outs[index][()]
    return None  # a plain array: read by index (see results_direct)


def complex_direct(executable: "Executable", traced: "TracedFunction") -> bool:
    """Whether ``executable``'s direct calls serve ``traced``'s signature: where it has
    complex arguments or results, they take and make the complex arrays themselves
    (``Executable.complex_boundary``; the general path, and captured arrays, pass their pair
    views)."""
    n_args = len(traced.in_specs) if traced.guard is None else traced.guard.n_args  # (captured: pair views)
    args = {i: s.complex_dtype for i, s in enumerate(traced.in_specs[:n_args]) if s.complex_dtype is not None}
    results = {leaf.index: leaf.complex_dtype for leaf in traced.out_leaves
               if leaf.complex_dtype is not None and leaf.index is not None}
    return not (args or results) or executable.complex_boundary(args, results)


def failed_checks(checks: list[Check]) -> Callable:
    """outs -> whether some check may have failed (then raise_failed decides and raises)."""
    flags = [c.index for c in checks if c.bound is None]  # a bool flag or a case code: nonzero fails
    ranges = [(c.index, c.high, -c.bound, c.bound) for c in checks if c.bound is not None]

    def failed(outs) -> bool:
        for i in flags:
            if outs[i]:
                return True
        for low, high, least, bound in ranges:
            if outs[low] < least or outs[high] >= bound:
                return True
        return False
    return failed


def results_builder(tree: TreeDef, leaves: list) -> Callable | None:
    """``build(outs)``: the function's result from the program's outputs ``outs`` (complex
    results already complex arrays), prepared once per signature; None where the result
    needs the general path (a selection compacted after the call, a host call's stashed
    result)."""
    readers = []
    for leaf in leaves:
        if leaf.mask is not None or leaf.arg is not None or leaf.stashed:
            return None
        readers.append(_leaf_reader(leaf))
    if all(r is None for r in readers):
        indices = [leaf.index for leaf in leaves]
        if tree.kind == "leaf":
            (first,) = indices
            return lambda outs: outs[first]
        rebuild = builder(tree)
        if indices == list(range(len(indices))):  # the results are the first outputs, in order
            return rebuild
        return lambda outs: rebuild([outs[i] for i in indices])
    readers = [r if r is not None else itemgetter(leaf.index) for r, leaf in zip(readers, leaves)]
    if tree.kind == "leaf":
        return readers[0]
    rebuild = builder(tree)
    return lambda outs: rebuild([r(outs) for r in readers])


def results_direct(direct_all: Callable, tree: TreeDef, leaves: list, checks: list[Check]) -> Callable | None:
    """``direct(args)`` -> the function's result built from ``direct_all(args)``'s outputs
    (MISS when it misses), raising a failed check's error; None where the result needs the
    general path."""
    build = results_builder(tree, leaves)
    if build is None:
        return None
    failed = failed_checks(checks) if checks else None

    def direct(args: tuple):
        outs = direct_all(args)
        if outs is MISS:
            return MISS
        if failed is not None and failed(outs):
            raise_failed(checks, outs)
        return build(outs)
    return direct


def results_run(executable: Callable, tree: TreeDef, leaves: list, checks: list[Check]) -> Callable | None:
    """``run(arrays, originals=None)``: the general path's call of a signature (its arrays
    bound already, e.g. by the fast key of a call with nested arguments) whose result
    :func:`results_builder` rebuilds: the program, its checks, the prepared builder. None
    where ``_Entry.run`` is needed (complex results: the general path gets their pairs)."""
    if any(leaf.complex_dtype is not None for leaf in leaves):
        return None
    build = results_builder(tree, leaves)
    if build is None:
        return None
    failed = failed_checks(checks) if checks else None

    def run(arrays: list, originals: list | None = None):
        outs = executable(arrays)
        if failed is not None and failed(outs):
            raise_failed(checks, outs)
        return build(outs)
    return run
