"""Every program of the corpus (benchmarks/programs) matches eager NumPy: what it returns
and what it writes into its arguments, on inputs other than those it was compiled for."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from benchmarks.programs import NAMES, arguments, fresh, programs
from tests.conftest import assert_same

PROGRAMS = dict(zip(NAMES, programs()))


@pytest.mark.parametrize("name", NAMES)
def test_program_matches_eager(name):
    program = PROGRAMS[name]
    f = tj.jit(program.kernel)
    for seed in (1, 2):  # the second call runs the compiled code on other values
        args = arguments(program, "test", seed)
        eager, jitted = fresh(args), fresh(args)
        with np.errstate(all="ignore"):
            want = program.kernel(*eager)
            got = f(*jitted)
        tol = dict(rtol=2e-5, atol=1e-6) if any(getattr(a, "dtype", None) == np.float32 for a in args) \
            else dict(rtol=1e-11, atol=1e-12)
        assert_same(got, want, what=f"{name} result", **tol)
        for i, (e, j) in enumerate(zip(eager, jitted)):
            if isinstance(e, np.ndarray):
                assert_same(j, e, what=f"{name} argument {i}", **tol)
    assert f.cache_info().traces == 1
