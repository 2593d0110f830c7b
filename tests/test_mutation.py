"""In-place updates, functionalized (frontend/versions.py, compiler/ops/update.py): after
a call, results *and* the caller's arrays hold exactly what eager NumPy gives."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tracejit as tj
from tests.conftest import assert_same

RNG = np.random.default_rng(7)


def check(fn, *args, calls: int = 2, **options):
    """``fn`` jitted (with ``options``) and eager on copies of ``args`` (then on other values):
    same results and same final argument contents."""
    f = tj.jit(fn, **options)
    for call in range(calls):
        vals = [a * (call + 1) + call if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in args]
        eager = [v.copy() if isinstance(v, np.ndarray) else v for v in vals]
        jitted = [v.copy() if isinstance(v, np.ndarray) else v for v in vals]
        with np.errstate(all="ignore"):
            want = fn(*eager)
            got = f(*jitted)
        assert_same(got, want, rtol=1e-12, atol=1e-12, what=f"{fn.__name__} result")
        for i, (e, j) in enumerate(zip(eager, jitted)):
            if isinstance(e, np.ndarray):
                assert_same(j, e, rtol=1e-12, atol=1e-12, what=f"{fn.__name__} argument {i}")
    assert f.cache_info().traces == 1
    return f


def test_augmented_assignment_on_arguments():
    def axpy(y, x, a):
        y += a * x
        y *= 0.5
    check(axpy, RNG.standard_normal(10), RNG.standard_normal(10), 2.0)


@pytest.mark.parametrize("op", ["+=", "-=", "*=", "/=", "//=", "%=", "**=", "&=", "|=", "^=", "<<=", ">>="])
def test_every_augmented_operator(op):
    ints = op in ("&=", "|=", "^=", "<<=", ">>=")
    x = RNG.integers(1, 5, 8) if ints else RNG.random(8) + 0.5
    y = RNG.integers(1, 3, 8) if ints else RNG.random(8) + 0.5
    ns: dict = {}
    exec(f"def f(x, y):\n    x[2:6] {op} y[2:6]\n    x {op} 1\n    return x.sum()", ns)
    check(ns["f"], x, y)


def test_slices_views_and_element_writes():
    def stencil(u):
        u[1:-1] = (u[:-2] + u[2:]) * 0.5  # the right side is read before the write
        return u[::2].copy()

    def through_views(a):
        b = a[1:-1]
        b *= 2
        t = a.T
        t[0, :] = -1.0
        return b + 1  # b sees the write through t

    def elements(a):
        for i in range(a.shape[0]):
            a[i, i] = a[i, i] * 2 + a[i, -1]
        return a[0, 0]

    check(stencil, RNG.standard_normal(12))
    check(through_views, RNG.standard_normal((5, 4)))
    check(elements, RNG.standard_normal((4, 4)))


def test_reads_after_writes_follow_numpy():
    def f(a):
        element = a[0]  # a copy of the element
        row = a[1:3]  # a view
        a[0] = 5.0
        a[1] = 7.0
        return element, row * 1, a.reshape(2, 3)[1] * 1

    check(f, RNG.standard_normal(6))


def test_reshape_that_copies_is_not_a_view():
    def f(a):
        flat = a.T.reshape(-1)  # NumPy copies: writes do not reach a
        flat[0] = 100.0
        v = a.reshape(-1)  # a view: writes reach a
        v[1] = 200.0
        return flat

    check(f, RNG.standard_normal((3, 4)))


def test_local_buffers_filled_piecewise():
    def f(x):
        out = np.zeros(x.shape[0])
        acc = np.empty((2, x.shape[0]))
        acc[0] = x
        acc[1, :] = 0.0
        for i in range(x.shape[0]):
            out[i] = x[i] * i
            acc[1, i] = out[i] + acc[1, i - 1] if i else out[i]
        full = np.full(3, 2.5)
        full[1] = x[0]
        return out, acc, full, np.ones(2, np.int32)

    check(f, RNG.standard_normal(6))


def test_masks_copyto_and_out():
    def f(a, b, m):
        a[a > 0.5] = 0.0
        a[m] = 3.0  # (a masked read, b[m], has a data-dependent size: not yet)
        np.copyto(b, a * 3)
        np.add(a, 1, out=a)
        np.multiply(b, 2, out=b)
        np.copyto(a, 9.0, where=m)

    check(f, RNG.random(8), RNG.random(8), RNG.random(8) > 0.5)


def lu(A):
    """In-place LU without pivoting: element reads and writes in three nested loops."""
    n = A.shape[0]
    for k in range(n):
        for i in range(k + 1, n):
            A[i, k] = A[i, k] / A[k, k]
            for j in range(k + 1, n):
                A[i, j] = A[i, j] - A[i, k] * A[k, j]


def test_functions_returning_nothing_and_lu():
    check(lu, RNG.standard_normal((6, 6)) + 6 * np.eye(6))  # rolled loops (frontend/autograph/loops.py)
    f = check(lu, RNG.standard_normal((6, 6)) + 6 * np.eye(6), unroll_loops=True)
    prog = f.lower(np.eye(6)).optimized.program
    # every write in place, in the argument's own memory (frontend/donation.py): no buffer of its own
    assert [b for b in prog.buffers if b.kind in ("temp", "output")] == []


def test_aliasing_between_arguments():
    def f(a, b):
        a += 1
        b *= 2
        return a - b

    x = np.arange(5.0)
    y = x.copy()
    got = tj.jit(f)(x, x)
    want = f(y, y)
    assert_same(got, want)
    assert_same(x, y)
    z1, z2 = np.arange(5.0), np.arange(5.0)
    assert_same(tj.jit(f)(z1, z2 + 0), f(np.arange(5.0), np.arange(5.0)))


def test_writes_that_numpy_refuses():
    ro = np.arange(4.0)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        tj.jit(lambda a: a.__iadd__(1))(ro)
    with pytest.raises(ValueError, match="read-only"):
        def write_broadcast(a):
            b = np.broadcast_to(a, (3, 4))
            b[0, 0] = 1.0
        tj.jit(write_broadcast)(np.arange(4.0))
    with pytest.raises(TypeError):
        tj.jit(lambda a: a.astype(np.int64).__iadd__(0.5))(np.arange(4.0))  # same_kind casting
    base = np.arange(6.0)
    with pytest.raises(tj.UnsupportedError, match="overlaps"):
        tj.jit(lambda a, b: a.__iadd__(b))(base[:4], base[2:])
    with pytest.raises(OverflowError):
        tj.jit(lambda a: a.__setitem__(0, 1000))(np.zeros(3, np.int8))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_write_programs(data):
    """Random sequences of slice writes, augmented writes and reads through views."""
    n = data.draw(st.integers(3, 12))
    steps = []
    for _ in range(data.draw(st.integers(1, 6))):
        lo = data.draw(st.integers(0, n - 1))
        hi = data.draw(st.integers(lo + 1, n))
        step = data.draw(st.integers(1, 3))
        kind = data.draw(st.sampled_from(["set", "add", "view_mul", "read", "shift"]))
        steps.append((kind, lo, hi, step))

    def prog(a, b):
        reads = []
        for kind, lo, hi, step in steps:
            s = slice(lo, hi, step)
            if kind == "set":
                a[s] = b[s] * 2
            elif kind == "add":
                a[s] += 1.5
            elif kind == "view_mul":
                v = a[s]
                v *= b[s]
            elif kind == "shift":
                a[1:] = a[:-1] + b[1:]
            else:
                reads.append(a[s] * 1)
        return reads, a + b

    check(prog, RNG.standard_normal(n), RNG.standard_normal(n))


def test_repeated_writes_share_kernel_functions():
    """An unrolled loop's element writes differ only in offsets (size-table parameters):
    they run a few shared functions (compiler/codegen/module.py: _localize)."""
    low = tj.jit(lu, unroll_loops=True).lower(np.eye(8) * 4 + 1)
    kernels = len(low.optimized.program.kernels)
    functions = sum(line.startswith("define") for line in low.as_text("llvm").splitlines())
    assert kernels > 100 and functions < 10, (kernels, functions)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=1, max_size=3).flatmap(
    lambda shape: st.tuples(st.just(tuple(shape)),
                            st.tuples(*[st.tuples(st.integers(0, n), st.integers(0, n), st.sampled_from([1, 1, 2]))
                                        for n in shape]))))
def test_update_copies_only_what_the_region_leaves(case):
    """An update of a box (or strided) region of a base still read later: the copy of
    the base covers exactly the elements outside the region (kernelize._complement)."""
    shape, bounds = case
    key = tuple(slice(min(a, b), max(a, b), s) for a, b, s in bounds)

    def f(x, y):
        y[key] = x[key] * 2 + 1  # y (an argument) is read again below: copied, then stored
        return y + x, y

    x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    y1, y2 = -x.copy(), -x.copy()
    want = f(x, y1)
    got = tj.jit(f)(x, y2)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    np.testing.assert_array_equal(y2, y1)
