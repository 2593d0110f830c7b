"""Regressions found by the autodiff fuzzer (``python -m tests.fuzz --grad``, tests/fuzz/adgen.py):
each test is a minimized program, checked against finite differences or NumPy."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj


def central(f, args, dirs, h=1e-6):
    """The central finite difference of ``f`` at ``args`` along ``dirs``."""
    plus = f(*[a + h * d for a, d in zip(args, dirs)])
    minus = f(*[a - h * d for a, d in zip(args, dirs)])
    return (plus - minus) / (2 * h)


def check_grad(f, *args, rtol=1e-6):
    """tj.grad (compiled and under jit) and tj.jvp of ``f`` against central differences."""
    rng = np.random.default_rng(0)
    dirs = [rng.standard_normal(np.shape(a)) for a in args]
    argnums = tuple(range(len(args)))
    numeric = central(f, args, dirs)
    for g in (tj.grad(f, argnums=argnums)(*args), tj.jit(tj.grad(f, argnums=argnums))(*args)):
        directional = sum(np.sum(gi * d) for gi, d in zip(g, dirs))
        assert abs(directional - numeric) <= rtol * max(1.0, abs(numeric)), (directional, numeric)
    _, tangent = tj.jvp(f, args, tuple(dirs))
    assert abs(tangent - numeric) <= rtol * max(1.0, abs(numeric)), (tangent, numeric)


@pytest.mark.parametrize("shapes", [((4,), (4,)), ((3, 4), (4,)), ((3, 4), (2, 4)), ((2, 3, 4), (5, 4)),
                                    ((), (3,))])
def test_inner_is_traced_and_differentiable(shapes):
    """np.inner was a host call: jit ran it, but grad refused it (fuzz seed 2000018)."""
    rng = np.random.default_rng(1)
    a, b = (rng.standard_normal(s) for s in shapes)
    np.testing.assert_allclose(tj.jit(np.inner)(a, b), np.inner(a, b), rtol=1e-12)
    check_grad(lambda a, b: np.sum(np.sin(np.inner(a, b))), a, b)


def test_inner_misaligned_is_numpys_error():
    with pytest.raises(ValueError, match="not aligned"):
        tj.jit(lambda a, b: np.inner(a, b))(np.ones((3, 4)), np.ones(3))
