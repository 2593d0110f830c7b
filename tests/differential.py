"""Differential checks against eager NumPy for the semantics tests: results compared by value,
dtype, shape and kind (NumPy scalar or 0-d array), and every argument after the call."""
from __future__ import annotations

import copy

import numpy as np
import pytest

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



def same(got, want, rtol: float = 0.0, atol: float | None = None, python_types: bool = False,
         bits: bool = False) -> None:
    """``got`` (jit) equals ``want`` (eager): the same nesting (tuples and lists of the same type and
    length, dicts with the same keys), and per leaf the same dtype and shape, the values exactly
    (NaN equal to NaN) where ``rtol`` is 0, else within ``rtol`` and ``atol`` (default ``rtol``).
    ``python_types``: a Python number must come back as a number of the same type (approximately equal).
    ``bits``: the values' bytes equal too (NaN payloads and signed zeros included)."""
    if isinstance(want, (tuple, list)):
        assert type(got) is type(want) and len(got) == len(want), (type(got), type(want), got, want)
        for g, w in zip(got, want):
            same(g, w, rtol, atol, python_types, bits)
        return
    if isinstance(want, dict):
        assert isinstance(got, dict) and got.keys() == want.keys(), (got, want)
        for k in want:
            same(got[k], want[k], rtol, atol, python_types, bits)
        return
    if python_types and isinstance(want, (bool, int, float)):
        assert type(got) is type(want), (got, want)
        assert got == pytest.approx(want)
        return
    got_arr, want_arr = np.asarray(got), np.asarray(want)
    assert got_arr.dtype == want_arr.dtype and got_arr.shape == want_arr.shape, \
        (got_arr.dtype, got_arr.shape, want_arr.dtype, want_arr.shape)
    if rtol:
        np.testing.assert_allclose(got_arr, want_arr, rtol=rtol, atol=rtol if atol is None else atol)
    else:
        np.testing.assert_array_equal(got_arr, want_arr)
    if bits:
        assert got_arr.tobytes() == want_arr.tobytes(), (got_arr, want_arr)
