"""Regressions found by the control-flow fuzzer (tests/fuzz/cfgen.py), each minimized."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj


def test_if_branches_of_other_dtypes_are_unsupported_like_a_conditional_expression():
    """An ``if`` on a traced test whose branches leave a variable float64 in one and
    float32 in the other (eagerly the dtype depends on the data) raised a plain TypeError,
    which the fuzzer counts as an internal error; a conditional expression raises
    BranchesDiffer (UnsupportedError and TypeError). Both raise BranchesDiffer now."""
    def f(y, a):
        if (y > 0.5).any():
            s = np.dot(y, y) * 2.0
        else:
            s = a.mean() + 4.7
        return s

    def g(y, a):
        return np.dot(y, y) * 2.0 if (y > 0.5).any() else a.mean() + 4.7

    y, a = np.arange(3.0), np.ones((3, 3), np.float32)
    assert f(y, a).dtype == np.float64 and f(-y, a).dtype == np.float32  # eagerly: depends on the data
    for fn in (f, g):
        with pytest.raises(tj.UnsupportedError) as info:
            tj.jit(fn, fallback=False)(y, a)
        assert isinstance(info.value, TypeError)
    with pytest.raises(tj.UnsupportedError, match=r"'s' is float64\[\] after one branch .* float32\[\] after"):
        tj.jit(f, fallback=False)(y, a)


def test_if_branches_of_same_dtype_still_compile():
    """(The case above with matching dtypes: both branches taken, same results as NumPy.)"""
    def f(y, a):
        if (y > 0.5).any():
            s = np.dot(y, y) * 2.0
        else:
            s = float(a.mean()) + 4.7
        return s

    a = np.ones((3, 3))
    for y in (np.arange(3.0), -np.arange(3.0)):
        assert tj.jit(f)(y, a) == f(y, a)


def test_conditional_expression_casts_a_traced_python_float_to_the_other_branch():
    """``float(traced) if test else float32_value``: the promotion cast the traced Python
    float with ``.astype``, which a traced Python number does not have (AttributeError
    inside tracejit). The branches then agreed on float32; but eagerly the result is a
    Python float on one path and float32 on the other (the data picks), so float32 was a
    wrong type on the first path: now refused, naming the line (session 11, docs/design.md
    "Types that depend on the data"), and run eagerly with the default fallback."""
    def f(y, a):
        return float(y.sum()) if y[0] > 0 else a.sum()

    a = np.ones(3, np.float32)
    g = tj.jit(f)
    for y in (np.ones(3, np.int64), -np.ones(3, np.int64)):
        got, want = g(y, a), f(y, a)
        assert got == want and type(got) is type(want)
        with pytest.raises(tj.UnsupportedError, match="either, depending on the data"):
            tj.jit(f, fallback=False)(y, a)


def test_conditional_expression_int64_against_a_python_float_is_refused():
    """``x.sum() if test else float(...) * 0.5`` on an int64 ``x``: eagerly the result is the
    int64 or a Python float, depending on the data. Promoting both to float64 (as before)
    lost the integer's exactness (2**53 + 1) and gave a dtype NumPy does not; now refused
    (BranchesDiffer: an UnsupportedError and a TypeError) naming the line, for a conditional
    expression and an ``if`` alike. A Python number against a NumPy value of the dtype NumPy
    gives it (int64 against a Python int, float64 against a Python float) still compiles;
    float32 against a Python float is refused too since session 11 (eagerly either type)."""
    def f(x):
        return x.sum() if x[0] > 0 else float(x.sum()) * 0.5

    def g(x):
        if x[0] > 0:
            s = x.sum()
        else:
            s = float(x.sum()) * 0.5
        return s

    x = np.array([2**53 + 1, 0], np.int64)
    line = f.__code__.co_firstlineno + 1
    with pytest.raises(tj.UnsupportedError, match=rf"conditional expression at line {line} gives int64\[\] on one "
                                                   r"side and a Python float on the other.*float\(\)") as info:
        tj.jit(f, fallback=False)(x)
    assert isinstance(info.value, TypeError) and f"test_autograph_regressions.py:{line})" in str(info.value)
    with pytest.raises(tj.UnsupportedError, match=r"'s' is int64\[\] after one branch .* a Python float after"):
        tj.jit(g, fallback=False)(x)

    def h(x, y):
        return x.sum() if x[0] > 0 else 1, y.sum() if x[0] > 0 else 0.5

    jh = tj.jit(h, fallback=False)
    with pytest.raises(tj.UnsupportedError, match=r"gives float32\[\] on one side and a Python float"):
        jh(np.array([3, 4]), np.ones(2, np.float32))
    for x in (np.array([3, 4]), np.array([-3, 4])):
        y = np.ones(2, np.float64)
        for got, want in zip(jh(x, y), h(x, y)):
            assert got == want
            if isinstance(want, np.generic):  # (a Python number taken comes back as the NumPy side's dtype)
                assert np.asarray(got).dtype == want.dtype


def test_return_inside_a_loop_on_a_traced_condition():
    def f(y):
        s = y.sum()
        for r in range(y.shape[0]):
            if y[r] > 0.37:
                return s, r
        return s, -1

    jitted = tj.jit(f)
    for y in (np.array([0.1, 0.5, 2.0]), np.array([0.1, 0.2]), np.array([0.9])):  # returns early, or not
        assert jitted(y) == f(y)


def test_conditional_expression_side_that_raises_only_when_taken():
    """``a if traced else undefined_name``: a traced test traces both sides, and the side that
    raises a NameError (or an AttributeError of a Python object) while traced raised at once,
    where eager Python takes the other side. That side now raises its error when it is taken,
    as eagerly (frontend/controlchecks.py deferrable)."""
    def f(x, o):
        a = missing_name if x.sum() > 100 else x.sum()  # noqa: F821 - never taken for small x
        b = o.missing if x.max() > 100 else x.min()
        return a, b

    def g(x):
        if x.sum() > 100:
            y = missing_name  # noqa: F821
        else:
            y = x * 2
        return y

    jitted, jg = tj.jit(f), tj.jit(g)
    o = object()
    for x in (np.arange(3.0), np.array([1.0, 200.0]), np.array([-500.0, 200.0])):
        for fn, jfn, args in ((f, jitted, (x, o)), (g, jg, (x,))):
            try:
                want = fn(*args)
            except (NameError, AttributeError) as error:
                with pytest.raises(type(error), match=str(error)):
                    jfn(*args)
                continue
            got = jfn(*args)
            for w, v in zip(want if fn is f else (want,), got if fn is f else (got,)):
                np.testing.assert_array_equal(v, w)


def test_conditional_expression_of_a_variable_one_traced_branch_assigned_is_refused_clearly():
    """A side reading a variable that a branch on a traced test left unassigned: refused at
    compile time with the variable and the `if`'s line (an UnsupportedError and an
    UnboundLocalError), not the NameError deferred to run time of a side that raises when taken."""
    def f(x):
        if x.sum() > 100:
            big = x * 2
        return big if x.sum() > 100 else x

    with pytest.raises(tj.UnsupportedError, match=r"'big' is assigned only in one branch of the `if` at line") as info:
        tj.jit(f, fallback=False)(np.arange(3.0))
    assert isinstance(info.value, UnboundLocalError)


def test_conditional_expression_side_that_fails_keeps_the_other_sides_numpy_scalar():
    """``float(q.max()) if test else y.sum() * 0.5`` on empty arrays: the first side raises
    while traced (max of an empty array: raised when taken), and the side standing in for
    it returned a 0-d array, so the result was an ndarray where NumPy returns np.float64
    (fuzz seed 1601000237)."""
    def f(q, y):
        return float(q.max()) if not (np.abs(y) < 2.6).all() else y.sum() * 0.5

    jitted = tj.jit(f)
    empty = np.zeros(0, np.int64), np.zeros(0)
    got = jitted(*empty)
    assert type(got) is np.float64 and got == f(*empty)
    for y in (np.ones(4), np.full(4, 5.0)):
        assert jitted(np.arange(4), y) == f(np.arange(4), y)


def _agree(fn, *inputs):
    """jit and eager agree on every input (values; a Python number that a traced decision
    picks comes back as the NumPy type: the documented promotion)."""
    jitted = tj.jit(fn)
    for x in inputs:
        want, got = fn(x), jitted(x)
        for w, g in zip(want if isinstance(want, tuple) else (want,), got if isinstance(got, tuple) else (got,)):
            assert g == w, (fn.__name__, x, want, got)
            if isinstance(w, np.generic):
                assert np.asarray(g).dtype == w.dtype


_INPUTS = (np.arange(4.0), -np.arange(4.0), np.zeros(0), np.array([3.0, 1.0, 0.5, 2.0, 7.0]),
           np.arange(6, dtype=np.int64), np.array([2.0]))


def test_accumulator_from_a_python_int_in_a_loop_of_a_traced_trip_count():
    """``s = 0; for i in range(int((x > 0).sum())): s = s + x[i]``: the first step changes the
    carried type (Python int to float64), which a loop of a static trip count runs before
    the loop; with a traced trip count it was refused (NotRollable). The first steps now run
    as traced ``if`` statements (as a ``while`` peels them), the index traced so that a read
    past the end raises only where the step runs (fuzz seed 1601000016 and others)."""
    def plain(x):
        s = 0
        for i in range(int((x > 0).sum())):
            s = s + x[i]
        return s

    def with_break(x):
        s = 0
        for i in range(len(x[x > 0])):
            if x[i] > 2.5:
                break
            s += x[i] * 0.5
        return s

    def with_continue(x):
        s, t = 0, 0.0
        for i in range(int((x > 0).sum())):
            if x[i] < 1:
                continue
            s = s + x[i]
            t = t + s
        return s, t

    def reads_ahead(x):
        s = 0
        for i in range(1, int((x > 0).sum())):
            s = s + x[i - 1] * x[i]
        return s

    def nested(x):
        acc = 0
        for i in range(int((x > 0).sum())):
            for j in range(i):
                acc = acc + x[j]
        return acc

    for fn in (plain, with_break, with_continue, reads_ahead, nested):
        _agree(fn, *_INPUTS)


def test_return_inside_a_rolled_for_loop():
    """A ``return`` inside a ``for`` loop that rolls (a traced trip count, or a static one
    too long to unroll): the rolled attempt found the return value to carry at every
    attempt (the retries ran out: "too many arrays written from outside"), so a traced trip
    count was refused and a static one unrolled its first step."""
    def traced_count(x):
        s = 0.0
        for i in range(int((x > 0).sum())):
            s = s + x[i]
            if s > 3:
                return s, i
        return s, -1

    def static_count(x):
        s = 0.0
        for i in range(x.shape[0]):
            s = s + x[i]
            if s > 3:
                return s, i
        return s, -1

    def retyped(x):
        s = 0
        for i in range(int((x > 0).sum())):
            s = s + x[i]
            if s > 3:
                return s, i
        return s, -1

    for fn in (traced_count, retyped):
        _agree(fn, *_INPUTS)
    _agree(static_count, np.arange(10.0), np.full(10, 0.1), np.arange(7, dtype=np.int64))
    assert "rolled (10 steps)" in "\n".join(tj.jit(static_count).lower(np.ones(10)).as_text("source").splitlines()[-3:])


def test_complex_of_traced_values_is_a_python_complex():
    """``complex(x[j], y[i])`` (tests/realworld mandelbrot_pixels) was refused: a traced Python
    complex was not modelled. It is now a complex value weak in promotion as Python's complex
    is (``c * float32_array`` is complex64), Python's arithmetic on it gives one (``abs`` a
    Python float, ``==`` a Python bool), a loop or branch carries it as one, and a result
    returns as a Python complex."""
    def f(x, a32):
        c = complex(x[0], x[1])
        z = 0j
        n = 0
        while abs(z) < 2 and n < 10:
            z = z * z + c
            n += 1
        w = c * 2 if x[1] > 0 else c
        return z * a32, z, n, w * a32, w, abs(w) > 1, c == w, complex(x[2]), c.real * a32, c.imag, c.conjugate()

    jitted = tj.jit(f)
    for x in (np.array([0.25, 0.5, 1.0]), np.array([-0.75, 0.1, 2.0]), np.array([1.0, -2.0, 3.0])):
        a32 = np.ones(2, np.float32)
        for w, g in zip(f(x, a32), jitted(x, a32)):
            assert type(g) is type(w) and np.asarray(g).dtype == np.asarray(w).dtype
            np.testing.assert_allclose(g, w, rtol=1e-6)


def test_numpy_scalar_type_of_a_traced_value():
    """``np.float64(x.sum())`` (the widened fuzzer's ``while True`` block) raised
    TracerConversionError: NumPy's scalar constructor asks for a concrete value. Converted
    code routes ``<module>.float64(...)`` and NumPy's other scalar types like ``len``: a traced
    NumPy value's ``astype``, a NumPy scalar where it is 0-d, an array where it has dims; of a
    traced Python number, its cast (to a float or bool type, or an int to int64)."""
    def f(x, y):
        s = np.float64(y.sum())
        k = 0
        while True:
            s = s * 1.5 + 1.0
            k += 1
            if s > 8.0 or k >= 5:
                break
        return s, np.float32(x[0]), np.int64(y[1]), np.float64(x), np.bool_(y[0]), np.complex128(y[2]), \
            np.int32(y.sum()), np.float64(3), np.float64(float(y.mean())), np.float32(float(y[1])), \
            np.int64(int(x[1])), np.bool_(float(y[0])), np.float64(len(x[x > 0]))

    jitted = tj.jit(f)
    for x, y in ((np.arange(3), np.array([0.5, 2.7, -1.0])), (np.arange(2, 7), np.array([0.0, -3.5, 9.0, 1.0]))):
        for w, g in zip(f(x, y), jitted(x, y)):
            assert type(g) is type(w) and np.asarray(g).dtype == np.asarray(w).dtype
            np.testing.assert_array_equal(g, w)


def test_loop_of_a_traced_trip_count_changing_a_numpy_values_dtype_is_refused_naming_the_loop():
    """``s = np.int64(1)`` then ``s * 0.5 + x[i]``: eagerly int64 after no step, float64 after
    one (a NumPy value changing dtype: no promotion applies); refused naming the loop."""
    def f(x):
        s = np.int64(1)
        for i in range(int((x > 0).sum())):
            s = s * 0.5 + x[i]
        return s

    with pytest.raises(tj.UnsupportedError, match=r"'s' is float64\[\] after one branch of the `for` loop at line "
                                                   r"\d+ \(its first step runs or not"):
        tj.jit(f, fallback=False)(np.arange(4))
