"""Placeholder evaluation of a host call while tracing (``frontend/hostcall.py``): the real
function run on arrays of its operands' shapes and dtypes, to learn its results' layout.

Fillings: zeros, ones and two well-conditioned random ones (uniform in [0.5, 1) plus n
times the identity on square trailing axes, so ``inv``/``cholesky`` work), read-only as
the program's buffers are at run time, warnings silenced, with NumPy's global
``RandomState`` and every generator among the arguments snapshotted and restored around
them, so no user stream advances. Results of different layouts on different fillings mark
a result size that depends on the values. Functions known to size their results from
their arguments' shapes alone (:data:`SHAPE_STABLE`) and any call whose first
evaluation took over :data:`SLOW_PLACEHOLDER_S` are evaluated once, not four times, when
every traced operand is an array (a traced scalar may be an ``n=`` or ``axis=``):
that is most of a first call's cost when the call is large (an ``einsum`` or ``solve``);
the run-time check of every result's shape still catches one of another layout.
"""
from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Callable

import numpy as np

from tracejit.frontend.tree import unflatten

# functions whose results' shapes and dtypes follow from their arguments' alone: evaluated
# on one filling while tracing, not four (a large ``einsum`` or ``solve`` costs seconds)
SHAPE_STABLE = frozenset({
    "numpy.einsum", "numpy.linalg.inv", "numpy.linalg.solve", "numpy.linalg.cholesky", "numpy.linalg.det",
    "numpy.linalg.slogdet", "numpy.linalg.eigh", "numpy.linalg.eigvalsh", "numpy.linalg.qr", "numpy.linalg.svd",
    "numpy.linalg.pinv", "numpy.linalg.matrix_power", "numpy.linalg.norm", "numpy.vander", "numpy.convolve",
    "numpy.correlate", "numpy.gradient", "numpy.kron", "numpy.tensordot", "numpy.outer", "numpy.dot", "numpy.matmul"})
SHAPE_STABLE_MODULES = ("numpy.fft.",)
SLOW_PLACEHOLDER_S = 0.5  # a first evaluation this slow is not repeated on the other fillings
FILLINGS = (2, 3, 1, 0, 4)  # random, random, ones, zeros, spread: the first that works gives the layout
PROBABILITIES = 5  # tried when every filling fails: rows summing to 1 (rng.choice(p=), rng.multinomial)


def evaluate(func: Callable, name: str, tree: Any, leaves: list, slots: list[tuple]) -> list[tuple]:
    """(result, None) or (None, error) of ``func`` (called ``name``) on each filling of the
    operands ``slots`` ((position, AVal, scalar, Python kind)) among the static ``leaves``."""
    rng = np.random.RandomState(20261207)
    # a traced scalar may size the result (n=, axis=): then every filling is tried
    once = all(not scalar and kind is None for _, _, scalar, kind in slots) and \
        (name in SHAPE_STABLE or name.startswith(SHAPE_STABLE_MODULES))
    bound = index_bound([aval.shape for _, aval, scalar, _ in slots if not scalar]
                        + [np.shape(leaf) for leaf in leaves if type(leaf) is np.ndarray])
    outcomes = []
    with streams_kept([func] + [leaf for leaf in leaves if leaf is not None]):
        for k in FILLINGS:
            start = time.perf_counter()
            outcomes.append(try_filling(func, tree, leaves, slots, k, rng, bound))
            slow = time.perf_counter() - start > SLOW_PLACEHOLDER_S
            if outcomes[-1][1] is None and (once or slow and all(not s[2] and s[3] is None for s in slots)):
                break
        if all(error is not None for _, error in outcomes):
            outcome = try_filling(func, tree, leaves, slots, PROBABILITIES, rng)
            if outcome[1] is None:
                outcomes.insert(0, outcome)
    return outcomes


def index_bound(shapes: list[tuple]) -> int | None:
    """The smallest positive length of the call's array operands' axes: integer arrays are
    filled below it (None: no bound), so each value indexes every axis."""
    lengths = [n for shape in shapes for n in shape if n > 0]
    return min(lengths) if lengths else None


