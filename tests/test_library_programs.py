"""The library-call programs of issue 17 (benchmarks/library_programs): each, jitted, matches
eager NumPy (values within the program's RTOL, dtypes and shapes exactly; random ones
bit-identical for the same seed), at two sizes through one jitted function."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from benchmarks.library import format_table
from benchmarks.library_programs import EXTRA_NAMES, NAMES, arguments, fresh, program

XFAIL: dict[str, str] = {}


def _leaves(value):
    return list(value) if isinstance(value, (tuple, list)) else [value]


def _same(got, want, rtol):
    got, want = _leaves(got), _leaves(want)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert type(g) is type(w) or (np.ndim(g) == 0 and np.ndim(w) == 0), (type(g), type(w))
        assert np.asarray(g).dtype == np.asarray(w).dtype
        assert np.shape(g) == np.shape(w)
        if rtol == 0.0 or np.asarray(w).dtype.kind in "biu":
            np.testing.assert_array_equal(g, w)
        else:
            np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol, equal_nan=True)


def _streams(args):
    states = [a.bit_generator.state for a in args if isinstance(a, np.random.Generator)]
    legacy = np.random.get_state()
    return repr(states + [legacy[0], legacy[1].tolist(), legacy[2:]])


def _run(kernel, args, seed=1234):
    """``kernel`` on fresh copies of ``args`` (NumPy's global state seeded ``seed``); its
    result and the state of every random stream afterwards."""
    copies = fresh(args)
    np.random.seed(seed)
    with np.errstate(all="ignore"):
        result = kernel(*copies)
    return result, _streams(copies)


def _partitioned(got, want, k):
    idx, d2 = got
    _same(d2, want[1], 1e-10)
    assert idx.dtype == want[0].dtype and idx.shape == want[0].shape
    part = np.take_along_axis(want[1], idx, axis=1)
    assert (np.sort(idx, axis=1) == np.arange(idx.shape[1])).all()  # a permutation of each row
    assert (part[:, :k] <= part[:, k:k + 1]).all() and (part[:, k + 1:] >= part[:, k:k + 1]).all()


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=XFAIL[n]))
                                  if n in XFAIL else n for n in NAMES] +
                         [pytest.param(n, marks=pytest.mark.slow) for n in EXTRA_NAMES])
def test_jitted_matches_eager(name):
    prog = program(name)
    f = tj.jit(prog.kernel)
    for size, seed in (("test", 0), ("test2", 1)):
        args = arguments(prog, size, seed)
        want, want_streams = _run(prog.kernel, args)
        got, got_streams = _run(f, args)
        assert got_streams == want_streams  # the same numbers drawn from the same streams
        if getattr(prog, "PARTITION_K", None):
            _partitioned(got, want, prog.SIZES[size][prog.PARTITION_K])
        else:
            _same(got, want, prog.RTOL)


def test_every_program_has_the_protocol():
    for name in NAMES + EXTRA_NAMES:
        prog = program(name)
        assert {"test", "test2", "bench"} <= set(prog.SIZES) and callable(prog.kernel), name
        assert prog.RTOL is None or 0.0 <= prog.RTOL <= 1e-6, name
    assert len(NAMES) == len(set(NAMES)) >= 30


def test_table_judges_the_target():
    rows = [{"name": "fast", "status": "ok", "first_s": 0.5, "eager_ms": 2.0, "jit_ms": 1.0, "host": ["linalg.inv"]},
            {"name": "slow", "status": "ok", "first_s": 0.5, "eager_ms": 1.0, "jit_ms": 1.2, "host": []},
            {"name": "broken", "status": "UnsupportedError: no"}]
    text = format_table(rows)
    assert "| fast | 2.000 | 1.000 | 2.00x | 0.50 | linalg.inv | ok |" in text
    assert "met       fast correct" in text
    assert "missed    slow correct and not slower than NumPy by more than 10%: 0.83x" in text
    assert "| broken | - | - | - | - | none | UnsupportedError: no |" in text
