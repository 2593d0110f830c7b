"""The autodiff fuzzer (tests/fuzz/adgen.py, adcheck.py): a seeded slice of random differentiable
programs, each differentiated by tj.grad (compiled, eager, jit(grad), grad(jit)) and tj.jvp and
compared with central finite differences and jax.grad. ``--runslow`` runs a longer slice;
``python -m tests.fuzz --grad --programs N --seed S`` runs a campaign.
"""
from __future__ import annotations

import pytest

from tests.fuzz.adcheck import BUGS, check
from tests.fuzz.adgen import generate_ad

FAST = [19_000_000 + k for k in range(3)]
SLOW = [20_000_000 + k for k in range(200)]


def _run(seed: int, tmp_path) -> dict:
    program = generate_ad(seed)
    verdict = check(program, str(tmp_path), timeout=120.0)
    assert verdict["class"] not in BUGS + ("generator-error",), \
        f"{verdict['class']}: {verdict.get('message')}\n{program.function_source()}\n{verdict.get('traceback', '')}"
    return verdict


@pytest.mark.parametrize("seed", FAST)
def test_grad_fuzz(seed, tmp_path):
    _run(seed, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SLOW)
def test_grad_fuzz_slow(seed, tmp_path):
    _run(seed, tmp_path)


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
    verdicts = [check(generate_ad(s), str(tmp_path), use_jax=False)["class"] for s in FAST[:3]]
    assert "wrong-grad" in verdicts, verdicts


def test_check_skips_unstable_points(tmp_path):
    """A function with jumps at the finite-difference scale is not a verdict (skip-kink)."""
    from tests.fuzz.adgen import ADProgram
    program = ADProgram(7, ["return np.sum(np.floor(x * 1e5) * 1e-5 + np.sin(x))"], {"x": (4,)})
    assert check(program, str(tmp_path), use_jax=False)["class"] == "skip-kink"
    smooth = ADProgram(7, ["return np.sum(np.sin(x) * x)"], {"x": (4,)})
    assert check(smooth, str(tmp_path), use_jax=False)["class"] == "ok"
