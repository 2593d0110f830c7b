"""Every elementwise op in the registry, jit vs NumPy eager, over dtypes and layouts.

One jitted function per (op, dtype) applies the op to every shape case at once, so
each combination compiles once. Ops are found in the registry: a new op is tested
here without touching this file (give it a domain below if its inputs need one).
"""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.cases import EXTRA_DTYPES, MAIN_DTYPES, shape_cases
from tests.conftest import assert_same
from tracejit.compiler.ops import ops_of_kind

UFUNC_OPS = [op for op in ops_of_kind("elementwise") if op.ufunc is not None]

DOMAINS = {
    "arccosh": "atleast1", "arcsin": "unit", "arccos": "unit", "arctanh": "unit",
    "left_shift": "shift", "right_shift": "shift", "power": "exponent",
}
# Results computed by different (equally accurate) math libraries: compare within ulps.
TRANSCENDENTAL = {"exp", "exp2", "log", "log2", "log10", "log1p", "expm1", "sin", "cos", "tan",
                  "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh",
                  "arctanh", "cbrt", "arctan2", "hypot", "logaddexp", "power"}


def _supported(op, dtype) -> bool:
    try:
        loop = op.ufunc.resolve_dtypes((dtype,) * op.ufunc.nin + (None,) * op.ufunc.nout)
    except TypeError:
        return False
    if op.ufunc is np.signbit:  # a float16 loop of 8-bit ints and bools, but a bool result: computed exactly
        loop = loop[-1:]
    return all(d.kind in "biuf" and d.itemsize >= 1 for d in loop)


def _run(op, dtype, seed=0):
    rng = np.random.default_rng(seed)
    domain = DOMAINS.get(op.name, "any")
    if op.name in ("power",) and dtype.kind in "iu":
        cases = [tuple([c[0]] + [np.abs(x) % 6 if x.dtype.kind == "i" else x for x in c[1:]])
                 for c in shape_cases(rng, dtype, op.ufunc.nin, "small")]
    else:
        cases = shape_cases(rng, dtype, op.ufunc.nin, domain)
    ufunc = op.ufunc

    def apply_all(cases):
        return tuple(ufunc(*c) for c in cases)

    with np.errstate(all="ignore"):
        expected = apply_all(cases)
        actual = tj.jit(apply_all)(cases)
    tolerance = 8 if op.name in TRANSCENDENTAL and dtype.kind in "fiub" else 0
    if op.name in TRANSCENDENTAL and np.result_type(expected[0]).kind == "f":
        tolerance = 8
    assert_same(actual, expected, ulps=tolerance, what=f"{op.name}[{dtype}]")


@pytest.mark.parametrize("dtype", MAIN_DTYPES, ids=str)
@pytest.mark.parametrize("op", UFUNC_OPS, ids=lambda op: op.name)
def test_ufunc_op(op, dtype):
    if not _supported(op, dtype):
        # NumPy rejects (or has no float16-free loop for) this dtype; so must we, at trace time.
        x = np.ones(3, dtype)
        with pytest.raises((TypeError, tj.UnsupportedError)):
            tj.jit(lambda *a: op.ufunc(*a))(*([x] * op.ufunc.nin))
        return
    _run(op, dtype)


@pytest.mark.slow
@pytest.mark.parametrize("dtype", EXTRA_DTYPES, ids=str)
@pytest.mark.parametrize("op", UFUNC_OPS, ids=lambda op: op.name)
def test_ufunc_op_extra_dtypes(op, dtype):
    if _supported(op, dtype):
        _run(op, dtype, seed=1)


def test_every_ufunc_op_is_reachable_from_numpy():
    """Each registry op with a ufunc is what calling that ufunc on a tracer records."""
    for op in UFUNC_OPS:
        dtype = next(d for d in (np.dtype("float64"), np.dtype("int64"), np.dtype(bool)) if _supported(op, d))
        x = np.ones(2, dtype)
        low = tj.jit(lambda *a: op.ufunc(*a)).lower(*([x] * op.ufunc.nin))
        assert f"= {op.name} " in low.as_text("graph") or f"= {op.name}[" in low.as_text("graph"), op.name


@pytest.mark.parametrize("src", MAIN_DTYPES + [np.dtype("uint8"), np.dtype("int8")], ids=str)
@pytest.mark.parametrize("dst", MAIN_DTYPES + [np.dtype("uint8"), np.dtype("uint64")], ids=str)
def test_astype(src, dst):
    rng = np.random.default_rng(2)
    if src.kind == "f":
        x = (rng.standard_normal(41) * 50).astype(src)  # in range of every target
        x[:3] = [0.0, -0.0, 1.5]
        if dst.kind == "u":
            x = np.abs(x)
    else:
        x = rng.integers(0, 2 if src.kind == "b" else 100, 41).astype(src)
    assert_same(tj.jit(lambda v: v.astype(dst))(x), x.astype(dst), what=f"{src}->{dst}")
    assert_same(tj.jit(lambda v: v[::-2].astype(dst))(x), x[::-2].astype(dst))


