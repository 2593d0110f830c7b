"""Size-generic code (compiler/generic_sizes.py): a new shape retraces but reuses the machine
code of a program of the same structure, with its own sizes, and gets exactly what
eager NumPy gives."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tracejit as tj
from tests.conftest import assert_same
from tests.test_hypothesis import EXAMPLES, interpret, programs
from tracejit.compiler.codegen.loops import i64
from tracejit.compiler.fingerprint import program_fingerprint
from tracejit.compiler.generic_sizes import Param, parametrize


def _lengths(count: int, seed: int = 0) -> list[int]:
    rng = np.random.default_rng(seed)
    return sorted(set(rng.integers(1, 300_000, count).tolist()) | {1, 2, 3, 7, 8, 9, 15, 16, 17, 1000})


def test_one_hundred_lengths_compile_a_handful_of_times():
    @tj.jit
    def f(x, y):
        return np.sin(x) * y + np.exp(-x * x)

    rng = np.random.default_rng(1)
    lengths = _lengths(100)
    assert len(lengths) >= 100
    for n in lengths:
        x, y = rng.standard_normal(n).astype(np.float32), rng.standard_normal(n).astype(np.float32)
        assert_same(f(x, y), f.eager(x, y), rtol=1e-5, atol=1e-6, what=f"n={n}")
    info = f.cache_info()
    assert info.traces == len(lengths) and info.entries == len(lengths)
    assert info.compilations <= 3, info
    assert info.compilations + info.reused == len(lengths)


@pytest.mark.parametrize("name, fn", [
    ("stencil", lambda x: x[2:] - 2.0 * x[1:-1] + x[:-2]),
    ("reversed", lambda x: x[::-1] * 2.0 + x),
    ("sum of squares", lambda x: (x * x).sum()),
    ("sum and max", lambda x: (x.sum(), np.abs(x).max())),
    ("argmax", lambda x: np.argmax(x * x)),
    ("concatenate", lambda x: np.concatenate([x, x[::2] * 3.0])),
    ("neighbours", lambda x: (x[1:] - x[:-1]) * 0.5 + x[1:].max()),
    ("siblings", lambda x: (x * 2.0 + 1.0, np.exp(-x) * x)),
])
def test_vector_programs_across_lengths(name, fn):
    """Lengths straddling the vector width, parallel chunks, split reductions (2**16
    chunks, with and without a tail) and blocked sibling maps, each against eager."""
    f = tj.jit(fn)
    rng = np.random.default_rng(2)
    for n in (3, 40, 1000, 5000, 131_072, 262_144 + 17, 300_001, 65_536 * 5, 1000, 41):
        x = rng.standard_normal(n)
        assert_same(f(x), fn(x), rtol=1e-12, atol=1e-12, what=f"{name} n={n}")
    assert f.cache_info().compilations < f.cache_info().traces


def test_batch_sizes_share_row_kernels():
    def softmax(x):
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def layernorm(x, g, b):
        mu = x.mean(axis=-1, keepdims=True)
        var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
        return (x - mu) / np.sqrt(var + 1e-5) * g + b

    rng = np.random.default_rng(3)
    sm, ln = tj.jit(softmax), tj.jit(layernorm)
    g, b = rng.standard_normal(384).astype(np.float32), rng.standard_normal(384).astype(np.float32)
    batches = (2, 5, 64, 333, 1024, 4000, 17, 2)
    for rows in batches:
        x = rng.standard_normal((rows, 384)).astype(np.float32)
        assert_same(sm(x), softmax(x), rtol=2e-6, atol=1e-7, what=f"softmax rows={rows}")
        assert_same(ln(x, g, b), layernorm(x, g, b), rtol=1e-4, atol=1e-5, what=f"layernorm rows={rows}")
    for f in (sm, ln):
        assert f.cache_info().compilations <= 2, f.cache_info()


def test_matrix_products_with_new_row_counts():
    """Gemm kernels keep their sizes (compiled per shape); the maps around them do not."""
    rng = np.random.default_rng(4)
    w = rng.standard_normal((64, 32)).astype(np.float32)
    f = tj.jit(lambda x, w: np.maximum(x @ w + 1.0, 0.0))
    for rows in (8, 100, 8, 513):
        x = rng.standard_normal((rows, 64)).astype(np.float32)
        assert_same(f(x, w), np.maximum(x @ w + 1.0, 0.0), rtol=1e-4, atol=1e-4, what=f"rows={rows}")


def test_zero_size_and_strided_inputs_across_lengths():
    f = tj.jit(lambda x, y: x * y + 1.0)
    rng = np.random.default_rng(5)
    for n in (0, 5, 0, 1000, 77):
        x, y = rng.standard_normal(2 * n)[::2], rng.standard_normal(n)
        assert_same(f(x, y), x * y + 1.0, what=f"strided n={n}")
        assert_same(f(np.ascontiguousarray(x), y), x * y + 1.0, what=f"n={n}")


def test_wrong_length_for_the_cached_code_is_a_new_signature():
    """The compiled wrapper checks dims against the size table of *its* signature: an
    array of another length never runs with the sizes of the last call."""
    f = tj.jit(lambda x, y: x + y)
    a, b = np.ones(10), np.ones(10)
    f(a, b)
    with pytest.raises(ValueError):
        f(np.ones(11), np.ones(12))
    assert_same(f(np.ones(11), np.ones(11)), np.full(11, 2.0))
    assert_same(f(a, b), np.full(10, 2.0))


def test_generic_programs_of_two_lengths_print_the_same():
    fn = tj.jit(lambda x: np.tanh(x[1:]) * x[:-1])
    low1, low2 = fn.lower(np.ones(100)), fn.lower(np.ones(5000))
    p1, p2 = low1.optimized.program, low2.optimized.program
    from tracejit.compiler.schedule.memplan import plan_memory
    for p in (p1, p2):
        p.plan = p.plan or plan_memory(p)
    g1, g2 = parametrize(p1), parametrize(p2)
    assert program_fingerprint(g1) == program_fingerprint(g2)
    assert g1.params != g2.params and len(g1.params) == len(g2.params)
    assert 99 in g1.params and 4999 in g2.params  # the nest's extent is a parameter
    assert program_fingerprint(p1) != program_fingerprint(p2)


def test_a_parameter_is_never_a_constant():
    with pytest.raises(TypeError, match="size parameter"):
        i64(Param(0))
    with pytest.raises(TypeError):
        Param(0) * 2  # arithmetic on a run-time size cannot happen at compile time


@settings(max_examples=max(5, EXAMPLES // 2), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prog=programs(), seed=st.integers(0, 2**16), grow=st.integers(1, 40))
def test_random_programs_at_a_second_shape(prog, seed, grow):
    """A random program compiled at one shape, then called at a shape whose first dim
    differs (the code may be reused with other sizes): both match eager."""
    shape, second, steps = prog
    steps = [s for s in steps if s[0] != "matmul"]  # its constant depends on the last dim
    rng = np.random.default_rng(seed)

    def fn(x, y):
        return interpret(steps, x, y)

    f = tj.jit(fn)
    for lead in (shape[0], shape[0] + grow):
        shp = (lead,) + shape[1:]
        sec = ((lead if second[0] != 1 else 1),) + second[1:]
        x, y = rng.standard_normal(shp), rng.standard_normal(sec)
        assert_same(f(x, y), fn(x, y), rtol=1e-10, atol=1e-10, what=f"shape {shp}")
