"""Source conversion (frontend/autograph/), continued: types across branches, clear
errors, writes into arrays, classes, recursion, selects. Differential against eager."""
import types

import numpy as np
import pytest

import tracejit as tj
from tests.test_autograph import check, python_then_traced
from tracejit.frontend.autograph.conversion import closure, converted_code


def python_number_or_traced(x):
    if x.sum() > 0:
        k = 1
    else:
        k = x.sum()
    return x * k


def int_or_float(x):
    k = 2 if x.sum() > 0 else 0.5
    return x * k


@pytest.mark.parametrize("sign", [1, -1])
def test_python_number_in_one_branch_takes_the_other_type(sign):
    check(python_number_or_traced, sign * np.arange(1.0, 4.0))
    check(int_or_float, sign * np.arange(1.0, 4.0))


def test_branches_of_other_shapes_name_the_variable():
    def f(x):
        if x.sum() > 0:
            y = x[:2]
        else:
            y = x
        return y
    with pytest.raises(TypeError, match=r"'y' is float64\[2\] after one branch of the `if` at line \d+ and "
                                        r"float64\[3\] after the other"):
        tj.jit(f, fallback=False)(np.arange(3.0))


def test_return_inside_loop_on_traced_test():
    def f(x):
        s = x.sum() * 0
        while s < 10:
            s = s + 1
            if s > x.sum():
                return x * s
        return x
    for x in (np.ones(2), np.full(3, 5.0), np.full(2, 20.0)):  # (the return value is carried from zeros)
        np.testing.assert_array_equal(tj.jit(f)(x), f(x))


def accumulate(x):
    total = 0  # a Python int the first step makes a float64: that step is peeled (a traced if)
    n = 0
    while total < x.sum():
        total = total + x.mean()
        n += 1
    return total, n


@pytest.mark.parametrize("x", [np.ones(4), np.arange(1.0, 6.0), -np.ones(2)])
def test_python_number_whose_type_the_loop_changes(x):
    got, want = tj.jit(accumulate)(x), accumulate(x)
    assert got[0] == want[0] and got[1] == want[1] and type(got[1]) is int


def test_carried_dtype_change_names_the_variable():
    def f(x):
        y = x.astype(np.float32)
        while y.sum() < 100:
            y = y * 2.0 + x  # float64 from the first step on
        return y
    with pytest.raises(TypeError, match="the loop's variables: y"):
        tj.jit(f, fallback=False)(np.ones(4))


def test_lists_appended_in_traced_branches():
    def f(x):
        out = [x]
        if x.sum() > 0:
            out.append(x * 2)
        else:
            out.append(x - 2)
        return out[0] + out[1]
    check(f, np.ones(2))
    check(f, -np.ones(2))


def test_return_inside_python_loop_and_method():
    def find(x, k):
        for i in range(k):
            if i == 3:
                return x * i
        return x

    class Model:
        def __init__(self):
            self.w = np.arange(3.0)

        def forward(self, x):
            if x.sum() > 0:
                return x * self.w
            return x
    for k in (2, 5):
        np.testing.assert_array_equal(tj.jit(find, static_argnames="k")(np.ones(2), k), find(np.ones(2), k))
    model = Model()
    for x in (np.arange(3.0), -np.arange(3.0)):
        np.testing.assert_array_equal(tj.jit(model.forward)(x), model.forward(x))


def test_newton_large_enough_to_split_its_reductions():
    """The first step runs as Python (the test starts as a Python float), then a while
    loop follows a large full reduction (kernel passes once raised IndexError there)."""
    c = np.random.default_rng(2).uniform(1.0, 1000.0, 4 << 16)
    np.testing.assert_allclose(tj.jit(python_then_traced)(c, 1e-10), python_then_traced(c, 1e-10))


def test_class_defined_inside_a_converted_function_has_its_methods_converted():
    def make(flag):
        class Model:
            def forward(self, x):
                if x.sum() > 0:
                    return x * 2
                return x
        return Model() if flag else None  # (a conditional expression: make is converted)
    conv = converted_code(make)
    model = types.FunctionType(conv.code, make.__globals__, "make", None, closure(conv, {}))(True)
    for x in (np.arange(3.0), -np.arange(3.0)):
        np.testing.assert_array_equal(tj.jit(model.forward)(x), model.forward(x))


