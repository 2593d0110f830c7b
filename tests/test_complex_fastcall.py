"""Complex arguments and results on the direct call path (``runtime/executable.py``:
``complex_boundary``; ``runtime/dispatcher.py``): the compiled wrapper takes the complex
arrays themselves and the results come back as complex arrays, differential against NumPy;
whatever the wrapper refuses (another layout, dtype or shape, the float pair array itself)
takes the general path and still matches eager NumPy."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.threaded import run_in_threads


def _c(rng, shape, dtype=np.complex128):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)


def _same(got, want, rtol=1e-6):
    assert type(got) is type(want), (type(got), type(want))
    if isinstance(want, tuple):
        for g, w in zip(got, want):
            _same(g, w, rtol)
        return
    assert got.dtype == want.dtype and np.shape(got) == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128], ids=["c64", "c128"])
def test_matmul_takes_the_direct_path(dtype):
    """``a @ b`` of complex matrices: after the first call every call is a direct hit; the
    result within the normwise bound of the complex matmul tests (2 k eps |A| @ |B|)."""
    rng = np.random.default_rng(1)
    f = tj.jit(lambda x, y: x @ y)
    for n in (5, 24, 5):  # a second signature, then the first again
        a, b = _c(rng, (n, n), dtype), _c(rng, (n, n), dtype)
        for _ in range(3):
            got = f(a, b)
        want = a @ b
        assert type(got) is np.ndarray and got.dtype == want.dtype and got.shape == want.shape
        eps = np.finfo(want.real.dtype).eps
        assert np.all(np.abs(got - want) <= 2 * n * eps * (np.abs(a) @ np.abs(b)))
        assert f._direct is not None
    info = f.cache_info()
    assert info.traces == 2 and info.hits == 7


def test_elementwise_complex_in_and_out_natively():
    """A one-result program without temporaries is dispatched natively (slot hits)."""
    from tracejit.runtime import dispatcher
    rng = np.random.default_rng(2)
    f = tj.jit(lambda x, y: x * y + x)
    x, y = _c(rng, (7, 3)), _c(rng, (7, 3))
    for _ in range(4):
        got = f(x, y)
    _same(got, x * y + x)
    if dispatcher.dispatcher() is not None:
        assert f._slot.hits >= 3
    g = tj.jit(lambda z: np.abs(z))  # complex in, real out
    for _ in range(3):
        got = g(x)
    _same(got, np.abs(x))


def test_mixed_real_and_complex_arguments_and_results():
    rng = np.random.default_rng(3)

    def f(x, z, w):
        return np.exp(1j * x) * z, x.sum() + w.sum(), np.abs(z)

    jitted = tj.jit(f)
    for n in (6, 0, 9):  # zero-size, then new shapes
        x, z, w = rng.standard_normal(n), _c(rng, (n,)), _c(rng, (2, n), np.complex64)
        for _ in range(2):
            got = jitted(x, z, w)
        _same(got, f(x, z, w), rtol=1e-5)


def test_zero_d_and_scalar_results():
    rng = np.random.default_rng(4)
    z = _c(rng, (5, 4), np.complex64)
    total = tj.jit(lambda a: a.sum())
    first = tj.jit(lambda a: a[0, 0] * 2)
    for _ in range(3):
        _same(total(z), z.sum(), rtol=1e-5)
        _same(first(z), z[0, 0] * 2)
    zero_d = np.array(1.5 - 2j)
    double = tj.jit(lambda a: a * 2)
    for _ in range(3):
        _same(double(zero_d), zero_d * 2)
    _same(tj.jit(lambda a: a * 2)(np.complex128(3 - 1j)), np.complex128(3 - 1j) * 2)  # a NumPy scalar


def test_layouts_and_broadcasting():
    """Non-contiguous, broadcast and read-only complex arguments after a contiguous call."""
    rng = np.random.default_rng(5)
    f = tj.jit(lambda x, y: x * 2 + y)
    x, y = _c(rng, (6, 4)), _c(rng, (6, 4))
    f(x, y)
    ro = x.copy()
    ro.flags.writeable = False
    for a, b in ((x, y), (x[::2], y[::2]), (x.T, y.T), (x, y[0]), (x[:, :1], y), (ro, y),
                 (x.astype(np.complex64), y), (np.asfortranarray(x), y), (x, y)):
        for _ in range(2):
            got = f(a, b)
        _same(got, a * 2 + b)


def test_float_pairs_are_not_complex_arguments():
    """The wrapper compiled for a complex (n,) argument refuses the float (n, 2) array with
    the same memory layout: that is another signature (real arithmetic)."""
    rng = np.random.default_rng(6)
    f = tj.jit(lambda x: x * x)
    z = _c(rng, (5,))
    for _ in range(2):
        _same(f(z), z * z)
    pairs = z.view(np.float64).reshape(5, 2)
    for _ in range(2):
        _same(f(pairs), pairs * pairs)
    _same(f(z), z * z)
    g = tj.jit(lambda x: x @ x)
    m = _c(rng, (2, 2))
    g(m)
    pairs = m.view(np.float64).reshape(2, 2, 2)  # a batch of two real 2x2 matrices
    _same(g(pairs), pairs @ pairs)


def test_wrong_dtype_and_python_complex_scalars():
    rng = np.random.default_rng(7)
    f = tj.jit(lambda x, c: x * c)
    z = _c(rng, (3, 2))
    for c in (2j, 1.5 + 0.5j, 3, 0.5):
        _same(f(z, c), z * c)
    g = tj.jit(lambda x, y: x @ y, fallback=False)
    g(z.T.copy(), z)
    with pytest.raises(ValueError):
        g(z, z)  # (3, 2) @ (3, 2): a core dimension mismatch, as in NumPy
    with pytest.raises(TypeError):
        g(z.astype(np.clongdouble), z)  # no complex256
    _same(g(z.T.real.copy(), z), z.T.real @ z)  # a real matrix now: traced again


def test_native_dispatch_with_temporaries_under_threads():
    """A one-result program with temporaries (an arena) is dispatched natively, one call at
    a time in the target's arena block: calls from several threads at once (the others fall
    back to the Python direct path) all get their own right results and are all counted."""
    from tracejit.runtime import dispatcher
    rng = np.random.default_rng(9)
    f = tj.jit(lambda x, y: np.tanh(x @ y) @ y)
    mats = [(_c(rng, (40, 40)), _c(rng, (40, 40))) for _ in range(4)]  # 75 KiB moved: the GIL released
    f(*mats[0])
    entry = next(iter(f._cache.values()))
    assert entry.executable.arena_bytes and entry.native is not None and entry.native.exclusive
    assert entry.native.release
    wants = [np.tanh(a @ b) @ b for a, b in mats]
    calls = 150

    def work(i):
        a, b = mats[i]
        for _ in range(calls):
            np.testing.assert_allclose(f(a, b), wants[i], rtol=1e-9, atol=1e-9)

    errors = run_in_threads(work, [(i,) for i in range(len(mats))], switch_interval=1e-6)
    assert not errors, errors[:1]
    assert f.cache_info().hits == len(mats) * calls
    if dispatcher.dispatcher() is not None:
        assert f._slot.hits > 0
        assert f._slot.fields[dispatcher.SLOT_FIELDS.index("busy")] == 0


CAPTURED = np.array([1 + 2j, 3 - 1j, -0.5j])


def test_unused_and_captured_complex_arrays():
    """An unused complex argument before a used one; a complex global read at every call."""
    rng = np.random.default_rng(10)
    f = tj.jit(lambda unused, z: z * 3)
    g = tj.jit(lambda z: z * CAPTURED)
    u, z = _c(rng, (4,)), _c(rng, (3,))
    for _ in range(3):
        _same(f(u, z), z * 3)
        _same(g(z), z * CAPTURED)
    _same(f(u, z.astype(np.complex64)), z.astype(np.complex64) * 3)
    assert f.cache_info().hits == 2 and g.cache_info().hits == 2
