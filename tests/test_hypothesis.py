"""Property tests: random shapes and random programs, jit vs eager, verify() after
every pass."""
from __future__ import annotations

import os

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tracejit as tj
from tests.conftest import assert_same
from tracejit.compiler.pipeline import optimize

EXAMPLES = int(os.environ.get("TRACEJIT_HYPOTHESIS_EXAMPLES", 25))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

BINARY = [np.add, np.subtract, np.multiply, np.maximum, np.minimum, np.greater, np.equal]
DTYPES = [np.dtype(d) for d in ("int32", "int64", "float32", "float64")]


@SETTINGS
@given(data=st.data(), ufunc=st.sampled_from(BINARY), dtype=st.sampled_from(DTYPES))
def test_broadcasting_binary_ops(data, ufunc, dtype):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                         max_side=5))
    elements = st.integers(-50, 50) if dtype.kind == "i" else st.floats(-1e3, 1e3, width=dtype.itemsize * 8)
    a = data.draw(hnp.arrays(dtype, shapes.input_shapes[0], elements=elements))
    b = data.draw(hnp.arrays(dtype, shapes.input_shapes[1], elements=elements))
    if data.draw(st.booleans()) and a.ndim:
        a = a[::-1]  # negative strides
    f = tj.jit(lambda x, y: ufunc(x, y) * 2)
    assert_same(f(a, b), ufunc(a, b) * 2)


@st.composite
def programs(draw):
    """A random straight-line program over two broadcast-compatible inputs."""
    shape = tuple(draw(st.lists(st.integers(1, 6), min_size=1, max_size=3)))
    second = tuple(n if draw(st.booleans()) else 1 for n in shape)
    steps = []
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["unary", "binary", "binary", "reduce", "reverse", "where",
                                     "identity", "matmul"]))
        steps.append((kind, draw(st.integers(0, 100)), draw(st.integers(0, 100)),
                      draw(st.integers(0, len(shape) - 1))))
    return shape, second, steps


UNARY = [np.tanh, np.abs, np.negative, lambda v: np.sqrt(np.abs(v)), lambda v: np.exp(np.minimum(v, 5.0)),
         lambda v: v * 0.5 + 1.0]
BIN = [np.add, np.subtract, np.multiply, np.maximum]
# exact identities the simplifier removes (and two it must keep: + 0.0 and / 3)
IDENTITY = [lambda v: v * 1.0, lambda v: v + -0.0, lambda v: v + 0.0, lambda v: -(-v), lambda v: v / 4.0,
            lambda v: v / 3.0, lambda v: v.T.T, lambda v: np.swapaxes(np.swapaxes(v, 0, -1), -1, 0) * 1.0]
RED = [lambda v, ax: v.sum(axis=ax, keepdims=True), lambda v, ax: v.max(axis=ax, keepdims=True),
       lambda v, ax: v.mean(axis=ax, keepdims=True)]


def interpret(steps, x, y):
    values = [x, y]
    for kind, i, j, axis in steps:
        a, b = values[i % len(values)], values[j % len(values)]
        if kind == "unary":
            values.append(UNARY[j % len(UNARY)](a))
        elif kind == "binary":
            values.append(BIN[i % len(BIN)](a, b))
        elif kind == "reduce":
            values.append(RED[j % len(RED)](a, axis % a.ndim))
        elif kind == "identity":
            values.append(IDENTITY[j % len(IDENTITY)](a))
        elif kind == "matmul":  # shape-preserving: v @ M, M a captured n x n constant
            n = a.shape[-1]
            values.append(a @ (np.eye(n) * 0.5 + np.arange(n * n).reshape(n, n) / (n * n)))
        elif kind == "reverse":
            values.append(a[(slice(None),) * (axis % a.ndim) + (slice(None, None, -1),)])
        else:
            values.append(np.where(a > b, a, b * 2))
    return values[-1], values[len(values) // 2]


@SETTINGS
@given(prog=programs(), seed=st.integers(0, 2**16))
def test_random_programs(prog, seed):
    shape, second, steps = prog
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal(shape), rng.standard_normal(second)

    def fn(x, y):
        return interpret(steps, x, y)

    f = tj.jit(fn)
    optimize(f.lower(x, y).traced.graph, verify=True)  # verify() after every pass
    assert_same(f(x, y), fn(x, y), rtol=1e-10, atol=1e-10)


@SETTINGS
@given(data=st.data())
def test_random_views_and_reductions(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5))
    x = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape) - 7
    index = data.draw(hnp.basic_indices(shape, min_dims=0, allow_newaxis=True, allow_ellipsis=True))
    view = x[index]
    axis = data.draw(st.none() | st.integers(0, max(view.ndim - 1, 0))) if view.ndim else None
    perm = data.draw(st.permutations(range(view.ndim)))

    def fn(x):
        v = x[index]
        return v.transpose(perm) * 2, v.sum(axis=axis), (v.reshape(-1) + 1)[::-1]

    assert_same(tj.jit(fn)(x), fn(x))


