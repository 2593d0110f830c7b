"""The training step's program (issue 18, benchmarks/training.py): a max-shift whose
derivative cancels is not differentiated (compiler/autodiff/shift.py), an optimizer's
update of a short parameter is one fused kernel (schedule/siblings.py), and the weight
gradient ``X.T @ delta`` reads X in place; every result against NumPy or central differences."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same
from tests.gradcheck import close, numeric_grad

RNG = np.random.default_rng(18)
W = RNG.standard_normal((6, 5))


def log_softmax_keepdims(x):
    m = np.max(x, axis=1, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=1, keepdims=True))


def log_softmax_lse(x):  # logsumexp with keepdims=False, re-expanded by indexing (JAX's idiom)
    m = np.max(x, axis=1)
    lse = m + np.log(np.sum(np.exp(x - m[:, None]), axis=1))
    return x - lse[:, None]


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


CANCELLING = [("log_softmax", lambda x: np.sum(W * log_softmax_keepdims(x))),
              ("logsumexp", lambda x: np.sum(W * log_softmax_lse(x))),
              ("softmax", lambda x: np.sum(W * softmax(x))),
              ("cross_entropy", lambda x: -np.mean(np.sum(np.where(W > 0, log_softmax_keepdims(x), 0.0), axis=1)))]

# the shift's derivative does not cancel: the max's (tie-splitting) rule must stay
KEPT = [("unnormalized", lambda x: np.sum(W * np.exp(x - x.max(axis=1, keepdims=True)))),
        ("max_also_used", lambda x: np.sum(W * log_softmax_keepdims(x)) + np.sum(np.max(x, axis=1) ** 2)),
        ("scaled_shift", lambda x: np.sum(W * np.exp(2.0 * (x - x.max(axis=1, keepdims=True))))),
        ("shift_along_other_axis", lambda x: np.sum(W * np.log(np.sum(np.exp(x - x.max(axis=1, keepdims=True)),
                                                                         axis=0, keepdims=True))))]


def _tie_masks(fn, x) -> int:
    """``equal`` nodes of the gradient's graph (the max rule's tie mask)."""
    text = tj.jit(tj.grad(fn)).lower(x).as_text("graph")
    return sum(" = equal " in line for line in text.splitlines())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,fn", CANCELLING, ids=[c[0] for c in CANCELLING])
def test_cancelling_max_shift_is_not_differentiated(name, fn, dtype):
    x = RNG.standard_normal((6, 5)).astype(dtype)
    x[1, 2] = x[1, 4] = x[1].max() + 1  # a tied maximum: the derivative is smooth there anyway
    if name != "cross_entropy":  # (its where reads a mask of W, not of x)
        assert _tie_masks(fn, x) == 0
    g = tj.jit(tj.grad(fn))(x)
    assert g.dtype == dtype
    close(g, numeric_grad(lambda a: fn(a), x.astype(np.float64)), rtol=1e-5 if dtype == np.float64 else 2e-3)
    tangent = RNG.standard_normal(x.shape).astype(dtype)
    _, t = tj.jvp(fn, (x,), (tangent,))
    close(t, np.sum(numeric_grad(lambda a: fn(a), x.astype(np.float64)) * tangent),
          rtol=1e-5 if dtype == np.float64 else 2e-3)


@pytest.mark.parametrize("name,fn", KEPT, ids=[c[0] for c in KEPT])
def test_shift_whose_derivative_does_not_cancel_keeps_its_rule(name, fn):
    x = RNG.standard_normal((6, 5))
    assert _tie_masks(fn, x) > 0
    close(tj.jit(tj.grad(fn))(x), numeric_grad(fn, x), rtol=1e-5)


def test_training_loss_has_no_tie_mask_and_its_gradient_matches_numpy():
    """benchmarks/training.loss_fn: the gradient program has no tie count of the logits' max."""
    from benchmarks import training as T
    params = T.init_params()
    x, y = T.make_batches(1)[0]
    text = tj.jit(tj.grad(T.loss_fn)).lower(params, x, y).as_text("graph").splitlines()
    def operands(line):  # "%5 = op[attrs] %1, %2 : f32[..]  # loc" -> {"%1", "%2"}
        return set(line.split(" : ")[0].split("=", 1)[1].replace(",", " ").split()[1:])
    (mx,) = [line.split()[0] for line in text if " = max[" in line]
    views = {mx} | {line.split()[0] for line in text if " = broadcast_to" in line and operands(line) == {mx}}
    assert not [line for line in text if " = equal " in line and operands(line) & views]
    grads = tj.jit(tj.grad(T.loss_fn))(params, x, y)
    _, want = T.numpy_loss_and_grads(params, x, y)  # the benchmark's hand-written backward pass
    for k in params:
        np.testing.assert_allclose(grads[k], want[k], rtol=1e-4, atol=1e-6, err_msg=k)



