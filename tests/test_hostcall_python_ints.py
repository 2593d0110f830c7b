"""Host calls (frontend/hostcall.py) with traced Python-int operands: placeholders of int and
bool scalars, and an int sizing the result (made static, traced again per value)."""
import numpy as np

import tracejit as tj


def test_traced_int_and_bool_scalar_operands():
    def f(a, n, flag):
        return np.linalg.matrix_power(a, n) * 2.0, np.linalg.norm(a, keepdims=flag)
    jf = tj.jit(f)
    a = np.array([[1.0, 0.5], [0.25, 1.0]])
    for n in (3, 2):
        got, want = jf(a, n, False), f(a, n, False)
        for g, w in zip(got, want):
            assert np.asarray(g).dtype == np.asarray(w).dtype and np.shape(g) == np.shape(w)
            np.testing.assert_allclose(g, w, rtol=1e-12)
    assert [name for name, _, _ in jf.lower(a, 3, False).fallbacks][0] == "numpy.linalg.matrix_power"


def test_python_int_sizing_a_draw_is_static():
    def f(gen, n):
        return gen.random(n) * 2.0, np.vander(np.arange(3.0), n)
    jf = tj.jit(f)
    traces, mine, eager = [], np.random.default_rng(7), np.random.default_rng(7)
    for n in (5, 4, 5):
        got, want = jf(mine, n), f(eager, n)
        for g, w in zip(got, want):
            assert g.shape == w.shape
            np.testing.assert_array_equal(g, w)
        traces.append(jf.cache_info().traces)
    assert traces[0] < traces[1] == traces[2]  # a new value traces again, a seen one does not
