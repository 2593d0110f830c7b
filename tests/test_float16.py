"""float16 arguments, intermediates and results against NumPy eager: elementwise ops and casts
bit for bit (every float16 value, NaN payloads included), transcendentals within 1 ulp of
float16, reductions as NumPy's loops accumulate (float32 inside the inner loop), matmul,
promotion with ints, float32 and Python scalars, and the float16 results NumPy gives for
bools and 8-bit ints."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.differential import check

ALL = np.arange(1 << 16, dtype=np.uint16).view(np.float16)  # every float16, NaNs and infinities too
SHUFFLED = ALL[np.random.default_rng(0).permutation(ALL.size)]


def _numpy_half_svml() -> bool:
    """Whether NumPy's float16 transcendental loops run in half precision (its AVX512-FP16
    loops, on Sapphire Rapids and later): they are then within 1 ulp of the float32 function
    rounded once, not equal to it, so comparisons of their results allow that ulp."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # (NumPy < 2)
        return False
    return bool(__cpu_features__.get("AVX512_SPR"))


HALF_SVML = _numpy_half_svml()


def bits(x: np.ndarray) -> np.ndarray:
    """The raw bits of a float array (so -0.0 and NaN payloads count)."""
    return x.view(np.dtype(f"u{x.itemsize}"))


def same_bits(got, want, payloads: bool = True) -> None:
    """Equal dtype, shape and bits (NaN payloads too, unless ``payloads`` is False: which
    operand's NaN an add of two NaNs returns is the C compiler's choice, not NumPy's)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, (got.dtype, got.shape, want.dtype, want.shape)
    if want.dtype.kind == "f":
        if not payloads:
            assert np.array_equal(np.isnan(got), np.isnan(want))
            got, want = np.where(np.isnan(got), np.nan, got), np.where(np.isnan(want), np.nan, want)
        got, want = bits(got), bits(want)
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, f"{bad.size} elements differ, first at {bad[:5]}: {got.flat[bad[:5]]} vs {want.flat[bad[:5]]}"


def within_ulps(got, want, ulps: float) -> None:
    """Equal dtype and shape, NaN where NumPy has NaN, else within ``ulps`` float16 ulps."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype == np.float16 and got.shape == want.shape
    assert np.array_equal(np.isnan(got), np.isnan(want))
    g, w = got[~np.isnan(want)].astype(np.float64), want[~np.isnan(want)].astype(np.float64)
    assert np.array_equal(np.isinf(g), np.isinf(w)) and np.array_equal(g[np.isinf(w)], w[np.isinf(w)])
    finite = np.isfinite(w)
    err = np.abs(g[finite] - w[finite]) / np.spacing(np.abs(w[finite]).astype(np.float16)).astype(np.float64)
    assert err.size == 0 or err.max() <= ulps, f"max error {err.max()} ulps"


def arithmetic(a, b):
    return (a + b, a - b, a * b, a / b, a // b, a % b, -a, abs(b), a ** 2, np.sqrt(a), np.square(b),
            np.maximum(a, b), np.minimum(a, b), np.fmax(a, b), np.hypot(a, b), np.copysign(a, b),
            np.floor(a), np.ceil(b), np.rint(a), np.trunc(b), np.sign(a), np.reciprocal(b), np.heaviside(a, b),
            np.where(a > b, a, b), np.clip(a, -1.5, b), np.round(a, 2), np.deg2rad(b), np.logaddexp(a, b),
            a ** b, np.fmod(a, b), 1 / (1 + np.exp(-a)), (a * b + a) * b)


def comparisons(a, b):
    return (a < b, a <= b, a == b, a != b, a > b, a >= b, np.isnan(a), np.isinf(a), np.isfinite(b),
            np.signbit(a), np.logical_and(a, b))


def test_elementwise_bit_exact_on_every_float16():
    with np.errstate(all="ignore"):
        want = arithmetic(SHUFFLED, ALL)
        got = tj.jit(arithmetic)(SHUFFLED, ALL)
    for k, (g, w) in enumerate(zip(got, want)):
        if HALF_SVML and k == len(want) - 2:  # (NumPy's exp in half precision: round once as elsewhere)
            with np.errstate(all="ignore"):
                w = 1 / (1 + np.exp(-SHUFFLED.astype(np.float32)).astype(np.float16))
        try:
            same_bits(g, w, payloads=False) if k != len(want) - 4 else within_ulps(g, w, 1)  # logaddexp
        except AssertionError as e:
            raise AssertionError(f"result {k}: {e}") from None
    for g, w in zip(tj.jit(comparisons)(SHUFFLED, ALL), comparisons(SHUFFLED, ALL)):
        same_bits(g, w)


def casts_from(x):
    return tuple(x.astype(t) for t in (np.float32, np.float64, np.int8, np.int16, np.int32, np.int64, np.uint8,
                                       np.uint16, np.uint32, np.uint64, np.bool_))


