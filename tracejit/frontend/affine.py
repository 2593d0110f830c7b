"""What tracing knows of traced integer scalars: affine forms and known ranges.

A traced 0-d integer (a loop index, a value read from data) is an unknown number, but
Python arithmetic on it by Python ints keeps a simple form: ``2*i + 1`` and ``2*i + 3``
differ by exactly 2 whatever ``i`` is. Each integer scalar tracer may carry an
:class:`Affine` (``coef * base + const`` over another tracer ``base``, built by ``+``,
``-`` and ``*`` with Python ints and sums/differences of forms over the same base), so
a slice ``x[2*i:2*i+2]`` has a static size (``frontend/numpy/dynamic.py``). A base may
also have a known range: the index of a ``tj.fori_loop`` with static bounds lies in
``[lower, upper)`` (``frontend/control.py``), so ``x[i + 1]`` or ``x[i:i+3]`` need no
run-time bounds check when the range proves them in bounds.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass, replace

import numpy as np

from tracejit.compiler.ops import get_op
from tracejit.frontend.context import current_trace


@dataclass(frozen=True)
class Affine:
    """``coef * base + const``; ``low``/``high``: the inclusive range known for ``base``
    (None: unknown), ``exact`` when the base takes every value in it."""

    base: object
    coef: int
    const: int
    low: int | None = None
    high: int | None = None
    exact: bool = False  # every value of the range occurs (a loop index with static bounds)

    def same_line(self, other: Affine) -> bool:
        """Whether the two differ by a constant (the same base value, the same coefficient)."""
        return self.coef == other.coef and same_value(self.base, other.base)

    def bounds(self) -> tuple[int, int] | None:
        """The inclusive range of the value, when the base's range is known."""
        if self.low is None or self.high is None:
            return None
        a, b = self.coef * self.low + self.const, self.coef * self.high + self.const
        return (min(a, b), max(a, b))


def _node_key(graph, node: int, depth: int) -> object:
    """A key equal for two nodes of ``graph`` that compute the same value (the same op on
    the same operands: ``x[i % 2:i % 2 + 2]`` computes ``i % 2`` twice, ``x[p[1]:p[1] + 3]``
    reads ``p[1]`` twice; every op is a pure function of its operands); sources, deep
    expressions and wide ones are keyed by their node alone."""
    op = graph.op(node)
    if depth == 0 or get_op(op).kind in ("source", "control") or len(graph.operands(node)) > 4:
        return node  # (a loop's attrs hold its sub-programs: not compared)
    attrs = repr(sorted(graph.attrs(node).items()))
    return (op, attrs, tuple(_node_key(graph, u, depth - 1) for u in graph.operands(node)))


def same_value(a: object, b: object) -> bool:
    """Whether traced scalars ``a`` and ``b`` are one value (one tracer, or one computation)."""
    if a is b:
        return True
    if a._home is not b._home:
        return False
    graph = a._home.graph
    return _node_key(graph, a._node, 6) == _node_key(graph, b._node, 6)


def _is_int_scalar(x: object) -> bool:
    """A 0-d integer of 32 or 64 bits (8- and 16-bit ones wrap at sizes arrays have: no
    form for them; where a wider one wraps, the bounds check of its use fails)."""
    dtype = getattr(x, "dtype", None)
    return getattr(x, "ndim", None) == 0 and dtype is not None and dtype.kind in "iu" and dtype.itemsize >= 4


def affine_of(x: object) -> Affine | None:
    """The affine form of a traced integer scalar (itself as base when it has none);
    None for anything else."""
    if not _is_int_scalar(x) or not hasattr(x, "_node"):
        return None
    form = x._affine
    return form if form is not None else Affine(x, 1, 0)


def _python_int(x: object) -> int | None:
    if isinstance(x, bool) or hasattr(x, "_node"):
        return None
    if isinstance(x, (int, np.integer)) or isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "iu":
        return int(x)
    return None


def set_range(x: object, low: int, high: int, exact: bool = False) -> None:
    """Record that traced integer scalar ``x`` lies in ``[low, high]`` (inclusive; with
    ``exact``, takes every value there: the index of a loop that runs through)."""
    x._affine = Affine(x, 1, 0, int(low), int(high), exact)


def every_value(x: object) -> bool:
    """Whether ``x`` takes every value of its known range (:func:`value_range`) where it
    is used: its base is the index of a loop that runs through, and the use is in that
    loop's body itself (not in a branch or an inner loop, which may not run for some)."""
    form = affine_of(x)
    return form is not None and form.exact and form.bounds() is not None and current_trace() is form.base._home


def value_range(x: object) -> tuple[int, int] | None:
    """The known inclusive range of ``x``: a Python int's own value, a traced scalar's
    when its base's range is known, else None."""
    k = _python_int(x)
    if k is not None:
        return (k, k)
    form = affine_of(x)
    return None if form is None else form.bounds()


def difference(stop: object, start: object) -> int | None:
    """``stop - start`` when it is the same for every value of the traced scalars (their
    forms lie on one line), else None."""
    a, b = affine_of(stop), affine_of(start)
    if a is None or b is None or not a.same_line(b):
        return None
    return a.const - b.const


def _combine(op, a: Affine | None, b: Affine | None, ka: int | None, kb: int | None) -> Affine | None:
    if op in (operator.add, operator.sub):
        sign = 1 if op is operator.add else -1
        if a is not None and kb is not None:
            return replace(a, const=a.const + sign * kb)
        if ka is not None and b is not None:
            return replace(b, coef=sign * b.coef, const=ka + sign * b.const)
        if a is not None and b is not None and same_value(a.base, b.base):
            coef = a.coef + sign * b.coef
            return replace(a, coef=coef, const=a.const + sign * b.const) if coef else None
        return None
    if op is operator.mul:
        if a is not None and kb is not None and kb:
            return replace(a, coef=a.coef * kb, const=a.const * kb)
        if ka is not None and b is not None and ka:
            return replace(b, coef=b.coef * ka, const=b.const * ka)
    return None


_OPS = {np.add: operator.add, np.subtract: operator.sub, np.multiply: operator.mul}


def derive(ufunc: np.ufunc, inputs: tuple, result: object) -> None:
    """Give ``result`` (``ufunc`` of ``inputs``, just traced) its affine form when it is an
    integer scalar affine in the same base as its traced operands."""
    if not _is_int_scalar(result):
        return
    if ufunc is np.negative and len(inputs) == 1:
        form = affine_of(inputs[0])
        if form is not None:
            result._affine = replace(form, coef=-form.coef, const=-form.const)
        return
    if ufunc is np.remainder and len(inputs) == 2:  # t % n, n a Python int: in [0, n) (NumPy's sign, n's)
        n = _python_int(inputs[1])
        if n and affine_of(inputs[0]) is not None:
            set_range(result, min(0, n + 1), max(0, n - 1))
        return
    op = _OPS.get(ufunc)
    if op is None or len(inputs) != 2:
        return
    a, b = inputs
    form = _combine(op, affine_of(a), affine_of(b), _python_int(a), _python_int(b))
    if form is not None and form.coef == 0:
        return
    result._affine = form
