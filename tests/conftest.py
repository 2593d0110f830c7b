"""Shared test helpers: differential comparison of jit results against NumPy eager."""
from __future__ import annotations

import os

os.environ.setdefault("TRACEJIT_CACHE", "0")  # tests (and their subprocesses) start cold;
# tests/test_diskcache.py turns the persistent cache on in temporary directories
os.environ.setdefault("TRACEJIT_VERIFY", "1")  # check the graph and the kernel program after every pass

import numpy as np
import pytest

from tracejit.frontend.tree import flatten


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="run slow sweeps")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long sweeps, run with --runslow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow sweep: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def ulp_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance in units in the last place, NaNs equal, equal infinities 0."""
    a, b = np.asarray(a), np.asarray(b)
    both_nan = np.isnan(a) & np.isnan(b)
    same = (a == b) | both_nan
    spacing = np.spacing(np.maximum(np.abs(a), np.abs(b)).astype(a.dtype))
    with np.errstate(all="ignore"):
        d = np.abs(a.astype(np.float64) - b.astype(np.float64)) / spacing.astype(np.float64)
    return np.where(same, 0.0, np.where(np.isnan(d), np.inf, d))


def assert_same(actual, expected, ulps: float = 0, rtol: float = 0.0, atol: float = 0.0, what: str = ""):
    """jit result == eager result: same nesting, dtypes and shapes; values exactly equal
    (bit-for-bit up to NaN payloads) unless ``ulps``/``rtol`` allow rounding differences."""
    a_leaves, a_tree = flatten(actual)
    e_leaves, e_tree = flatten(expected)
    assert a_tree == e_tree, f"{what}: result structure {a_tree} != {e_tree}"
    for i, (a, e) in enumerate(zip(a_leaves, e_leaves)):
        tag = f"{what}[{i}]"
        if not isinstance(e, (np.ndarray, np.generic)):
            assert a == e, f"{tag}: {a!r} != {e!r}"
            continue
        a_arr, e_arr = np.asarray(a), np.asarray(e)
        assert a_arr.dtype == e_arr.dtype, f"{tag}: dtype {a_arr.dtype} != {e_arr.dtype}"
        assert a_arr.shape == e_arr.shape, f"{tag}: shape {a_arr.shape} != {e_arr.shape}"
        if e_arr.dtype.kind != "f" or (not ulps and not rtol and not atol):
            np.testing.assert_array_equal(a_arr, e_arr, err_msg=tag, strict=True)
        elif ulps:
            d = ulp_distance(a_arr, e_arr)
            close = d <= ulps
            if atol:
                close |= np.abs(a_arr.astype(np.float64) - e_arr) <= atol
            assert close.all(), f"{tag}: {int((~close).sum())} elements differ by more than {ulps} ulp " \
                                f"(max {d.max()}); e.g. {a_arr[~close][:5]} vs {e_arr[~close][:5]}"
        else:
            np.testing.assert_allclose(a_arr, e_arr, rtol=rtol, atol=atol, err_msg=tag, equal_nan=True)


def check_jit(fn, *args, ulps: float = 0, rtol: float = 0.0, atol: float = 0.0, **kwargs):
    """Run ``fn`` eagerly and jitted on the same inputs and compare."""
    import tracejit as tj
    with np.errstate(all="ignore"):
        expected = fn(*args, **kwargs)
    f = tj.jit(fn)
    with np.errstate(all="ignore"):
        actual = f(*args, **kwargs)
    assert_same(actual, expected, ulps=ulps, rtol=rtol, atol=atol, what=getattr(fn, "__name__", "fn"))
    return f


@pytest.fixture
def serial():
    """tracejit's compiled code on one thread inside the test (results comparable bit for bit)."""
    from tracejit import config
    saved = config.num_threads
    config.num_threads = 1
    yield
    config.num_threads = saved


@pytest.fixture
def restored_config():
    """tracejit.config as it was before the test, whatever the test (an example) changed."""
    from tracejit import config
    saved = dict(vars(config))
    yield
    for key, value in saved.items():
        if getattr(config, key) != value:
            setattr(config, key, value)
