"""The differential fuzzer (tests/fuzz): a fixed, seeded slice of random programs run
jitted against eager NumPy in worker subprocesses (a crash fails one program, not the run);
``--runslow`` runs a longer slice. Plus unit tests of the fuzzer's own parts.

A failing program prints its class, message and the path of a standalone repro script
(``python THAT_FILE`` reruns it; ``python -m tests.fuzz --replay THAT_FILE`` classifies it).
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from tests.fuzz import errmodel, harness
from tests.fuzz.campaign import BUGS, program_seed, write_repro
from tests.fuzz.cfgen import expect_of, generate_any, generate_cf, is_cf_seed
from tests.fuzz.pool import Pool
from tests.fuzz.program import generate
from tests.fuzz.rnggen import generate_random

FAST = [program_seed(14, k) for k in range(36)]
SLOW = [program_seed(15, k) for k in range(240)]
FAST_CF = [program_seed(16, k) for k in range(24)]  # Python control flow (tests/fuzz/cfgen.py)
SLOW_CF = [program_seed(17, k) for k in range(160)]
FAST_RANDOM = [program_seed(18, k) for k in range(8)]  # drawing random numbers (tests/fuzz/rnggen.py)


@pytest.fixture(scope="module")
def verdicts(request, tmp_path_factory):
    """Run every selected program once on a pool of two workers; verdicts by seed."""
    slow = request.config.getoption("--runslow")
    seeds = FAST + (SLOW if slow else [])
    out = tmp_path_factory.mktemp("fuzz")
    programs = {s: generate(s) for s in seeds}
    programs.update({s: generate_cf(s) for s in FAST_CF + (SLOW_CF if slow else [])})
    programs.update({s: generate_random(s) for s in FAST_RANDOM})
    seeds = list(programs)
    found: dict = {}
    pool = Pool(2, out / "logs", timeout=120.0)
    try:
        pool.run(({"id": k, "seed": s, "source": programs[s].module_source()} for k, s in enumerate(seeds)),
                 lambda job, v: found.__setitem__(job["seed"], v))
    finally:
        pool.close()
    return {"out": out, "programs": programs, "verdicts": found}


def _check(verdicts, seed: int) -> None:
    v = verdicts["verdicts"][seed]
    if v["class"] in BUGS:
        path = write_repro(verdicts["out"], verdicts["programs"][seed], v)
        pytest.fail(f"{v['class']} (call {v.get('call')}): {v.get('message', '')[:500]}\n"
                    f"repro: {path}\n{verdicts['programs'][seed].function_source()}", pytrace=False)


@pytest.mark.parametrize("seed", FAST)
def test_random_program(verdicts, seed):
    _check(verdicts, seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SLOW)
def test_random_program_long(verdicts, seed):
    _check(verdicts, seed)


@pytest.mark.parametrize("seed", FAST_CF)
def test_random_control_flow_program(verdicts, seed):
    _check(verdicts, seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SLOW_CF)
def test_random_control_flow_program_long(verdicts, seed):
    _check(verdicts, seed)


@pytest.mark.parametrize("seed", FAST_RANDOM)
def test_random_numbers_program(verdicts, seed):
    _check(verdicts, seed)


# -- the fuzzer's own parts ----------------------------------------------------------------------


def test_generation_is_deterministic():
    a, b = generate(123), generate(123)
    assert a.module_source() == b.module_source()
    assert generate(124).function_source() != a.function_source()


def test_programs_run_eagerly():
    """Every generated program runs eagerly on each call's inputs (what the jit is compared
    with), or raises where its last statement is meant to."""
    from tests.fuzz.stmts import Raising
    for seed in range(30):
        p = generate(seed)
        scope: dict = {}
        exec(p.function_source(), {"np": np, "tj": __import__("tracejit")}, scope)
        raises = next((s.raises for s in p.stmts if isinstance(s, Raising)), [None] * len(p.specs))
        for call_specs, expected in zip(p.specs, raises):
            try:
                with np.errstate(all="ignore"):
                    scope["f"](*harness.build_args(call_specs))
            except Exception as error:  # noqa: BLE001
                assert type(error).__name__ == expected, (seed, error)
            else:
                assert expected is None, seed


def test_control_flow_programs():
    """Control-flow programs are deterministic, hold traced-looking control flow, and run
    eagerly on at least one call (a call that raises eagerly must raise under the jit)."""
    a, b = generate_cf(7), generate_cf(7)
    assert a.module_source() == b.module_source()
    sources = [generate_cf(seed).function_source() for seed in range(40)]
    for word in ("if ", "while ", "for ", " else ", "break", "continue", ".append(", "len(", ":i", "[i"):
        assert any(word in src for src in sources), word
    p = generate_cf(3)
    assert expect_of(p) == p.expect and len(p.expect) == 3
    assert generate_any(2).function_source() == generate_cf(2).function_source() and is_cf_seed(2)
    assert generate_any(3).function_source() == generate(3).function_source()


def test_build_args_layouts_and_aliasing():
    spec = {"kind": "array", "dtype": "float32", "shape": [3, 4], "fill": "normal", "seed": 5}
    base = harness.make_array(dict(spec, layout="C"))
    for layout in ("F", "T", "neg", "step", "mis", "ro", "be", "bcast"):
        arr = harness.make_array(dict(spec, layout=layout))
        assert arr.shape == (3, 4)
        if layout != "bcast":
            np.testing.assert_array_equal(arr, base)
    assert not harness.make_array(dict(spec, layout="F")).flags.c_contiguous
    assert harness.make_array(dict(spec, layout="mis")).ctypes.data % 4
    a, b = harness.build_args([dict(spec, kind="array", layout="C"), {"kind": "same", "of": 0}])
    assert a is b


def test_compare_leaf_rules():
    f32 = np.float32
    assert harness.compare_leaf(np.float64(1.0), np.float64(1.0), 0) is None
    assert harness.compare_leaf(np.array(1.0), np.float64(1.0), 0)[0] == "wrong-shape"
    assert harness.compare_leaf(np.float64(3.0), 3.0, 0) is None           # documented: NumPy scalar for Python
    assert harness.compare_leaf(np.float32(3.0), 3.0, 0)[0] == "wrong-dtype"
    assert harness.compare_leaf(np.int64(0), 2**64, 0)[0] == "wrong-value"
    assert harness.compare_leaf(np.array([1.0, np.nan]), np.array([1.0, np.nan]), 0) is None
    assert harness.compare_leaf(np.array([1.0, 2.0]), np.array([1.0, np.nan]), 1.0)[0] == "wrong-value"
    assert harness.compare_leaf(np.array([f32(1) + np.spacing(f32(1))]), np.array([f32(1)]), 0)[0] == "wrong-value"
    assert harness.compare_leaf(np.array([f32(1) + np.spacing(f32(1))]), np.array([f32(1)]), 1e-6) is None
    assert harness.compare_leaf(np.array([5.0]), np.array([1.0]), None) is None   # not comparable: only kind
    assert harness.compare_leaf(np.zeros(3, np.int32), np.zeros(3, np.int64), None)[0] == "wrong-dtype"


def test_error_model():
    x = np.linspace(-3, 3, 50)
    assert errmodel.perturb(np.add, [x, x], [0.0, 0.0], x + x, 0) == 0
    e = errmodel.perturb(np.sin, [x], [1e-12], np.sin(x), 8)
    assert 1e-12 <= e < 1e-10
    assert errmodel.perturb(np.greater, [x, np.float64(0.0)], [1e-12, 0.0], x > 0, 0) == 0   # no element near 0
    assert errmodel.perturb(np.greater, [x, np.float64(x[10])], [1e-12, 0.0], x > x[10], 0) is None
    assert errmodel.astype(np.array([np.nan]), 0.0, np.array([0], np.int32)) is None   # undefined in C
    assert errmodel.reduction("sum", np.ones(100, np.float32), 0.0, np.float32(100)) > 0
    assert errmodel.reduction("cumsum", np.ones(100, np.float32), 0.0, np.ones(100, np.float32)) == 0
    assert math.isclose(errmodel.mag_of(np.array([1.0, -7.0, np.inf])), 7.0)
    # a negative base to an inexact exponent within its bound of an odd integer: nan or -inf
    base, y = np.arange(-3, 4, 1.0), np.float32(415766.88)
    assert errmodel.perturb(np.power, [base, y], [0.0, 0.2], np.power(base, y), 0) is None
    # BLAS skips zero elements, so nan * 0 may not reach NumPy's product: not comparable
    a, v = np.full((3, 1), np.nan), np.zeros(1)
    assert errmodel.product(a, v, 1, 0.0, 0.0, a @ v) is None


def test_a_wrong_result_is_caught(tmp_path: Path):
    """The harness catches a deliberately wrong jit (a stale result) and a crash is reported."""
    p = generate(program_seed(14, 0))
    src = p.module_source().replace("    g = tj.jit(f)\n", "    g = lambda *a: 0\n")
    pool = Pool(1, tmp_path, timeout=60)
    got: list = []
    try:
        pool.run([{"id": 0, "source": src},
                  {"id": 1, "source": "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n"}],
                 lambda job, v: got.append(v["class"]))
    finally:
        pool.close()
    assert got[0] in ("wrong-shape", "wrong-dtype", "wrong-value", "wrong-exception") and got[1] == "crash"


def test_issue17_rows_run_eagerly():
    """Every row of tests/fuzz/libops.py renders to source NumPy runs on some input of its kinds."""
    from tests.fuzz import params
    from tests.fuzz.exprs import apply_op
    from tests.fuzz.libops import LIBRARY
    rng = np.random.default_rng(17)
    inputs = {"f": np.linspace(-2.5, 3.0, 12).reshape(3, 4), "i": np.arange(-5, 7).reshape(3, 4),
              "u": np.arange(12, dtype=np.uint8).reshape(3, 4), "b": np.arange(12).reshape(3, 4) % 3 == 0,
              "c": (np.linspace(-2.5, 3.0, 12) + 1j).reshape(3, 4)}
    for op in LIBRARY:
        x = inputs[next(k for k in "fiubc" if k in op.kinds)]
        ok = []
        for _ in range(8):
            drawn = params.draw(rng, params.fields(op.tmpl), [x])
            try:
                operands = [x, x.T] if op.pair == "matmul" else [x] * op.arity
                out = apply_op(op, drawn, operands, {"np": np})
            except Exception:  # noqa: BLE001 - some draws are invalid (the generator drops them)
                continue
            ok.append(np.asarray(out).dtype)
        assert ok, f"{op.name}: {op.tmpl} never runs"


def test_scipy_group_is_opt_in(monkeypatch):
    """The SciPy rows (tests/fuzz/sciops.py) are drawn only with ``--weight scipy=W``: the default
    mix never calls SciPy (its programs are those it was); with a weight, programs call SciPy,
    import what they call, and run eagerly from the rendered source (checked by ``generate``)."""
    from tests.fuzz import ops, sciops
    pytest.importorskip("scipy")
    assert ops.GROUP_WEIGHTS["scipy"] == 0.0
    assert not any("scipy." in generate(program_seed(14, k)).function_source() for k in range(3))
    monkeypatch.setitem(ops.GROUP_WEIGHTS, "scipy", 8.0)
    programs = [generate(program_seed(9000, k)) for k in range(3)]
    assert any("scipy." in p.function_source() for p in programs)
    for p in programs:
        src = p.module_source()
        assert ("import scipy.linalg\n" in src) == ("scipy." in p.function_source())
    x = np.linspace(-1.0, 1.0, 6)
    op = next(o for o in sciops.SCIPY if o.name == "uniform_filter")
    assert sciops.sci_err(op, {"fsize": "3", "fmode": ""}, [x], [0.0], x) <= 1e-14  # exact inputs: rounding
    assert sciops.sci_err(op, {"fsize": "3", "fmode": ""}, [x], [1e-9], x) >= 1e-9  # an input's error passes on
    assert sciops.sci_err(op, {"fsize": "3", "fmode": ""}, [x], [None], x) is None


def test_random_programs_compare_draws_and_generator_states(tmp_path: Path):
    """Programs of rnggen.py draw from argument, list and captured generators (eager and jit from the
    same seeds); a jit that draws once more than eager is caught by the generators' states."""
    p = generate_random(program_seed(18, 0))
    assert p.function_source() == generate_random(program_seed(18, 0)).function_source()
    sources = "".join(generate_random(program_seed(18, k)).function_source() for k in range(30))
    for form in ("rng.", "gens[", "G.", "HOLD.draw", "np.ones(int("):
        assert form in sources, form
    src = p.module_source().replace("    g = tj.jit(f)\n", "    g = lambda *a: (f(*a), a[2].random())[0]\n")
    pool = Pool(1, tmp_path, timeout=60)
    got: list = []
    try:
        pool.run([{"id": 0, "source": src}, {"id": 1, "source": p.module_source()}],
                 lambda job, v: got.append((v["class"], v.get("message", ""))))
    finally:
        pool.close()
    assert got[0][0] == "wrong-mutation" and "generator" in got[0][1], got
    assert got[1][0] in ("ok", "unsupported"), got
