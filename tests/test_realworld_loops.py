"""Real-world NumPy kernels with loops and data-dependent branches (tests/realworld) run under tj.jit
exactly as eagerly: values, dtypes, the arguments' contents after the call, and a second call with
new sizes."""
from __future__ import annotations

import copy

import numpy as np
import pytest

import tracejit as tj
from tests.realworld import CASES, XFAIL
from tracejit.frontend.eagerfallback import EagerFallback

REFUSED = (tj.UnsupportedError, tj.TracerConversionError)  # clear errors naming the user's line (not InternalError)


def _leaves(value):
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


def _assert_same(got, want, name):
    got_leaves, want_leaves = _leaves(got), _leaves(want)
    assert len(got_leaves) == len(want_leaves), name
    for g, w in zip(got_leaves, want_leaves):
        g_arr, w_arr = np.asarray(g), np.asarray(w)
        assert g_arr.shape == w_arr.shape, (name, g_arr.shape, w_arr.shape)
        assert g_arr.dtype == w_arr.dtype, (name, g_arr.dtype, w_arr.dtype)
        if w_arr.dtype.kind in "fc":
            np.testing.assert_allclose(g_arr, w_arr, rtol=1e-9, atol=1e-9, err_msg=name)
        else:
            np.testing.assert_array_equal(g_arr, w_arr, err_msg=name)


def _params():
    for name in CASES:
        marks = [pytest.mark.xfail(strict=True, reason=XFAIL[name], raises=REFUSED)] if name in XFAIL else []
        yield pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", list(_params()))
def test_kernel_matches_eager(name):
    kernel, make_inputs = CASES[name]
    jitted = tj.jit(kernel, fallback=name not in XFAIL)  # (the refused ones: the refusal, not the eager run)
    for scale in (0, 3):
        args = make_inputs(np.random.default_rng(scale), scale)
        eager_args, jit_args = copy.deepcopy(args), copy.deepcopy(args)
        want = kernel(*eager_args)
        got = jitted(*jit_args)
        _assert_same(got, want, name)
        _assert_same(jit_args, eager_args, name + " (arguments after the call)")


@pytest.mark.parametrize("name", sorted(XFAIL))
def test_refused_kernels_run_eagerly_by_default(name):
    """With the default fallback=True, a kernel tracing refuses runs eagerly (frontend/eagerfallback.py),
    saying so in lower().fallbacks: the same results and argument contents as eager."""
    kernel, make_inputs = CASES[name]
    jitted = tj.jit(kernel)
    args = make_inputs(np.random.default_rng(3), 3)
    eager_args, jit_args = copy.deepcopy(args), copy.deepcopy(args)
    want = kernel(*eager_args)
    _assert_same(jitted(*jit_args), want, name)
    _assert_same(jit_args, eager_args, name + " (arguments after the call)")
    lowered = jitted.lower(*copy.deepcopy(args))
    assert isinstance(lowered, EagerFallback) and lowered.fallbacks, name