def adam(p, m, v, g, c1, c2):
    m = 0.9 * m + 0.1 * g
    v = 0.999 * v + 0.001 * g ** 2
    return p - 1e-3 * (m / c1) / (np.sqrt(v / c2) + 1e-8), m, v


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [10, 33, 128, 1280, 8191])
def test_short_optimizer_update_is_one_kernel(n, dtype):
    """The parameter and both moments of one short parameter: one kernel (rows of one vector
    sharing the loop, then the tail of the three in one kernel; under two vectors, the three
    stages in turn), results as NumPy's."""
    p, m, g = (RNG.standard_normal(n).astype(dtype) for _ in range(3))
    v = RNG.random(n).astype(dtype)
    c1, c2 = dtype(0.19), dtype(0.002)
    f = tj.jit(adam)
    kernels = f.lower(p, m, v, g, c1, c2).kernels
    text = f.lower(p, m, v, g, c1, c2).as_text("kernels")
    assert len(kernels[0].nests) == 3, text
    if len(kernels) > 1:  # rows of one vector each, then the tail
        row = kernels[0].nests[0].shape[-1]
        assert len(kernels) == 2 and kernels[0].row_fused and row < n, text
        assert [int(np.prod(nest.shape)) for nest in kernels[1].nests] == [n % row] * 3, text
    assert_same(f(p, m, v, g, c1, c2), adam(p, m, v, g, c1, c2))


def test_short_siblings_of_a_strided_vector():
    """Short sibling maps of a strided view, and one reading the other's result."""
    def f(a, b):
        t = np.sin(a) * b
        return t + 1.0, np.sqrt(np.abs(t)) - a
    a, b = RNG.standard_normal(301)[::3], RNG.standard_normal(101)
    assert any(k.row_fused for k in tj.jit(f).lower(a, b).kernels)
    assert_same(tj.jit(f)(a, b), f(a, b), rtol=1e-14, atol=1e-14)  # (sin: the vector math library's)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(37, 19, 7), (64, 64, 128), (5, 3, 2)])
def test_weight_gradient_of_a_strided_input(shape, dtype):
    """``X.T @ delta`` of a layer whose input is a strided slice, odd shapes: the gradient
    with respect to W against central differences, and ``a.T @ b`` itself against NumPy."""
    m, k, n = shape
    xs = RNG.standard_normal((m, 2 * k)).astype(dtype)[:, ::2]
    w = (RNG.standard_normal((k, n)) / np.sqrt(k)).astype(dtype)

    def loss(w, x):
        return np.sum(np.tanh(x @ w) ** 2)

    g = tj.jit(tj.grad(loss))(w, xs)
    close(g, numeric_grad(lambda a: loss(a, xs.astype(np.float64)), w.astype(np.float64)),
          rtol=1e-5 if dtype == np.float64 else 3e-3)
    b = RNG.standard_normal((m, n)).astype(dtype)
    got = tj.jit(lambda a, b: (a.T @ b, b.T @ a))(xs, b)
    tol = 1e-12 if dtype == np.float64 else 1e-4
    assert_same(got, (xs.T @ b, b.T @ xs), rtol=tol, atol=tol * m)


def test_shift_through_a_loop_is_differentiated():
    """A shift that reaches the result through a loop (whose node holds all its results) is
    not proven independent: the derivative through the max stays."""
    def f(x, n):
        m = np.max(x, axis=1, keepdims=True)
        s = tj.fori_loop(0, n, lambda i, acc: acc + np.exp(x - m), np.zeros_like(x))
        return np.sum(W * np.log(s))  # log(n exp(x - m)): depends on m

    x, n = RNG.standard_normal((6, 5)), np.int64(2)
    assert "while" in tj.jit(tj.grad(f)).lower(x, n).as_text("graph")
    close(tj.jit(tj.grad(f))(x, n), numeric_grad(lambda a: f(a, n), x), rtol=1e-5)