def test_casts_from_float16_bit_exact():
    with np.errstate(all="ignore"):
        for g, w in zip(tj.jit(casts_from)(ALL), casts_from(ALL)):
            same_bits(g, w)


def casts_to(d, f, i64, u64, i8, b):
    return tuple(x.astype(np.float16) for x in (d, f, i64, u64, i8, b))


def test_casts_to_float16_bit_exact():
    """Round to nearest even (ties between float16 values: exactly the midpoints), overflow
    to inf, subnormals, signaling NaNs kept signaling as NumPy's bit-level casts do."""
    rng = np.random.default_rng(1)
    h = ALL[np.isfinite(ALL)].astype(np.float64)
    mids = (np.sort(h)[:-1] + np.sort(h)[1:]) / 2
    nans = np.array([0x7FF0000000000001, 0x7FF0040000000000, 0xFFF4000000000000, 0x7FF8000000000001], np.uint64)
    d = np.concatenate([mids, np.nextafter(mids, np.inf), np.nextafter(mids, -np.inf), h + 2.0 ** -40,
                        rng.standard_normal(20000) * np.exp2(rng.integers(-30, 20, 20000)), nans.view(np.float64),
                        [1e300, -1e300, np.inf, -np.inf, 65519.99, 65520.0, 2.0 ** -25, 2.0 ** -26, -0.0, 5e-8]])
    f_nans = np.array([0x7F800001, 0x7F802000, 0xFFA00000, 0x7FC00001], np.uint32).view(np.float32)
    with np.errstate(all="ignore"):
        f = np.concatenate([d.astype(np.float32), f_nans])
    i64 = np.concatenate([rng.integers(-2 ** 62, 2 ** 62, 5000), np.arange(-70000, 70000, 7)])
    args = (d, f, i64, i64.astype(np.uint64), i64.astype(np.int8), i64 % 3 == 0)
    with np.errstate(all="ignore"):
        for g, w in zip(tj.jit(casts_to)(*args), casts_to(*args)):
            same_bits(g, w)


def transcendentals(x):
    return (np.exp(x), np.log(x), np.sin(x), np.cos(x), np.tanh(x), np.expm1(x), np.log1p(x), np.arctan(x),
            np.exp2(x), np.log2(x), np.sinh(x), np.arcsinh(x), np.cbrt(x), np.arctan2(x, x[::-1]))


def test_transcendentals_within_one_ulp():
    """NumPy's float16 loops call the float32 function and round once; ours compute in
    float32 (our own vector math, within 1 float32 ulp) and round once: at most 1 ulp of
    float16 apart, nearly always equal (where NumPy's loops run in half precision, ``HALF_SVML``,
    within that ulp without the count)."""
    with np.errstate(all="ignore"):
        want = transcendentals(ALL)
        got = tj.jit(transcendentals)(ALL)
    for g, w in zip(got, want):
        within_ulps(g, w, 1)
        assert HALF_SVML or np.count_nonzero((bits(g) != bits(w)) & ~np.isnan(w)) <= 16


def small_ints(i8, u8, b):
    return np.sqrt(i8), np.exp(u8), np.sin(b), np.round(b), np.log(u8), np.cbrt(i8), np.tanh(b), i8 / u8


def test_float16_results_of_bools_and_8bit_ints():
    """NumPy's float16 loops for bools and 8-bit ints: np.sqrt(int8) is float16, as is np.round(bool)."""
    i8 = np.arange(-128, 128, dtype=np.int8)
    with np.errstate(all="ignore"):
        for g, w in zip(tj.jit(small_ints)(i8, i8.view(np.uint8), i8 % 3 == 0),
                        small_ints(i8, i8.view(np.uint8), i8 % 3 == 0)):
            same_bits(g, w, payloads=False)
    with pytest.raises(TypeError):  # so does NumPy (a UFuncTypeError, a TypeError)
        tj.jit(lambda b: np.round(b, 2))(np.array([True, False]))