@SETTINGS
@given(m=st.integers(2, 90), k=st.integers(1, 300), n=st.integers(2, 90), dtype=st.sampled_from(["float32", "float64"]),
       a_layout=st.sampled_from(["c", "f", "sliced"]), b_layout=st.sampled_from(["c", "f", "reversed", "constant"]),
       threads=st.sampled_from([1, 2, 3, 5]), epilogue=st.booleans(), seed=st.integers(0, 2**16))
def test_random_matrix_products(m, k, n, dtype, a_layout, b_layout, threads, epilogue, seed):
    """Random shapes and operand layouts through the GEMM path (or the loop nest, for
    products too small for it), any task grid: jit vs NumPy."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((m, 2 * k) if a_layout == "sliced" else (m, k)).astype(dtype)
    a = {"c": a, "f": np.asfortranarray(a), "sliced": a[:, ::2]}[a_layout]
    b = rng.standard_normal((k, n)).astype(dtype)
    bias = rng.standard_normal(n).astype(dtype)

    def product(a, b):
        return a @ (b if b_layout != "reversed" else b[:, ::-1])

    if b_layout == "constant":
        def f(a):
            out = a @ b
            return np.maximum(out + bias, 0) if epilogue else out
        args = (a,)
    else:
        b_arg = np.asfortranarray(b) if b_layout == "f" else b

        def f(a, b):
            out = product(a, b)
            return np.maximum(out + bias, 0) if epilogue else out
        args = (a, b_arg)
    old = tj.config.num_threads
    tj.config.num_threads = threads
    try:
        got = tj.jit(f, freeze=b_layout == "constant")(*args)  # frozen: B packed at compile time
    finally:
        tj.config.num_threads = old
    tol = dict(rtol=1e-4, atol=1e-3 * np.sqrt(k)) if dtype == "float32" else dict(rtol=1e-11, atol=1e-10 * np.sqrt(k))
    assert_same(got, f(*args), **tol)


@settings(max_examples=max(5, EXAMPLES // 3), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prog=programs(), n=st.integers(2 * 4096 - 3, 3 * 4096 + 17), threads=st.sampled_from([1, 3]),
       seed=st.integers(0, 2**16))
def test_random_programs_on_long_vectors(prog, n, threads, seed):
    """The same random programs over vectors long enough for blocked sibling maps
    (rows of 4096 plus tails) and parallel chunks; plan and graph verified."""
    _, second_kind, steps = prog
    steps = [s for s in steps if s[0] != "matmul"]  # an n x n constant would be huge
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    y = rng.standard_normal(n if second_kind[0] != 1 else 1)

    def fn(x, y):
        return interpret(steps, x, y)

    old = tj.config.num_threads
    tj.config.num_threads = threads
    try:
        f = tj.jit(fn)
        optimize(f.lower(x, y).traced.graph, verify=True)
        got = f(x, y)
    finally:
        tj.config.num_threads = old
    assert_same(got, fn(x, y), rtol=1e-9, atol=1e-9)
