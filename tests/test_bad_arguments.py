"""Bad arguments to tracejit's public entry points raise a clear error naming the argument
and what was expected (``frontend/argchecks.py``), never a raw IndexError or NumPy's ufunc error."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj

X = np.arange(4.0)


def add(x, y):
    return x + y


def add_scaled(x, y):
    return np.sin(x) * 2 + y


@pytest.mark.parametrize("fun", [add, add_scaled, lambda x, y: np.dot(x, y), lambda x, y: x[0] + y])
@pytest.mark.parametrize("bad", [None, "abc"])
def test_a_non_array_argument_used_as_an_array_is_a_type_error_naming_it(fun, bad):
    with pytest.raises(TypeError) as info:
        fun(bad, X)  # eager: some raw error
    f = tj.jit(fun)
    with pytest.raises(TypeError, match=r"argument 'x' is .*an array, a number or a pytree") as info:
        f(bad, X)
    assert "argument 'y'" not in str(info.value)
    np.testing.assert_allclose(f(X, X), fun(X, X))  # the function still works


def test_a_none_inside_a_pytree_argument_is_named_by_its_leaf():
    f = tj.jit(lambda p, x: p["w"] * x + p["b"])
    with pytest.raises(TypeError, match=r"argument 'p\[1\]' is None"):
        f({"w": X, "b": None}, X)


def test_a_none_the_function_handles_is_not_blamed():
    @tj.jit
    def f(x, mask=None):
        if mask is None:
            return x * 2
        return np.where(mask, x, 0.0)

    np.testing.assert_allclose(f(X, None), X * 2)
    g = tj.jit(lambda x, mode: x.astype(mode) + "s")  # a TypeError not about the None argument
    with pytest.raises(TypeError) as info:
        g(X, None)
    assert "argument 'mode'" in str(info.value) or "argument" not in str(info.value)


@pytest.mark.parametrize("nums", [(3,), 3, (0, 1), -2])
def test_static_argnums_out_of_range_is_a_value_error_naming_the_function_and_parameters(nums):
    def one(x):
        return x

    with pytest.raises(ValueError, match=r"static_argnums=-?\d+ is out of range for .*one.*\(x\)"):
        tj.jit(one, static_argnums=nums)


def test_negative_static_argnums_count_from_the_last_positional_parameter():
    def f(x, n, *, scale=1.0):
        return x * n * scale

    jf = tj.jit(f, static_argnums=-1)
    assert jf._static == frozenset({"n"})  # not the keyword-only 'scale'
    np.testing.assert_allclose(jf(X, 3), X * 3)


def test_static_argnums_into_star_args_is_refused():
    with pytest.raises(ValueError, match=r"\*args"):
        tj.jit(lambda x, *rest: x, static_argnums=2)


@pytest.mark.parametrize("kwargs, error, pattern", [
    (dict(static_argnames="z"), ValueError,
     r"static_argnames \[.z.\] are not parameters of .*whose parameters are \(x\)"),
    (dict(static_argnames=[1]), TypeError, r"static_argnames .* must be parameter names"),
    (dict(static_argnums="a"), TypeError, r"static_argnums .* must be an int or a sequence of ints"),
    (dict(static_argnums=(0.5,)), TypeError, r"static_argnums .* must be an int"),
])
def test_wrong_static_options(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        tj.jit(lambda x: x, **kwargs)


def test_jit_of_a_non_callable():
    with pytest.raises(TypeError, match="tj.jit: fun must be a callable"):
        tj.jit(3)


def dot(a, b):
    return (a * b).sum()


def test_grad_argnums_out_of_range_names_the_function():
    with pytest.raises(ValueError, match=r"tj.grad\(dot\): argnums=2 is out of range"):
        tj.grad(dot, argnums=2)(X, X)
    with pytest.raises(ValueError, match=r"argnums=5"):
        tj.value_and_grad(dot, argnums=(0, 5))(X, X)


def test_grad_argnums_of_a_wrong_type_and_non_callables():
    with pytest.raises(TypeError, match="argnums must be an int or a tuple of ints"):
        tj.grad(dot, argnums="a")
    for transform in (tj.grad, tj.value_and_grad, tj.jacfwd, tj.jacrev):
        with pytest.raises(TypeError, match=r"fun must be a callable"):
            transform(3)


def test_grad_with_respect_to_an_integer_argument_names_the_parameter():
    with pytest.raises(TypeError, match=r"argument 1 \('n'\) must be floating point"):
        tj.grad(lambda a, n: (a * n).sum(), argnums=1)(X, 3)


@pytest.mark.parametrize("jitted", [False, True])
def test_control_flow_entry_points_name_their_bad_argument(jitted):
    def run(body):
        return tj.jit(body)(X) if jitted else body(X)

    cases = [
        (lambda x: tj.fori_loop("0", 3, lambda i, c: c + 1, x), r"fori_loop: lower must be an integer"),
        (lambda x: tj.fori_loop(0, 3.5, lambda i, c: c + 1, x), r"fori_loop: upper must be an integer"),
        (lambda x: tj.fori_loop(0, 3, 5, x), r"fori_loop: body_fun must be a callable"),
        (lambda x: tj.while_loop(None, lambda c: c + 1, x), r"while_loop: cond_fun must be a callable"),
        (lambda x: tj.while_loop(lambda c: c.sum() < 9, "b", x), r"while_loop: body_fun must be a callable"),
        (lambda x: tj.cond(True, 1, lambda: x), r"cond: true_fun must be a callable"),
        (lambda x: tj.cond(True, lambda: x, None), r"cond: false_fun must be a callable"),
        (lambda x: tj.cond("yes", lambda v: v, lambda v: -v, x), r"cond: pred must be a bool or a number"),
    ]
    for body, pattern in cases:
        with pytest.raises(TypeError, match=pattern):
            run(body)


def test_control_flow_still_accepts_numpy_integers_and_0d_predicates():
    out = tj.fori_loop(np.int64(0), np.array(3), lambda i, c: c + i, 0)
    assert out == 3
    assert tj.cond(np.array(True), lambda: 1, lambda: 2) == 1
    assert tj.jit(lambda x: tj.cond(np.float64(0.0), lambda v: v, lambda v: -v, x))(X)[1] == -1.0


@pytest.mark.parametrize("make", [np.asmatrix, np.ma.masked_array], ids=["matrix", "masked"])
def test_matrix_and_masked_arguments_are_refused_naming_them(make):
    """Their operations differ from ndarray's (``*`` is a matrix product, masks): computing
    ndarray's results would be a wrong answer (it silently returned ndarray's)."""
    f = tj.jit(lambda x, w: (x @ w).sum(axis=0))
    with pytest.raises(TypeError, match=r"argument 'x' is a numpy\..*np.asarray\(x\)"):
        f(make(np.ones((3, 4))), np.ones((4, 2)))
    np.testing.assert_allclose(f(np.ones((3, 4)), np.ones((4, 2))), [12.0, 12.0])


def test_a_memoryview_argument_is_a_type_error_naming_it():
    """A writable memoryview's hash raises ValueError: it escaped as 'cannot hash writable memoryview'."""
    with pytest.raises(TypeError, match="argument 'x'"):
        tj.jit(lambda x, w: x @ w)(memoryview(np.ones(4)), np.ones(4))