@pytest.mark.parametrize("fn", [
    lambda x, i8, i16, f: (x + i8, x * i16, x - f, x + 2.5, x * 3, x + np.float32(1.5), x + 1e5, 2 ** x, x / 7),
    lambda x, i8, i16, f: (np.float16(1.5) + i8, np.int8(3) * x, x.astype(np.float16) + i16.astype(np.uint8)),
])
def test_promotion(fn):
    """NumPy 2: float16 + int8/uint8/bool/Python scalars stays float16; + int16 or float32 is float32."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal(37).astype(np.float16)
    check(fn, x, rng.integers(-100, 100, 37).astype(np.int8), rng.integers(-999, 999, 37).astype(np.int16),
          rng.standard_normal(37).astype(np.float32))


def reductions(x):
    return (x.sum(), x.sum(1), x.sum(0), x.mean(), x.mean(0), x.prod(1), x.max(), x.min(0), np.argmax(x),
            np.argmin(x, axis=0), x.var(), x.std(1), np.cumsum(x, axis=1), x.sum(keepdims=True))


def test_reductions_accumulate_as_numpy():
    """Sums and products along the inner axis accumulate in float32 and round once, the
    other axes add rows in float16 (NumPy's loop structure on C-ordered arrays), means in
    float32: bit for bit here; the summation order inside one inner loop may differ, so
    larger sums are checked within 1 ulp."""
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((64, 50)) * 4).astype(np.float16)
    x[0, 0] = 2048  # the per-row rounding of axis-0 sums shows
    for g, w in zip(tj.jit(reductions)(x), reductions(x)):
        assert type(g) is type(w)
        same_bits(g, w)
    y = (rng.random((1500, 12)) / 64).astype(np.float16)
    y[0] = 2048
    layouts = lambda y: (y.sum(0), y.T.sum(1), y[:, ::2].sum(0), y.T.sum(0),  # noqa: E731
                         y.reshape(30, 50, 12).sum((1, 2)))
    for g, w in zip(tj.jit(layouts)(y), layouts(y)):  # NumPy's inner loop: the smallest stride
        same_bits(g, w)
    same_bits(tj.jit(np.sum)(np.asfortranarray(y), 0), np.asfortranarray(y).sum(0))  # an F-ordered argument
    mixed = lambda y: y.reshape(30, 50, 12).sum((0, 2))  # noqa: E731  NumPy: round(carry + row sum)
    within_ulps(tj.jit(mixed)(y), mixed(y), 2)
    big = rng.random(100_000).astype(np.float16)
    within_ulps(tj.jit(np.sum)(big), np.sum(big), 1)
    within_ulps(tj.jit(np.mean)(big), np.mean(big), 1)


def test_matmul_accumulates_in_float32():
    """NumPy's float16 matmul sums in float32 and rounds once per element (2048 + 16 ones is 2064)."""
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((9, 33)).astype(np.float16), rng.standard_normal((33, 5)).astype(np.float16)
    a[0, :16], b[:16, 0] = [2048] + [1] * 15, 1
    within_ulps(tj.jit(np.matmul)(a, b), a @ b, 1)
    assert tj.jit(np.matmul)(a, b)[0, 0] == (a @ b)[0, 0]
    within_ulps(tj.jit(np.dot)(a[1], b), np.dot(a[1], b), 1)


def chain(x, y):
    return np.tanh(x * y + 1) - x / (y + 2)


def test_noncontiguous_and_new_shapes():
    """Strided float16 views, then a second call with other shapes (one jit)."""
    rng = np.random.default_rng(5)
    f = tj.jit(chain)
    for shape in ((10, 12), (3, 40)):
        x = rng.standard_normal(shape).astype(np.float16)
        y = rng.standard_normal((shape[1], shape[0])).astype(np.float16)
        with np.errstate(all="ignore"):
            same_bits(f(x[:, ::2], y.T[:, ::2]), chain(x[:, ::2], y.T[:, ::2]))
            same_bits(f(x, y.T), chain(x, y.T))


def test_per_op_rounding_in_fused_kernels():
    """One fused kernel rounds to float16 after every op (vcvtps2ph between the float32
    ops), never carrying a float32 intermediate: (x*y)+x where x*y alone would round."""
    x, y = np.full(8, 1 + 2.0 ** -10, np.float16), np.full(8, 1 + 2.0 ** -10, np.float16)
    lowered = tj.jit(lambda x, y: (x * y + x) * y).lower(x, y)
    asm = lowered.as_text("asm")
    assert asm.count("vcvtps2ph") >= 3 or asm.count("__truncsfhf2") >= 3
    same_bits(tj.jit(lambda x, y: x * y - x)(x, y), x * y - x)  # 1 + 2**-9 + 2**-20 rounds first


def test_writes_scalars_zero_size():
    """In-place writes into a float16 argument, a float16 NumPy scalar, a 0-d and a 0-size array."""
    def inplace(x, s):
        x[1] += s
        x[:, 0] = x[:, 1] * 2
        return x.sum(0) + s

    check(inplace, np.arange(12, dtype=np.float16).reshape(3, 4) / 3, np.float16(2.5))
    check(lambda x: (x * 2, x.sum(), np.exp(x)), np.float16(1.5))
    check(lambda x: (x + 1, x.sum()), np.array(3.25, np.float16))
    check(lambda x: (x * 2, x.sum(), x.sum(0), np.exp(x)), np.zeros((0, 3), np.float16))


def test_python_numbers_and_converted_code():
    """float()/np.float16() of traced float16 values, a loop carry and an if in converted code."""
    def f(x):
        s = float(x.sum())
        acc = np.float16(0)
        for i in range(3):
            acc = acc + x[i] * 2
        if x[1] > 0:
            acc = acc - 1
        return s * x, np.float16(x[0]) + 1, acc, np.float32(x[2]) + x, np.maximum(x, 0) * np.float16(3.3) + np.arange(9)

    check(f, np.linspace(-2, 2, 9).astype(np.float16))
