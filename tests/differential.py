"""Differential checks against eager NumPy for the semantics tests: results compared by value,
dtype, shape and kind (NumPy scalar or 0-d array), and every argument after the call."""
from __future__ import annotations

import copy

import numpy as np

import tracejit as tj
from tests.conftest import assert_same


def _run(fn, args):
    try:
        with np.errstate(all="ignore"):
            return fn(*args)
    except Exception as e:  # noqa: BLE001 - compared by type
        return e


def clone(x):
    """A copy of ``x`` with the same strides (``copy.deepcopy`` would make it contiguous)."""
    if isinstance(x, (list, tuple)):
        return type(x)(clone(v) for v in x)
    if not isinstance(x, np.ndarray) or x.ndim == 0 or x.size == 0:
        return copy.deepcopy(x)
    lo = sum((n - 1) * s for n, s in zip(x.shape, x.strides) if s < 0)
    hi = sum((n - 1) * s for n, s in zip(x.shape, x.strides) if s > 0)
    buffer = np.zeros((hi - lo) // x.itemsize + 1, x.dtype)
    out = np.lib.stride_tricks.as_strided(buffer[-lo // x.itemsize:], x.shape, x.strides)
    out[...] = x
    return out


def check(fn, *args, ulps: float = 0):
    """jit and eager agree on the result (value, dtype, shape, scalar or array) and on
    every argument afterwards (called on copies laid out as ``args``); when eager raises,
    jit raises the same exception type."""
    eager_args, jit_args = clone(args), clone(args)
    want = _run(fn, eager_args)
    got = _run(tj.jit(fn), jit_args)
    if isinstance(want, Exception):
        assert isinstance(got, type(want)), f"eager raised {want!r}, jit gave {got!r}"
        return got
    assert not isinstance(got, Exception), f"jit raised {got!r}, eager gave {want!r}"
    _same_kind(got, want)
    assert_same(got, want, ulps=ulps)
    assert_same(list(jit_args), list(eager_args), what="arguments after the call")
    return got


def _same_kind(got, want):
    if isinstance(want, (tuple, list)):
        for g, w in zip(got, want):
            _same_kind(g, w)
    elif isinstance(want, (np.ndarray, np.generic)):
        assert isinstance(got, np.ndarray) == isinstance(want, np.ndarray), \
            f"{type(got).__name__} where NumPy gives {type(want).__name__}"

