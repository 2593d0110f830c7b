"""Issue 17's natively compiled NumPy functions (part 1): the other ``ufunc.accumulate``s,
bitwise ``ufunc.reduce``s, ``cumsum(out=)``, ``ufunc.at``, ``take_along_axis``,
``triu``/``tril`` of 1-d arrays, ``select``, ``put``, ``append``, ``kron``,
``column_stack``, ``ptp``, ``partition``/``argpartition``: jit against eager NumPy
(values, dtype, shape, arguments after the call, the exception type)."""
from __future__ import annotations

import zlib

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same
from tests.differential import check

rng = np.random.default_rng(17)


@pytest.fixture(autouse=True)
def _seeded(request):
    """Each test's values from its own name: the same whichever tests run before it."""
    global rng
    rng = np.random.default_rng(zlib.crc32(request.node.name.encode()))
DTYPES = ["bool", "int8", "int32", "uint16", "int64", "float32", "float64"]


def sample(shape, dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.integers(0, 2, shape).astype(bool)
    if dtype.kind in "iu":
        return rng.integers(0 if dtype.kind == "u" else -9, 10, shape).astype(dtype)
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    if x.size > 3:
        x.flat[3] = np.nan
    return x


# -- accumulate, reduce, out= -------------------------------------------------------------------

ACCUMULATE = [np.maximum, np.minimum, np.logical_and, np.logical_or, np.logical_xor, np.bitwise_and,
              np.bitwise_or, np.bitwise_xor]


@pytest.mark.parametrize("dtype", DTYPES)
def test_accumulates(dtype):
    x = sample((5, 7), dtype)[:, ::2]  # (non-contiguous)
    for ufunc in ACCUMULATE:
        check(lambda a: (ufunc.accumulate(a), ufunc.accumulate(a, axis=1), ufunc.accumulate(a[0], axis=None)), x)


def test_accumulate_dtype_odd_sizes_and_errors():
    check(lambda a: np.maximum.accumulate(a, dtype=np.float64), np.arange(5, dtype=np.int8))
    check(lambda a: (np.minimum.accumulate(a, axis=0), np.bitwise_or.accumulate(a.astype(np.int16), axis=1)),
          np.zeros((0, 3)))
    check(lambda a: np.maximum.accumulate(a, axis=1), np.ones((3, 1)))
    check(lambda a: np.bitwise_xor.accumulate(a), np.ones(4))  # TypeError: no float loop
    check(lambda a: np.maximum.accumulate(a, axis=None), np.ones((2, 2)))  # ValueError
    check(lambda a: np.maximum.accumulate(a, axis=2), np.ones((2, 2)))  # AxisError
    f = tj.jit(lambda a: np.maximum.accumulate(a, axis=0))
    for shape in [(6,), (3, 4), (1, 9)]:  # a second call with new shapes
        x = sample(shape, "float64")
        assert_same(f(x), np.maximum.accumulate(x, axis=0))


@pytest.mark.parametrize("dtype", ["bool", "int8", "uint32", "int64"])
def test_bitwise_reduce(dtype):
    x = sample((4, 5, 3), dtype)
    for ufunc in (np.bitwise_xor, np.bitwise_and, np.bitwise_or):
        check(lambda a: (ufunc.reduce(a), ufunc.reduce(a, axis=1), ufunc.reduce(a, axis=None),
                         ufunc.reduce(a, axis=(0, 2), keepdims=True), ufunc.reduce(a[:0], axis=0),
                         ufunc.reduce(a[:, ::-2], axis=-1)), x)


def test_bitwise_reduce_errors():
    check(lambda a: np.bitwise_xor.reduce(a), np.ones(3))  # TypeError
    check(lambda a: np.bitwise_and.reduce(a, axis=3), np.ones((2, 2), np.int32))  # AxisError


def test_scan_out():
    def f(a, o, p, q):
        r = np.cumsum(a, axis=1, out=o)
        np.cumprod(a, out=p)
        np.maximum.accumulate(a, axis=0, out=q)
        return r, r is o
    check(f, sample((3, 4), "float64"), np.zeros((3, 4), np.int64), np.zeros(12, np.float32), np.zeros((3, 4)))
    check(lambda a, o: np.cumsum(a, out=o), np.ones((3, 4)), np.zeros((3, 4)))  # ValueError: flattened


# -- ufunc.at ------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["bool", "int8", "int64", "float32", "float64"])
def test_ufunc_at_accumulates_repeated_indices(dtype):
    def f(a, i, b):
        np.add.at(a, i, b)
        np.maximum.at(a, i[::-1], b[:3].astype(a.dtype)[0])
        np.minimum.at(a, (i % 3,), a[:1])
        if a.dtype != np.bool_:
            np.multiply.at(a, i[:2], 2)
            np.subtract.at(a, i, 1)
        return a
    check(f, sample(7, dtype), np.array([0, 3, 3, -1, 3, 6, 0]), sample(7, dtype))


def test_ufunc_at_2d_casts_and_keys():
    def f(a, i, j, b):
        np.add.at(a, (i, j), b)  # two index arrays
        np.add.at(a, (slice(None), j), 1.5)  # a slice and an array; int a: float loop, truncated each time
        np.maximum.at(a, 1, b[:4])  # an integer: read, combine, write
        np.add.at(a, (Ellipsis, 0), 3)
        return a
    check(f, np.zeros((3, 4), np.int32), np.array([0, 2, 2, 2]), np.array([1, 1, 1, 3]), np.arange(4) * 1.7)
    check(f, np.zeros((3, 4), np.float32)[:, ::-1], np.array([0, 2, 2, 2]), np.array([1, 1, 1, 3]),
          np.arange(4) * 1.7)


def test_ufunc_at_traced_index_out_of_range_raises_at_the_line():
    def f(a, i):
        np.add.at(a, i, 1.0)
        return a
    g = tj.jit(f)
    assert_same(g(np.zeros(4), np.array([1, 1, -4])), np.array([1.0, 2.0, 0.0, 0.0]))
    with pytest.raises(IndexError, match=r"index 4 is out of bounds for axis 0 with size 4") as info:
        g(np.zeros(4), np.array([1, 4]))  # (checked before the call: the function ran eagerly, NumPy's error)
    assert any(entry.name == "f" for entry in info.traceback)  # raised at the user's line
    with pytest.raises(tj.UnsupportedError, match="negative.at"):  # unary ufunc.at: refused
        tj.jit(lambda a: np.negative.at(a, [0]), fallback=False)(np.ones(3))
    check(lambda a: np.subtract.at(a, [0], True), np.ones(3, bool))  # TypeError, as NumPy


# -- assembly ------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["bool", "int16", "float32", "float64"])
def test_take_along_axis(dtype):
    x = sample((4, 6), dtype)
    def f(a, i):
        s = np.argsort(a, axis=1)
        return (np.take_along_axis(a, s, axis=1), np.take_along_axis(a, i, axis=0),
                np.take_along_axis(a, i[:, :1], axis=1), np.take_along_axis(a[:, ::2], s[:1, :3], axis=0),
                np.take_along_axis(a, i[0], axis=None))
    check(f, x, rng.integers(-4, 4, (3, 6)))
    check(lambda a, i: np.take_along_axis(a, i, axis=0), x, np.array([1.0]))  # IndexError
    check(lambda a, i: np.take_along_axis(a, i, axis=0), x, np.array([1]))  # ValueError: ndim
    with pytest.raises(IndexError, match="out of bounds"):
        tj.jit(lambda a, i: np.take_along_axis(a, i, axis=1))(x, np.full((4, 1), 6))


@pytest.mark.parametrize("dtype", ["bool", "int32", "float64"])
def test_triangles_of_1d(dtype):
    check(lambda a: (np.triu(a), np.tril(a), np.triu(a, 2), np.tril(a[::2], -1), np.triu(a[:0])), sample(7, dtype))


def test_select():
    x = sample((3, 5), "float64")
    check(lambda a: np.select([a > 0, a < -1], [a, a * 2]), x)
    check(lambda a: np.select([a > 0, a[0] < -1], [a.astype(np.float32), 7], default=np.nan), x)
    check(lambda a: np.select([a > 0], [a.astype(np.int8)], a[:, :1].astype(np.int8)), x)
    check(lambda a, d: np.select([a > 0, True], [a.astype(np.int16), d], d), x, np.int32(3))
    check(lambda a: np.select([a > 0, a], [a, a]), x)  # TypeError: not boolean
    check(lambda a: np.select([a > 0], [a, a]), x)  # ValueError
    check(lambda a: np.select([a[:0] > 0], [a[:0]]), x)


def test_put_modes():
    def f(a, i, v):
        np.put(a, i, v)
        np.put(a[1:], [0, -1], a[0, :2] * 10)
        np.put(a, i + 20, [-1.5], mode="wrap")
        np.put(a, [-3, 99], v[:1], mode="clip")
        return a
    check(f, np.arange(12.0).reshape(3, 4), np.array([0, 5, 5, -2]), np.array([7.0, 8.0, 9.0]))
    check(f, np.arange(12, dtype=np.int32).reshape(3, 4)[:, ::-1], np.array([1, 2]), np.array([7.9, 8.0]))
    def g(a, i):
        np.put(a, i, 1.0)
        return a
    h = tj.jit(g)
    a = np.zeros(5)
    with pytest.raises(IndexError, match=r"index 5 is out of bounds for axis 0 with size 5") as info:
        h(a, np.array([0, 5]))
    assert any(entry.name == "g" for entry in info.traceback) and a[0] == 1.0  # NumPy's write before the bad index
    check(g, np.zeros(0), np.array([1]))  # IndexError: empty array
    check(g, np.zeros(3), np.zeros(0, np.int64))


def test_append_column_stack_kron():
    x, y = sample((2, 3), "float32"), sample((2, 3), "int16")
    check(lambda a, b: (np.append(a, b), np.append(a, b, axis=0), np.append(a[:, :1], [[1], [2]], axis=1),
                        np.append(a[0], 5)), x, y)
    check(lambda a, b: np.append(a, b, axis=0), x, y[0])  # ValueError: dims
    check(lambda a, b: (np.column_stack([a[0], b[1]]), np.column_stack((a, b[:, ::-1], a[:, 0])),
                        np.column_stack([a[0, 0], b[0, 0]])), x, y)
    check(lambda a, b: (np.kron(a, b), np.kron(a[0], b), np.kron(a, b[0, 1]), np.kron(a[:, ::2], [1, 2]),
                        np.kron(a[:0], b)), x, y)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "float32", "float64"])