def writes_in_branch(x):
    out = np.zeros(3)
    if x.sum() > 0:
        out[0] = 1
    else:
        out[1] = x[0]
    return out


def writes_argument(x, out):
    if x.sum() > 0:
        out[0] = 5
    return x


def writes_in_loop(x):
    out = np.zeros_like(x)
    i = x.sum() * 0
    t = 0
    while i < 3:
        out[t] = i
        i = i + 1
        t = t + 1
    return out


@pytest.mark.parametrize("sign", [1, -1])
def test_item_writes_in_traced_branches_and_loops_are_carried(sign):
    x = sign * np.ones(4)
    check(writes_in_branch, x[:3])
    check(writes_in_loop, x)
    got, want = np.zeros(2), np.zeros(2)
    tj.jit(writes_argument)(x, got)
    writes_argument(x, want)
    np.testing.assert_array_equal(got, want)


def select_names(x):
    a, b = x * 2, x - 1
    return a if x.sum() > 0 else b


def test_conditional_expression_of_names_is_a_select():
    for x in (np.arange(3.0), -np.arange(3.0)):
        check(select_names, x)
    graph = tj.jit(select_names).lower(np.arange(3.0)).as_text("graph")
    assert "cond" not in graph and "where" in graph


def recursive(x, n):
    if n == 0:
        return x

    def inner(v):
        return v if v.sum() > 0 else -v
    return recursive(inner(x) * 2, n - 1)


def test_recursive_function_and_nested_qualnames():
    conv = converted_code(recursive)
    assert conv.code.co_freevars == ("__tj_ag__",)  # its own name stays a global
    nested = [c for c in conv.code.co_consts if isinstance(c, types.CodeType)]
    names = set()
    while nested:
        c = nested.pop()
        names.add(getattr(c, "co_qualname", c.co_name))
        nested.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    assert "recursive.<locals>.inner" in names or not hasattr(conv.code, "co_qualname")
    assert not any("__tj_" in n for n in names)
    for x in (np.arange(3.0), -np.arange(3.0)):
        np.testing.assert_array_equal(tj.jit(recursive, static_argnames="n")(x, 2), recursive(x, 2))


def test_lambdas_are_converted_when_their_line_names_them_alone():
    f = lambda x: x * 2 if x.sum() > 0 else -x  # noqa: E731
    g, h = (lambda x: x), (lambda y: y)
    assert converted_code(f) is not None and converted_code(g) is None and converted_code(h) is None
    for x in (np.ones(2), -np.ones(2)):
        np.testing.assert_array_equal(tj.jit(f)(x), f(x))


def test_branch_local_temporary_traces_each_branch_once():
    traced = []

    def f(x):
        if x.sum() > 0:
            tmp = x * 2  # bound in this branch alone: known from the source
            traced.append("true")
            y = tmp + 1
        else:
            traced.append("false")
            y = x
        return y
    for x in (np.ones(2), -np.ones(2)):
        np.testing.assert_array_equal(tj.jit(f)(x), f(x))
    assert traced.count("true") == 3 and traced.count("false") == 3  # one trace (both branches) + 2 eager runs


def validated(x):
    assert x.min() >= 0, "negative input"
    if x.max() > 100:
        raise ValueError("too large")
    return np.sqrt(x)


def test_assert_and_raise_on_traced_values_raise_when_the_call_runs():
    jf = tj.jit(validated)
    np.testing.assert_array_equal(jf(np.arange(4.0)), validated(np.arange(4.0)))
    with pytest.raises(AssertionError, match="negative input"):
        jf(-np.ones(4))
    with pytest.raises(ValueError, match="too large"):
        jf(np.full(4, 1000.0))


def first_nonpositive(x):
    n = x.shape[0]
    i = 0
    while i < n and x[i] > 0:  # x[n] is never read: `and` short-circuits on traced values too
        i += 1
    return i


@pytest.mark.parametrize("x", [[1.0, 2.0, -1.0, 3.0], [1.0, 1.0, 1.0], [-1.0]])
def test_traced_and_short_circuits(x):
    check(first_nonpositive, np.array(x))
