"""The autodiff fuzzer (tests/fuzz/adgen.py, adcheck.py, adsecond.py): a seeded slice of random
differentiable programs, each differentiated by tj.grad (compiled, eager, jit(grad), grad(jit)) and
tj.jvp and compared with central finite differences and jax.grad; of each kind (float64, float32,
complex, Hessian-vector products) one or more. ``--runslow`` runs a longer slice;
``python -m tests.fuzz --grad --kind f64,f32,complex,hvp --programs N --seed S`` runs a campaign.
"""
from __future__ import annotations

import pytest

from tests.fuzz.adcampaign import verdict
from tests.fuzz.adcheck import BUGS, check
from tests.fuzz.adgen import generate_ad

FAST = [("f64", 19_000_000 + k) for k in range(2)] + [("f32", 19_100_001), ("complex", 19_100_000),
                                                      ("hvp", 19_100_003)]
SLOW = [("f64", 20_000_000 + k) for k in range(200)] + [
    (kind, 21_000_000 + k) for kind in ("f32", "complex", "hvp") for k in range(60)]


def _run(kind: str, seed: int, tmp_path) -> dict:
    program = generate_ad(seed, kind)
    result = verdict(program, str(tmp_path), timeout=120.0)
    assert result["class"] not in BUGS + ("generator-error",), \
        f"{result['class']}: {result.get('message')}\n{program.module_source()}\n{result.get('traceback', '')}"
    return result


@pytest.mark.parametrize("kind, seed", FAST)
def test_grad_fuzz(kind, seed, tmp_path):
    _run(kind, seed, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("kind, seed", SLOW)
def test_grad_fuzz_slow(kind, seed, tmp_path):
    _run(kind, seed, tmp_path)


def test_generator_covers_the_features():
    seen = set()
    for k in range(200):
        seen |= generate_ad(k).features
    assert {"elementwise", "broadcast", "reduce", "logsumexp", "view", "matmul", "concatenate", "stack", "gather",
            "boolean-index", "inplace", "cumsum", "sort", "linalg", "python-loop", "python-loop-write", "fori_loop",
            "while_loop", "cond", "if"} <= seen, seen


def test_check_catches_a_wrong_gradient(tmp_path, monkeypatch):
    """The check must fail when the gradient is wrong (a fuzzer that cannot fail finds nothing)."""
    import tracejit as tj
    from tests.fuzz import adcheck
    real = tj.grad

    def off_by_a_bit(f, argnums=0, **kw):
        g = real(f, argnums=argnums, **kw)
        return lambda *a: tuple(x * 1.001 for x in g(*a))
    monkeypatch.setattr(adcheck.tj, "grad", off_by_a_bit)
    verdicts = [check(generate_ad(s), str(tmp_path), use_jax=False)["class"] for _, s in FAST[:2]]
    assert "wrong-grad" in verdicts, verdicts


def test_check_skips_unstable_points(tmp_path):
    """A function with jumps at the finite-difference scale is not a verdict (skip-kink)."""
    from tests.fuzz.adgen import ADProgram
    program = ADProgram(7, ["return np.sum(np.floor(x * 1e5) * 1e-5 + np.sin(x))"], {"x": (4,)})
    assert check(program, str(tmp_path), use_jax=False)["class"] == "skip-kink"
    smooth = ADProgram(7, ["return np.sum(np.sin(x) * x)"], {"x": (4,)})
    assert check(smooth, str(tmp_path), use_jax=False)["class"] == "ok"


def test_generator_kinds():
    """float32 programs keep float32 constants; complex ones have complex arguments and compare
    real parts; every kind's programs run under NumPy to a real scalar of the expected dtype."""
    import numpy as np
    for k in range(30):
        p32, pc = generate_ad(k, "f32"), generate_ad(k, "complex")
        assert p32.dtypes == {"x": "float32", "y": "float32"} and "np.float64" not in p32.function_source()
        assert "np.eye(" not in p32.function_source() or "dtype=np.float32" in p32.function_source()
        assert pc.dtypes["x"] == "complex128" and "np.linalg" not in pc.function_source()
        assert generate_ad(k, "hvp").function_source() == generate_ad(k).function_source()
    assert generate_ad(5, "f64").function_source() == generate_ad(5).function_source()
    scope: dict = {}
    exec(compile(generate_ad(3, "complex").module_source(), "<complex>", "exec"), scope)  # noqa: S102
    out = scope["f"](np.ones(scope["SHAPES"]["x"]) * (0.5 + 0.25j), np.full(scope["SHAPES"]["y"], 0.3 + 0j))
    assert np.isrealobj(out)


def test_check_catches_wrong_dtypes_and_conventions(tmp_path, monkeypatch):
    """A float64 gradient of float32 arguments is ``wrong-dtype``; the conjugate of JAX's complex
    gradient (df/dx + 1j df/dy) is ``wrong-grad``."""
    import numpy as np

    import tracejit as tj
    from tests.fuzz import adcheck
    real = tj.grad

    def widened(f, argnums=0, **kw):
        g = real(f, argnums=argnums, **kw)
        return lambda *a: tuple(np.asarray(x, np.float64) for x in g(*a))
    monkeypatch.setattr(adcheck.tj, "grad", widened)
    assert check(generate_ad(19_100_001, "f32"), str(tmp_path), use_jax=False)["class"] == "wrong-dtype"

    def conjugated(f, argnums=0, **kw):
        g = real(f, argnums=argnums, **kw)
        return lambda *a: tuple(np.conj(x) for x in g(*a))
    monkeypatch.setattr(adcheck.tj, "grad", conjugated)
    assert check(generate_ad(19_100_000, "complex"), str(tmp_path), use_jax=False)["class"] == "wrong-grad"


def test_check_catches_a_wrong_hessian_product(tmp_path, monkeypatch):
    """Second derivatives: a jvp off by a bit is ``wrong-hvp`` (forward over reverse and forward
    over forward both go through tj.jvp)."""
    import tracejit as tj
    from tests.fuzz import adsecond
    real = tj.jvp

    def off_by_a_bit(f, primals, tangents, **kw):
        out, tangent = real(f, primals, tangents, **kw)
        return out, tuple(t * 1.001 for t in tangent) if isinstance(tangent, tuple) else tangent * 1.001
    monkeypatch.setattr(adsecond.tj, "jvp", off_by_a_bit)
    assert verdict(generate_ad(19_100_003, "hvp"), str(tmp_path), use_jax=False)["class"] == "wrong-hvp"
