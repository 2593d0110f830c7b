"""Source conversion (frontend/autograph/): Python control flow on traced values compiles,
and on Python values runs exactly as written. Differential against the eager function."""
import functools
import linecache
import traceback

import numpy as np
import pytest

import tracejit as tj
from tests.differential import same
from tracejit.frontend.autograph.conversion import converted_code
from tracejit.frontend.autograph.undefined import UndefinedError


def check(f, *args, **jit_kwargs):
    """``f`` jitted returns what ``f`` returns eagerly (values, dtypes, Python types)."""
    want = f(*args)
    got = tj.jit(f, **jit_kwargs)(*args)
    _same(got, want)
    return got


_same = functools.partial(same, rtol=1e-12, atol=0.0, python_types=True)


def branchy(x, y):
    if x.sum() > 0:
        z = x * 2
        w = y
    else:
        z = y - 1
        w = x
    return z + w


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
@pytest.mark.parametrize("n", [0, 1, 7])
def test_if_on_data_both_ways_dtypes_and_sizes(dtype, n):
    for sign in (1, -1):
        x = (sign * (np.arange(n) + 1)).astype(dtype)
        check(branchy, x, np.ones(n, dtype))


def test_one_compilation_serves_both_branches_and_new_shapes():
    jf = tj.jit(branchy)
    for n, sign in ((5, 1), (5, -1), (9, -1), (9, 1)):
        x = sign * np.arange(1.0, n + 1)
        np.testing.assert_array_equal(jf(x, np.ones(n)), branchy(x, np.ones(n)))
    assert jf.cache_info().traces == 2


def nested(x):
    s = x.sum()
    if s > 0:
        if x[0] > 1:
            y = x * 3
        else:
            y = x * 2
    elif s > -5:
        y = x + 100
    elif s > -50:
        y = x - 100
    else:
        y = -x
    return y


@pytest.mark.parametrize("x", [[2.0, 3.0], [0.5, 0.2], [-1.0, -2.0], [-10.0, -20.0], [-100.0, 1.0]])
def test_nested_ifs_and_elif_chain(x):
    check(nested, np.array(x))


def returns(x):
    if x.sum() > 0:
        return x * 2
    y = x - 1
    return y


def returns_both(x):
    if x.max() > 3:
        if x.min() < 1:
            return x + 1
        else:
            return x * 0
    else:
        return -x


@pytest.mark.parametrize("x", [np.arange(5.0), -np.arange(5.0), np.arange(2.0, 3.0)])
def test_return_inside_branches(x):
    check(returns, x)
    check(returns_both, x)


def while_break_continue(x):
    acc = x * 0
    n = x.sum() * 0
    while n < 10:
        n = n + 1
        if acc.sum() > 50:
            break
        if n % 2 == 0:
            continue
        acc = acc + x
    return acc, n


def python_then_traced(c, tol):
    x = c.copy()
    err = np.inf  # a Python float: the first test is Python's, the next ones traced
    while err > tol:
        x_new = x - (x ** 3 - c) / (3 * x ** 2)
        err = np.abs(x_new - x).max()
        x = x_new
    return x


def test_while_on_traced_test_with_break_and_continue():
    for x in (np.arange(4.0), np.arange(40.0), -np.ones(3)):
        check(while_break_continue, x)


def test_while_whose_test_becomes_traced():
    c = np.random.default_rng(1).uniform(1.0, 1000.0, 13)
    jf = tj.jit(python_then_traced)
    np.testing.assert_allclose(jf(c, 1e-10), python_then_traced(c, 1e-10))
    np.testing.assert_allclose(jf(c[:4], 1e-10), python_then_traced(c[:4], 1e-10))


def test_loop_corpus_programs_particles_and_newton():
    from benchmarks.loop_programs import newton, particles
    rng = np.random.default_rng(0)
    for module in (particles, newton):
        for n in (10, 3):
            args = module.init(rng, n)
            want = module.kernel(*args)
            got = tj.jit(module.kernel)(*args)
            for g, w in zip(got if isinstance(got, tuple) else (got,), want if isinstance(want, tuple) else (want,)):
                np.testing.assert_allclose(g, w, rtol=1e-9)


def crc_bits(crc):
    for _ in range(8):
        if crc & 0x8000:
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF
        else:
            crc = (crc << 1) & 0xFFFF
    return crc


def test_crc16_if_on_bits():
    for value in (0x1234, 0xFFFF, 0x8000, 0):
        check(crc_bits, np.array(value, dtype=np.int64))


def expressions(x):
    y = x * 2 if x.sum() > 0 else x - 1
    both = x.max() > 1 and x.min() < 1
    either = x.max() > 100 or x.min() < 1
    return y, both, either, not (x.sum() > 0)


@pytest.mark.parametrize("x", [np.arange(3.0), -np.arange(3.0), np.full(2, 200.0)])
def test_conditional_expression_and_or_not_on_traced(x):
    check(expressions, x)