@pytest.mark.parametrize("dtype", MAIN_DTYPES, ids=str)
def test_where_and_clip(dtype):
    rng = np.random.default_rng(3)
    from tests.cases import values
    x, y = values(rng, (6, 7), dtype), values(rng, (7,), dtype)
    c = rng.random((6, 1)) < 0.5

    def f(c, x, y):
        out = [np.where(c, x, y), np.where(x > y, x, 0), np.where(c, 1.5, y)]
        if dtype.kind != "b":
            out.append(np.clip(x, 0, 5))
            out.append(x.clip(min=y))
        return out

    assert_same(tj.jit(f)(c, x, y), f(c, x, y))


def test_float_division_family_special_values():
    a = np.array([-7.5, 7.5, -0.0, 3.0, np.inf, -np.inf, 5.0, np.nan, 1e300, -3.0, 0.0])
    b = np.array([2.0, -2.0, 3.0, 0.0, 2.0, 3.0, np.inf, 1.0, 1e-300, -np.inf, -0.0])

    def f(a, b):
        return a // b, a % b, np.fmod(a, b), a / b, divmod(a, b)

    for dt in (np.float64, np.float32):
        with np.errstate(all="ignore"):
            assert_same(tj.jit(f)(a.astype(dt), b.astype(dt)), f(a.astype(dt), b.astype(dt)))


@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "uint8", "uint64"])
def test_integer_division_edge_cases(dtype):
    info = np.iinfo(dtype)
    a = np.array([info.min, info.max, 7, -7, 0, 5, info.min, 1], dtype=dtype) if info.min < 0 else \
        np.array([info.max, 7, 0, 5, 1, 200 % (info.max + 1), 3, 9], dtype=dtype)
    b = np.array([-1, 0, 2, -2, 0, -1, 1, 3], dtype=np.int64).astype(dtype) if info.min < 0 else \
        np.array([0, 2, 3, 0, 1, 7, 0, 4], dtype=dtype)

    def f(a, b):
        return a // b, a % b, np.fmod(a, b), a >> (b & 7), a << (b & 7), np.abs(a), -a

    with np.errstate(all="ignore"):
        assert_same(tj.jit(f)(a, b), f(a, b))


def test_heaviside_special_values_and_dtypes():
    """NaN gives NaN, either zero gives x2 (NaN too), infinities 0 and 1; integer
    operands compute in float64 as NumPy's loop does, Python scalars stay weak."""
    x = np.array([np.nan, -np.inf, -0.0, 0.0, 2.0, -3.0, np.inf, 1e-300, -1e-45, 0.0])
    h = np.array([0.5, 0.5, np.nan, 7.0, 0.5, np.nan, -1.0, 2.0, 3.0, -np.inf])

    def f(x, h, i):
        return (np.heaviside(x, h), np.heaviside(x, 0.5), np.heaviside(h, x), np.heaviside(i, i),
                np.heaviside(i, 0.5), np.heaviside(x[:0], h[:0]), np.heaviside(x[:, None], h[None, :3]))

    ints = np.array([-2, 0, 5, np.iinfo(np.int32).min], dtype=np.int32)
    for dt in (np.float64, np.float32):
        with np.errstate(all="ignore"):
            assert_same(tj.jit(f)(x.astype(dt), h.astype(dt), ints), f(x.astype(dt), h.astype(dt), ints))
    b = np.array([True, False])  # NumPy's bool loop is float16
    assert_same(tj.jit(np.heaviside)(b, b[::-1]), np.heaviside(b, b[::-1]))


@pytest.mark.parametrize("fn", [np.deg2rad, np.radians, np.rad2deg, np.degrees], ids=lambda f: f.__name__)
def test_angle_conversions_match_numpy_bit_for_bit(fn):
    """One multiply by a constant rounded in the loop dtype, as NumPy's loops compute it:
    equal bits over a wide range, special values, ints (computed in float64), Python
    scalars, broadcasting, 0-size; NumPy's bool loop is float16."""
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.standard_normal(999) * 10.0 ** rng.integers(-40, 300, 999),
                        [np.nan, np.inf, -np.inf, 0.0, -0.0, 5e-324, 1.7e308, -1.7e308]])
    ints = np.array([-2, 0, 5, 180, np.iinfo(np.int32).min], dtype=np.int32)

    def f(x, i):
        return fn(x), fn(i), fn(x[:0]), fn(x[:3, None] + x[None, :2]), fn(2), fn(x) * 2.0

    for dt in (np.float64, np.float32):
        with np.errstate(all="ignore"):
            xd = x.astype(dt)
            assert_same(tj.jit(f)(xd, ints), f(xd, ints), ulps=0)
    assert_same(tj.jit(fn)(np.array([True, False])), fn(np.array([True, False])))
