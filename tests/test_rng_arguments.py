"""Generator arguments (``frontend/rngargs.py``): keyed by type, drawn from as passed in each call."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.threaded import run_in_threads
from tracejit.errors import UnsupportedError


def _state(gen) -> object:
    bit = gen.bit_generator if isinstance(gen, np.random.Generator) else gen
    return repr(bit.get_state() if isinstance(bit, np.random.RandomState) else bit.state)


def _check(f, jf, *make_args) -> None:
    """``jf`` and ``f`` on fresh arguments from ``make_args``: bit-identical results and generator states."""
    eager_args = [m() for m in make_args]
    jit_args = [m() for m in make_args]
    want, got = f(*eager_args), jf(*jit_args)
    for w, g in zip(np.atleast_1d(want) if not isinstance(want, tuple) else want,
                    np.atleast_1d(got) if not isinstance(got, tuple) else got):
        w, g = np.asarray(w), np.asarray(g)
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(g, w)
    for e, j in zip(eager_args, jit_args):
        if isinstance(e, (np.random.Generator, np.random.RandomState, np.random.BitGenerator)):
            assert _state(j) == _state(e)


def test_new_generators_trace_once_and_draw_as_eager():
    def sim(rng, n):
        x = rng.standard_normal(n)
        return (x ** 2).mean(), rng.integers(0, 10, 3)

    jf = tj.jit(sim)
    for seed in range(6):
        _check(sim, jf, lambda: np.random.default_rng(seed), lambda: 5 + seed % 2)  # two sizes: n is static
    info = jf.cache_info()
    assert info.traces <= 2 and info.compilations <= 2 and info.hits >= 4


@pytest.mark.parametrize("make", [lambda s: np.random.RandomState(s),
                                  lambda s: np.random.Generator(np.random.MT19937(s)),
                                  lambda s: np.random.PCG64(s)])
def test_randomstate_other_bit_generators_and_bit_generators(make):
    def f(x, rng):
        if isinstance(rng, np.random.BitGenerator):
            return x + rng.random_raw(x.shape).astype(np.float64)
        return x * rng.standard_normal(x.shape).astype(x.dtype) + rng.uniform(size=3)[1]

    jf = tj.jit(f)
    for seed, x in ((1, np.arange(4.0)), (2, np.arange(4.0)), (3, np.ones((2, 3), np.float32)[:, ::2])):
        _check(f, jf, lambda: x, lambda: make(seed))
    assert jf.cache_info().traces == 2  # the second shape; not the second generator


def test_generator_types_key_the_signature():
    jf = tj.jit(lambda rng: rng.random(3))
    jf(np.random.default_rng(0))
    jf(np.random.Generator(np.random.MT19937(0)))
    jf(np.random.default_rng(1))
    assert jf.cache_info().traces == 2


def test_two_generators_interleaved_and_the_same_one_twice():
    def f(x, a, b):
        return a.normal(size=x.shape) + b.uniform(size=x.shape) * a.normal(size=x.shape) + x

    jf = tj.jit(f)
    x = np.zeros(5)
    _check(f, jf, lambda: x, lambda: np.random.default_rng(1), lambda: np.random.default_rng(2))
    _check(f, jf, lambda: x, lambda: np.random.default_rng(2), lambda: np.random.default_rng(1))
    shared = [np.random.default_rng(7), np.random.default_rng(7)]
    got = jf(x, shared[0], shared[0])
    np.testing.assert_array_equal(got, f(x, shared[1], shared[1]))
    assert _state(shared[0]) == _state(shared[1])
    assert jf.cache_info().traces == 1


def test_generators_inside_pytree_arguments():
    def f(params, rngs):
        a, b = rngs
        return params["w"] * params["rng"].standard_normal(3) + a.random(3) - b.exponential(size=3)

    jf = tj.jit(f)
    for s in range(3):
        _check(f, jf, lambda: {"w": np.arange(3.0), "rng": np.random.default_rng(s)},
               lambda: (np.random.default_rng(s + 10), np.random.RandomState(s)))
    assert jf.cache_info().traces == 1


def test_static_generator_stays_bound_by_identity():
    def f(x, rng):
        return x + rng.standard_normal(x.shape)

    jf = tj.jit(f, static_argnums=1)
    for s in range(2):
        _check(f, jf, lambda: np.ones(3), lambda: np.random.default_rng(s))
    assert jf.cache_info().traces == 2


def test_threads_each_draw_from_their_own_generator():
    jf = tj.jit(lambda x, rng: x + rng.standard_normal(x.shape))
    x = np.zeros(64)
    results = {}

    def work(seed):
        results[seed] = [jf(x, np.random.default_rng(seed)) for _ in range(20)]

    assert not run_in_threads(work, [(s,) for s in range(4)])
    for seed, outs in results.items():
        for out in outs:
            np.testing.assert_array_equal(out, np.random.default_rng(seed).standard_normal(64))


def test_nested_jitted_function_and_drawing_in_a_loop():
    inner = tj.jit(lambda rng, x: x * rng.random(x.shape))

    def f(rng, x):
        acc = x
        for _ in range(3):
            acc = inner(rng, acc) + rng.standard_normal()
        return acc

    jf = tj.jit(f)
    for s in range(2):
        _check(f, jf, lambda: np.random.default_rng(s), lambda: np.arange(1.0, 4.0))
    assert jf.cache_info().traces == 1


def test_another_type_in_the_generator_position_traces_again():
    jf = tj.jit(lambda x, rng: x + rng.standard_normal(x.shape))
    jf(np.ones(2), np.random.default_rng(0))
    with pytest.raises(AttributeError, match="standard_normal"):
        jf(np.ones(2), 3)
    np.testing.assert_array_equal(jf(np.ones(2), np.random.default_rng(4)),
                                  1 + np.random.default_rng(4).standard_normal(2))
    assert jf.cache_info().entries == 1  # (the failed trace for an int is not kept)


def test_drawing_from_a_generator_argument_is_refused_without_fallback():
    jf = tj.jit(lambda rng: rng.random(3), fallback=False)
    with pytest.raises(UnsupportedError, match="random"):
        jf(np.random.default_rng(0))


def test_library_function_and_unbound_method_given_the_generator_argument():
    stats = pytest.importorskip("scipy.stats")

    def f(x, rng):
        return x + stats.norm.rvs(size=x.shape, random_state=rng) * np.random.Generator.random(rng, x.shape)

    jf = tj.jit(f)
    for s in range(3):
        _check(f, jf, lambda: np.arange(4.0), lambda: np.random.default_rng(s))
    assert jf.cache_info().traces == 1
    with pytest.raises(UnsupportedError, match="generator argument"):
        tj.jit(lambda rng: stats.norm.rvs(size=2, random_state=rng), fallback=False)(np.random.default_rng(0))


def test_draws_in_a_data_dependent_loop():
    def f(rng, x):
        while x.sum() < 10.0:
            x = x + rng.random(x.shape)
        return x

    jf = tj.jit(f)
    for s in range(3):
        _check(f, jf, lambda: np.random.default_rng(s), lambda: np.zeros(3))
    assert jf.cache_info().traces == 1


def test_shuffle_in_place_and_permutation_from_a_generator_argument():
    def f(rng, x):
        rng.shuffle(x)
        return x * 2, rng.permutation(4)

    jf = tj.jit(f)
    for s in range(3):
        _check(f, jf, lambda: np.random.default_rng(s), lambda: np.arange(6.0))
    x, y = np.arange(6.0), np.arange(6.0)
    jf(np.random.default_rng(9), x)
    f(np.random.default_rng(9), y)
    np.testing.assert_array_equal(x, y)  # the caller's array shuffled, as eagerly
    assert jf.cache_info().traces == 1


def test_generators_inside_a_list_given_to_library_functions():
    """Generators passed in a list argument, each given to a library function or an unbound method."""
    stats = pytest.importorskip("scipy.stats")

    def f(x, gens):
        return x + stats.norm.rvs(size=x.shape, random_state=gens[1]) + np.random.Generator.random(gens[0], x.shape)

    jf = tj.jit(f)
    for s in range(2):
        eager_gens, jit_gens = ([np.random.default_rng(s), np.random.default_rng(s + 10)] for _ in range(2))
        np.testing.assert_array_equal(jf(np.arange(3.0), jit_gens), f(np.arange(3.0), eager_gens))
        assert [_state(g) for g in jit_gens] == [_state(g) for g in eager_gens]
    assert jf.cache_info().traces == 1


def test_library_class_given_the_generator_argument_runs_eagerly():
    """``scipy.stats.qmc.Sobol(d, seed=rng)``: a class tracejit does not wrap gets the argument's
    stand-in and NumPy refuses to seed from it; that refusal is tracejit's (UnsupportedError naming
    the line), so by default the function runs eagerly: eager's numbers and final state."""
    qmc = pytest.importorskip("scipy.stats.qmc")

    def f(x, rng):
        return x + qmc.Sobol(d=1, seed=rng).random(4).ravel()[:3]

    _check(f, tj.jit(f), lambda: np.arange(3.0), lambda: np.random.default_rng(4))
    with pytest.raises(UnsupportedError, match=r"rejected its stand-in.*test_rng_arguments.py:\d+"):
        tj.jit(f, fallback=False)(np.arange(3.0), np.random.default_rng(4))