def test_ptp(dtype):
    x = sample((3, 4), dtype)
    check(lambda a: (np.ptp(a), np.ptp(a, axis=0), np.ptp(a, axis=1, keepdims=True), np.ptp(a, axis=(0, 1))), x)
    check(lambda a: np.ptp(a), np.ones(3, bool))  # TypeError: boolean subtract
    check(lambda a: np.ptp(a), np.ones(0))  # ValueError: no identity


def _assert_partitioned(part, values, kth, axis):
    """``part`` partitions ``values`` at each ``kth`` along ``axis`` (not NumPy's exact arrangement)."""
    part, values = np.moveaxis(part, axis, -1), np.moveaxis(values, axis, -1)
    ordered = np.sort(values, axis=-1)
    assert_same(np.sort(part, axis=-1), ordered)
    for k in np.atleast_1d(kth):
        k = k % values.shape[-1]
        kv = part[..., k:k + 1]
        assert_same(kv, ordered[..., k:k + 1])
        assert (part[..., :k] <= kv).all() and (part[..., k + 1:] >= kv).all()


@pytest.mark.parametrize("dtype", ["int32", "float64"])
def test_partition_and_argpartition_partition(dtype):
    x = sample((4, 9), dtype)
    x[np.isnan(x)] = 0 if x.dtype.kind == "f" else x[np.isnan(x)]
    f = tj.jit(lambda a: (np.argpartition(a, 3), np.partition(a, (1, -2), axis=0), np.argpartition(a, -1, axis=None),
                          np.partition(a[:, ::2], 0)))
    ai, p0, flat, p2 = f(x)
    assert ai.dtype == np.argpartition(x, 3).dtype
    _assert_partitioned(np.take_along_axis(x, ai, axis=-1), x, 3, -1)
    _assert_partitioned(p0, x, (1, -2), 0)
    _assert_partitioned(x.reshape(-1)[flat], x.reshape(-1), -1, 0)
    _assert_partitioned(p2, x[:, ::2], 0, -1)
    check(lambda a: np.partition(a, 9), x)  # ValueError: kth out of bounds
