"""Products of operands of different dtypes (issue 21 item 2) against NumPy: the result's
dtype is NumPy's exactly, floats agree within a normwise bound, integers exactly (wrapping
as NumPy's do), and a GEMM-sized float product runs as the GEMM after one conversion of
each operand not in the result's dtype (``compiler/schedule/mixed.py``), never as a loop
nest converting element by element."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj

f16, f32, f64 = np.float16, np.float32, np.float64
i8, i16, i32, i64, u8, u64 = np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint64
c64, c128 = np.complex64, np.complex128


def _values(rng: np.random.Generator, shape, dtype, wide: bool = False) -> np.ndarray:
    """Random values of ``dtype``; integers small, or over their whole range with ``wide``."""
    dt = np.dtype(dtype)
    if dt == np.bool_:
        return rng.random(shape) < 0.5
    if dt.kind in "iu":
        info = np.iinfo(dt)
        lo, hi = (int(info.min), int(info.max)) if wide else (max(int(info.min), -9), 9)
        return rng.integers(lo, hi, shape, dtype=dt, endpoint=True)
    if dt.kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dt)
    return rng.standard_normal(shape).astype(dt)


def check(fn, *args, jitted=None):
    """``tj.jit(fn)(*args)`` against ``fn(*args)``: the same dtype and shape; integers
    exactly; floats within ``4 k eps`` of ``fn(|a|, |b|)`` (the product of magnitudes), as
    any summation order of a dot product of length ``k`` is."""
    f = jitted if jitted is not None else tj.jit(fn)
    got, want = f(*args), fn(*args)
    assert got.dtype == want.dtype and got.shape == want.shape, (got.dtype, got.shape, want.dtype, want.shape)
    if want.dtype.kind not in "fc":
        np.testing.assert_array_equal(got, want, strict=True)
        return f
    eps = np.finfo(want.dtype).eps
    k = max(max(np.shape(x)) if np.ndim(x) else 1 for x in args)
    bound = fn(*(np.abs(x).astype(f64) for x in args))
    err = np.abs(got.astype(c128 if want.dtype.kind == "c" else f64) - want)
    assert np.all(err <= 4 * k * eps * bound + np.finfo(want.dtype).tiny), float(np.max(err - 4 * k * eps * bound))
    return f


def kinds(f, *args) -> list[str]:
    return [k.kind for k in f.lower(*args).kernels]


def matmul(a, b):
    return a @ b


FLOAT_PAIRS = [(f32, f64), (f64, f32), (i64, f64), (f32, i64), (i32, f32), (u8, f32), (i16, f32), (np.bool_, f64),
               (f16, f32), (f16, f64), (f32, np.bool_), (i8, u64)]
SHAPES = [(37, 53, 29), (70, 130, 90), (1, 64, 64), (64, 64, 1), (0, 5, 7), (5, 0, 7), (5, 7, 0), (3, 4, 5)]


@pytest.mark.parametrize("da,db", FLOAT_PAIRS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("m,k,n", SHAPES, ids=lambda s: str(s))
def test_float_results(da, db, m, k, n):
    rng = np.random.default_rng(m * 7 + k * 3 + n)
    check(matmul, _values(rng, (m, k), da), _values(rng, (k, n), db))


@pytest.mark.parametrize("da,db", [(f32, f64), (f64, f32), (i64, f64), (i32, f32), (np.bool_, f64), (f16, f32)],
                         ids=lambda d: np.dtype(d).name)
def test_gemm_sized_products_run_as_the_gemm_after_one_conversion(da, db):
    rng = np.random.default_rng(1)
    a, b = _values(rng, (70, 130), da), _values(rng, (130, 90), db)
    f = check(matmul, a, b)
    low = f.lower(a, b)
    assert "contraction" not in kinds(f, a, b) and "gemm" in kinds(f, a, b)
    out = np.result_type(da, db)
    converts = [k for k in low.kernels if k.kind == "map"]
    assert len(converts) == (da != out) + (db != out)  # one per operand not in the result's dtype
    sizes = [int(np.prod(k.nests[0].shape)) for k in converts]  # (collapsed to one loop: contiguous)
    assert sizes == [s for d, s in [(da, 70 * 130), (db, 130 * 90)] if d != out]


@pytest.mark.parametrize("da,db", [(i8, i8), (i32, i32), (i64, i64), (i32, i64), (u8, i8), (i16, u8), (u64, u64)],
                         ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("m,k,n", [(37, 53, 29), (1, 40, 3), (0, 3, 2)], ids=str)
def test_integer_products_exact_and_wrapping(da, db, m, k, n):
    rng = np.random.default_rng(m + k + n)
    check(matmul, _values(rng, (m, k), da, wide=True), _values(rng, (k, n), db, wide=True))


@pytest.mark.parametrize("da,db", [(c64, f64), (f32, c128), (c64, c128), (c128, i32), (f16, c64)],
                         ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("m,k,n", [(37, 53, 29), (8, 8, 8), (1, 30, 30)], ids=str)
def test_complex_mixes(da, db, m, k, n):
    rng = np.random.default_rng(m + 2 * k + n)
    check(matmul, _values(rng, (m, k), da), _values(rng, (k, n), db))


@pytest.mark.parametrize("sa,sb", [((300, 200), (200,)), ((200,), (200, 300)), ((500,), (500,)),
                                   ((4, 60, 50), (50,)), ((50,), (3, 50, 40))], ids=str)
@pytest.mark.parametrize("da,db", [(f32, f64), (f64, f32), (i64, f32), (i32, i64)], ids=lambda d: np.dtype(d).name)
def test_vector_products(sa, sb, da, db):
    rng = np.random.default_rng(len(sa) + len(sb))
    check(matmul, _values(rng, sa, da), _values(rng, sb, db))


def _layouts(rng):
    a = _values(rng, (90, 140), f32)
    b = _values(rng, (150, 100), f64)
    return {
        "a.T @ b": (lambda a, b: a.T @ b[:90], a, b),
        "a @ b.T": (lambda a, b: a[:, :100] @ b.T, a, b),
        "steps": (lambda a, b: a[::2, ::2] @ b[::2, ::2][:70], a, b),
        "reversed": (lambda a, b: a[::-1, :75] @ b[::-2, ::-1], a, b),
        "batched transposed": (lambda a, b: a.reshape(2, 45, 140).transpose(0, 2, 1)
                               @ b[:45].reshape(2, 45, 50)[:, :, :40], a, b),
        "broadcast batch": (lambda a, b: a.reshape(5, 18, 140) @ b[:140, :60], a, b),
        "broadcast batch of B": (lambda a, b: a[:60, :100] @ b[:100].reshape(2, 50, 100).transpose(0, 2, 1)[:, :, :45]
                                 .reshape(2, 100, 45)[:, :, :40] * 1, a, b),
    }


@pytest.mark.parametrize("name", ["a.T @ b", "a @ b.T", "steps", "reversed", "batched transposed", "broadcast batch",
                                  "broadcast batch of B"])
def test_strided_and_transposed_operands(name):
    fn, a, b = _layouts(np.random.default_rng(5))[name]
    f = check(fn, a, b)
    assert "contraction" not in kinds(f, a, b)


def scaled(x, w):
    return x @ (w / np.sqrt(784))  # a float64 scalar: float64 weights, float32 x


def layer(x, w, b):
    return np.maximum(x @ w + b, 0.0)


def doubled(x, w):
    return (x * 2) @ w


@pytest.mark.parametrize("fn,shapes", [
    (scaled, [((40, 784), f32), ((784, 50), f32)]),
    (layer, [((40, 100), f32), ((100, 60), f64), ((60,), f32)]),
    (doubled, [((40, 100), i32), ((100, 60), f32)]),
    (lambda a, b: np.dot(a, b), [((40, 100), f32), ((100, 60), f64)]),
    (lambda a, b: np.dot(a, b), [((40, 100), f32), ((100,), f64)]),
    (lambda a, b: np.einsum("ij,jk->ik", a, b), [((40, 100), f32), ((100, 60), f64)]),
    (lambda a, b: np.einsum("ij,kj->ik", a, b), [((40, 100), i64), ((60, 100), f32)]),
    (lambda a, b: np.einsum("bij,bjk->bik", a, b), [((3, 40, 50), f64), ((3, 50, 30), f32)]),
    (lambda a, b, c: np.einsum("ij,jk,kl->il", a, b, c), [((20, 30), f32), ((30, 40), f64), ((40, 10), i32)]),
    (lambda a, b: np.tensordot(a, b, axes=2), [((20, 8, 16), f32), ((8, 16, 30), f64)]),
    (lambda a, b: np.tensordot(a, b, axes=([0], [1])), [((16, 20), i64), ((30, 16), f32)]),
    (lambda a, b: np.matmul(a, b), [((4, 30, 40), f32), ((4, 40, 20), f64)]),
], ids=["scaled", "layer", "expression operand", "dot", "dot matvec", "einsum", "einsum ij,kj", "einsum batched",
        "einsum three", "tensordot", "tensordot axes", "np.matmul batched"])
def test_functions(fn, shapes):
    rng = np.random.default_rng(7)
    check(fn, *(_values(rng, s, d) for s, d in shapes))


def test_second_call_with_new_shapes():
    rng = np.random.default_rng(11)
    f = tj.jit(matmul)
    for m, k, n in [(70, 130, 90), (33, 65, 17), (128, 64, 200), (2, 3, 4), (70, 130, 90)]:
        check(matmul, _values(rng, (m, k), f32), _values(rng, (k, n), f64), jitted=f)
        check(matmul, _values(rng, (m, k), i32), _values(rng, (k, n), f32), jitted=f)


def test_frozen_weights_are_converted_at_compile_time():
    rng = np.random.default_rng(13)
    w = _values(rng, (130, 90), f32)
    x = _values(rng, (70, 130), f64)

    def f(x):
        return x @ w

    jf = tj.jit(f, freeze=True)
    got = jf(x)
    assert got.dtype == f64
    np.testing.assert_allclose(got, x @ w, rtol=0, atol=1e-12 * float(np.max(np.abs(x) @ np.abs(w))))
    low = jf.lower(x)
    assert kinds(jf, x) == ["gemm"]  # no run-time conversion: the constant was converted
    buffers = low.optimized.program.buffers
    assert any(b.kind == "constant" and b.dtype == f64 and "converted" in b.label for b in buffers)


def test_gradient_through_a_mixed_product():
    rng = np.random.default_rng(17)
    x, w = _values(rng, (70, 130), f32), _values(rng, (130, 90), f64)
    gx, gw = tj.jit(tj.grad(lambda x, w: (x @ w).sum(), argnums=(0, 1)))(x, w)
    assert gx.dtype == f32 and gw.dtype == f64
    np.testing.assert_allclose(gx, (np.ones((70, 90)) @ w.T).astype(f32), rtol=1e-5)
    np.testing.assert_allclose(gw, x.T.astype(f64) @ np.ones((70, 90)), rtol=1e-12)


def test_mixed_product_in_a_loop():
    rng = np.random.default_rng(19)
    x, w = _values(rng, (70, 64), f32), _values(rng, (64, 64), f64) / 8

    def f(x, w):
        h = x
        for _ in range(3):
            h = np.tanh(h @ w).astype(np.float32)
        return h

    got, want = tj.jit(f)(x, w), f(x, w)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("sa,sb,axes", [((3, 4), (4, 5), 1), ((2, 3), (3, 2), 0), ((7,), (7,), 1),
                                        ((2, 3), (2, 3), ([-1, 0], [1, 0])), ((4, 5, 6), (6, 5, 2), ([1, 2], [1, 0])),
                                        ((4, 5), (5, 4), (1, 0)), ((0, 3), (3, 2), 1)], ids=str)
def test_tensordot_is_compiled(sa, sb, axes):
    rng = np.random.default_rng(len(sa))
    a, b = _values(rng, sa, f32), _values(rng, sb, i64)
    f = check(lambda a, b: np.tensordot(a, b, axes=axes), a, b)
    assert "control" not in kinds(f, a, b)  # (a host call of NumPy's tensordot would be one)
    assert type(f(a, b)) is np.ndarray


def test_tensordot_refuses_what_numpy_refuses():
    with pytest.raises(ValueError, match="shape-mismatch for sum"):
        tj.jit(lambda a, b: np.tensordot(a, b, axes=1))(np.ones((2, 3)), np.ones((4, 2)))


@pytest.mark.parametrize("fn,dtype", [(lambda w: np.ones((70, 130), np.float32) @ w, f64),
                                      (lambda w: w @ np.full((90, 40), 2.0), f64),
                                      (lambda w: np.arange(70 * 130).reshape(70, 130) @ w, f32)],
                         ids=["ones @ w", "w @ full", "arange @ w"])
def test_constant_and_sequence_operands_run_as_the_gemm(fn, dtype):
    """A uniform constant folds to a scalar and an integer range to an index sequence: operands
    with no buffer, computed into one before the GEMM (they were a loop nest of the whole product)."""
    w = _values(np.random.default_rng(23), (130, 90), dtype)
    f = check(fn, w)
    assert "contraction" not in kinds(f, w)



@pytest.mark.parametrize("da,db", [(f32, f64), (i32, f32)], ids=lambda d: np.dtype(d).name)
def test_each_product_is_planned_once(da, db, monkeypatch):
    """The conversion pass keeps the GEMM plan it asked for: ``matmul.plan`` takes the
    product once (``plan_matmuls`` meets the GEMM kernel), and the result is NumPy's."""
    from tracejit.compiler.schedule import matmul as gemm_schedule
    from tracejit.compiler.schedule import mixed
    planned_kernels = []
    plan = gemm_schedule.plan

    def counting(kernel, *args, **kwargs):
        planned = plan(kernel, *args, **kwargs)
        if planned is not None:
            planned_kernels.append(kernel.name)
        return planned

    monkeypatch.setattr(gemm_schedule, "plan", counting)
    monkeypatch.setattr(mixed, "plan", counting)
    monkeypatch.setattr(tj.config, "cache_enabled", False)  # (a stored program is planned already)
    rng = np.random.default_rng(3)
    a, b = _values(rng, (90, 140), da), _values(rng, (140, 70), db)
    f = check(matmul, a, b)
    assert len(planned_kernels) == 1, planned_kernels
    assert "gemm" in kinds(f, a, b)