def test_python_semantics_kept_on_python_values():
    def f(x, k):
        calls = []

        def note(v):
            calls.append(v)
            return v
        first = note(0) and note(1)  # short-circuit: note(1) never runs
        second = note([]) or note("b") or note(2)  # returns the first truthy operand
        total = 0
        for i in range(k):
            if i == 3:
                break
            total += i
        else:
            total = -1
        j = 0
        while j < k:
            j += 1
        else:
            j += 100
        return x * total + j, first, second, calls
    for k in (2, 5):
        got = tj.jit(f, static_argnames="k")(np.ones(2), k)
        want = f(np.ones(2), k)
        np.testing.assert_array_equal(got[0], want[0])
        assert got[1:] == want[1:]


def test_undefined_variable_error_names_variable_and_line():
    def f(x):
        if x.sum() > 0:
            h = x * 2
        return h + 1
    with pytest.raises(UndefinedError, match=r"'h' is assigned only in one branch of the `if` at line \d+") as info:
        tj.jit(f, fallback=False)(np.ones(3))
    line = f.__code__.co_firstlineno + 1
    assert f"line {line}" in str(info.value)
    frames = [fr for fr in traceback.extract_tb(info.value.__traceback__) if fr.filename == __file__]
    assert frames[-1].lineno == line + 2 and "return h + 1" in frames[-1].line


def test_python_unassigned_local_still_raises_as_python():
    def f(x, flag):
        if flag:
            h = x
        return h
    with pytest.raises(UnboundLocalError):
        tj.jit(f, static_argnames="flag")(np.ones(2), False)


def test_errors_point_at_original_lines():
    def f(x, flag):
        if flag:
            y = x * 2
        else:
            y = x.reshape(4, 4)  # a shape error inside a branch
        return y
    with pytest.raises(ValueError) as info:
        tj.jit(f, static_argnames="flag")(np.ones(3), False)
    frames = [fr for fr in traceback.extract_tb(info.value.__traceback__) if fr.filename == __file__]
    assert frames[-1].lineno == f.__code__.co_firstlineno + 4
    assert "x.reshape(4, 4)" in frames[-1].line and frames[-1].name == "f"  # (not the generated branch's name)


def test_error_in_traced_branch_raised_when_taken_names_its_line():
    def f(x):
        if x.sum() > 0:
            y = x * 2
        else:
            y = x[[5]] * 2  # out of bounds: raised only when this branch runs
        return y
    jf = tj.jit(f)
    np.testing.assert_array_equal(jf(np.ones(3)), 2 * np.ones(3))
    with pytest.raises(IndexError, match=f"test_autograph.py:{f.__code__.co_firstlineno + 4}"):
        jf(-np.ones(3))


def test_autograph_false_traces_as_written():
    with pytest.raises(tj.TracerConversionError):
        tj.jit(returns, autograph=False, fallback=False)(np.arange(3.0))


def test_lower_shows_converted_source():
    text = tj.jit(calls_helper).lower(np.arange(3.0)).as_text("source")
    assert "def calls_helper(x):" in text and "def helper(v):" in text
    assert "__tj_ag__.if_stmt(" in text
    plain = tj.jit(lambda x: x + 1).lower(np.arange(3.0)).as_text("source")
    assert "no function was converted" in plain


def helper(v):
    if v.sum() > 1:
        v = v * 10
    return v


def calls_helper(x):
    y = helper(x) + helper(-x)
    return y if y.sum() > 0 else -y


def test_helpers_converted_recursively():
    check(calls_helper, np.arange(3.0))


def test_closures_nonlocal_and_global_names():
    scale = 3.0

    def f(x):
        count = 0

        def bump(v):
            nonlocal count
            if v.sum() > 0:
                v = v * scale
            count += 1
            return v
        return bump(bump(x)), count
    check(f, np.arange(3.0))
    check(f, -np.arange(3.0))


COUNTER = 0


def uses_global(x):
    global COUNTER
    if x.shape[0] > 2:
        COUNTER += 1
    return x + COUNTER


def test_global_declared_names_are_not_state():
    global COUNTER
    COUNTER = 0
    got = tj.jit(uses_global)(np.arange(4.0))
    assert COUNTER == 1
    np.testing.assert_array_equal(got, np.arange(4.0) + 1)


def test_function_without_source_traced_as_written():
    namespace = {"np": np}
    # a file name no one else uses: Python 3.13 registers a `python -c` command's source in linecache
    # under "<string>" (as pytest-xdist's workers are started), which would give "<string>" lines
    exec(compile("def f(x):\n    return np.sin(x) * 2 if True else x\n", "<no source: test_autograph>", "exec"),
         namespace)
    f = namespace["f"]
    assert not linecache.getlines(f.__code__.co_filename)
    assert converted_code(f) is None
    np.testing.assert_allclose(tj.jit(f)(np.arange(3.0)), np.sin(np.arange(3.0)) * 2)


def test_same_graph_without_control_flow_on_traced_values():
    def f(x, n):
        y = x
        for _ in range(n):
            y = y * 2 if n > 1 else y
        return y
    on = tj.jit(f, static_argnames="n").lower(np.arange(3.0), 3).as_text("graph")
    off = tj.jit(f, static_argnames="n", autograph=False).lower(np.arange(3.0), 3).as_text("graph")
    assert on == off


def test_converted_once_per_function():
    first = converted_code(helper)
    assert first is not None and converted_code(helper) is first