def placeholder(k: int, shape: tuple, dtype: np.dtype, rng: np.random.RandomState,
                bound: int | None = None) -> np.ndarray:
    """Filling ``k`` of a placeholder: zeros, ones, then well-conditioned random values;
    integers below ``bound`` where given (C code trusts index arguments: LAPACK's pivots of
    ``scipy.linalg.lu_solve`` past the matrix corrupted memory)."""
    value = np.asarray(_filling(k, shape, dtype, rng))  # (ufuncs on 0-d arrays return NumPy scalars)
    if bound is not None and dtype.kind in "iu" and k:
        value = (value.astype(np.int64) % bound).astype(dtype)
    return value


def _filling(k: int, shape: tuple, dtype: np.dtype, rng: np.random.RandomState) -> np.ndarray | np.generic:
    if k == 0:
        return np.zeros(shape, dtype)
    if k == 1:
        return np.ones(shape, dtype)
    if k == 4:  # values of both signs and several magnitudes (peaks, bins by the data, thresholds)
        return _spread(shape, dtype, rng)
    x = rng.uniform(0.5, 1.0, shape)
    if k == PROBABILITIES and dtype.kind in "fc":
        return (x / x.sum(axis=-1, keepdims=True)).astype(dtype) if x.ndim else np.ones(shape, dtype)
    if len(shape) >= 2 and shape[-1] == shape[-2]:
        x = x + shape[-1] * np.eye(shape[-1])
    if dtype.kind == "b":
        return x > 0.75
    if dtype.kind in "iu":
        return np.ceil(x * 4).astype(dtype)
    if dtype.kind == "c":
        return (x + 0.25j * rng.uniform(0.5, 1.0, shape)).astype(dtype)
    return x.astype(dtype)


def _spread(shape: tuple, dtype: np.dtype, rng: np.random.RandomState) -> np.ndarray:
    if dtype.kind == "b":
        return rng.uniform(size=shape) > 0.5
    if dtype.kind in "iu":
        return rng.randint(0, 10, shape).astype(dtype)
    x = rng.standard_normal(shape) * 3.0
    return (x + 0.5j * rng.standard_normal(shape)).astype(dtype) if dtype.kind == "c" else x.astype(dtype)


@contextmanager
def streams_kept(objects: list) -> Iterator[None]:
    """Restore NumPy's global ``RandomState`` and every generator among ``objects`` afterwards."""
    saved = []
    random = np.random
    for obj in objects:
        owner = getattr(obj, "__self__", obj)
        bitgen = owner.bit_generator if isinstance(owner, random.Generator) else owner
        if isinstance(bitgen, random.BitGenerator):
            saved.append((bitgen, bitgen.state))
        elif isinstance(owner, random.RandomState):
            saved.append((owner, owner.get_state()))
    legacy = random.get_state()
    try:
        yield
    finally:
        random.set_state(legacy)
        for obj, state in saved:
            if isinstance(obj, random.RandomState):
                obj.set_state(state)
            else:
                obj.state = state


def try_filling(func: Callable, tree: Any, leaves: list, slots: list[tuple], k: int,
                rng: np.random.RandomState, bound: int | None = None) -> tuple:
    """(result, None) of ``func`` on filling ``k`` of the operands, or (None, the error);
    integer arrays below ``bound`` (:func:`placeholder`)."""
    filled = [_read_only_copy(v) if type(v) is np.ndarray else v for v in leaves]  # (writes: refused below)
    for position, aval, scalar, kind in slots:
        value = placeholder(k, aval.shape, aval.dtype, rng, None if scalar or kind is not None else bound)
        value.flags.writeable = False  # (as at run time: the operands are the program's buffers)
        if scalar or kind is not None:
            value = value[()]
            if kind is not None:
                value = kind(value)
        filled[position] = value
    args, kwargs = unflatten(tree, filled)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return func(*args, **kwargs), None
    except Exception as e:  # noqa: BLE001 - a filling the function refuses: try the next
        return None, e


def _read_only_copy(value: np.ndarray) -> np.ndarray:
    copy = value.copy()
    copy.flags.writeable = False
    return copy
