"""Loop bodies that update a carried array in part write it in place (no whole copy per
step), differentially against NumPy eager: partial updates of 1-D/2-D/3-D carried arrays,
updates through views, carries aliasing one array, the old value read after the write
(never in place), dtypes, zero trips and second calls with new shapes."""
import numpy as np
import pytest

import tracejit as tj
from tests.differential import same


def _controls(fn, *args):
    """The while controls of the compiled program of ``fn`` (outermost first)."""
    program = fn.lower(*args).optimized.program
    return [k.control for k in program.kernels if k.control is not None and k.control.kind == "while"]



def _check(fn, *args):
    """``fn`` compiled matches ``fn`` eager, results and the arguments after the call."""
    eager = [np.copy(a) for a in args]
    want = fn(*eager)
    got = tj.jit(fn)(*args)
    same(got, want)
    for a, e in zip(args, eager):
        np.testing.assert_array_equal(a, e)
    return got


def ema(x):
    out = np.zeros_like(x)
    m = x[0]

    def body(t, c):
        m, out = c
        m = 0.5 * m + 0.5 * x[t]
        out[t] = m
        return m, out
    return tj.fori_loop(0, x.shape[0], body, (m, out))[1]


@pytest.mark.parametrize("shape", [(7, 5), (1, 3), (6, 1), (3, 0)])
def test_ema_rows_in_place(shape):
    x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape) * 0.37 - 2
    _check(ema, x)


def test_ema_is_in_place_and_copies_nothing_per_step():
    x = np.random.default_rng(0).standard_normal((9, 4))
    (control,) = _controls(tj.jit(ema), x)
    body = control.subs[1].concrete
    assert any(control.in_place) and all(o for o, p in zip(control.owned, control.in_place) if p)
    carried = {b.id for b in body.buffers if b.kind == "input" and b.index < control.subs[1].carries}
    # the only kernel storing into a carried buffer is the one-row scatter: no whole copy
    stores = [(k, n) for k in body.kernels for n in k.nests if n.store.buffer in carried]
    assert len(stores) == 1 and np.prod(stores[0][1].shape) == x.shape[1]


def test_second_call_new_shapes():
    f = tj.jit(ema)
    rng = np.random.default_rng(1)
    for shape in [(5, 3), (11, 7), (2, 2)]:
        x = rng.standard_normal(shape)
        same(f(x), ema(x.copy()))


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64, np.uint8, np.bool_, np.complex128])
def test_dtypes(dtype):
    def f(x):
        out = np.zeros_like(x)

        def body(t, out):
            out[t] = x[t - 1] if dtype == np.bool_ else x[t] + x[t - 1]
            return out
        return tj.fori_loop(1, x.shape[0], body, out)
    x = (np.arange(24).reshape(6, 4) % 5).astype(dtype)
    if dtype == np.complex128:
        x = x + 1j * x[::-1]
    _check(f, x)


def test_1d_recurrence_reads_previous_element():
    def f(x):
        out = np.zeros_like(x)
        out[0] = x[0]

        def body(t, out):
            out[t] = 0.5 * out[t - 1] + x[t]
            return out
        return tj.fori_loop(1, x.shape[0], body, out)
    _check(f, np.linspace(-1, 1, 13))
    (control,) = _controls(tj.jit(f), np.linspace(-1, 1, 13))
    assert True in control.in_place


def test_3d_partial_box():
    def f(x):
        out = np.ones_like(x)

        def body(t, out):
            out[t, :, 1:3] = x[t, :, 1:3] * t + out[t - 1, :, 1:3]
            return out
        return tj.fori_loop(1, x.shape[0], body, out)
    x = np.arange(4 * 3 * 5, dtype=np.float64).reshape(4, 3, 5)
    _check(f, x)


def test_update_through_views():
    def f(x):
        out = np.zeros_like(x)

        def body(t, out):
            out[:, t] = x[:, t] * 2        # a strided column
            out.T[t, ::2] += 1.0           # through a transposed view, every other element
            inner = out[1:, 1:4]           # a view, updated whole in place
            inner += 0.25
            return out
        return tj.fori_loop(0, x.shape[1], body, out)
    _check(f, np.arange(20, dtype=np.float64).reshape(4, 5))


def test_two_carries_alias_one_array():
    def f(x):
        a = x * 1.0

        def body(t, c):
            p, q = c
            p = p.copy()               # q starts as the same array: must keep the old values
            p[t] = -p[t] - 1.0
            return p, q
        return tj.fori_loop(0, x.shape[0], body, (a, a))
    _check(f, np.arange(6, dtype=np.float64).reshape(3, 2))


def test_carry_also_captured_by_the_body():
    def f(x):
        a = x + 1.0

        def body(t, c):
            c[t] = c[t] + a.sum()      # ``a`` read as captured: the loop's initial value, never written
            return c
        return tj.fori_loop(0, x.shape[0], body, a.copy())
    _check(f, np.arange(5, dtype=np.float64))


def test_old_value_read_after_the_write_is_not_in_place():
    def f(x):
        out = x * 1.0

        def body(t, c):
            out, acc = c
            old = out * 1.0            # the old version, used after the write below
            out[t] = 100.0
            return out, acc + old.sum() * 1000 + out.sum()
        return tj.fori_loop(0, x.shape[0], body, (out, np.float64(0.0)))
    _check(f, np.arange(6, dtype=np.float64).reshape(3, 2))


def test_old_value_returned_as_another_carry():
    def f(x):
        a, b = x * 1.0, x * 2.0

        def body(t, c):
            a, b = c
            new = a.copy()
            new[t] = -1.0
            return new, a + b          # the swap reads the old ``a`` after the write
        return tj.fori_loop(0, x.shape[0], body, (a, b))
    _check(f, np.arange(8, dtype=np.float64).reshape(4, 2))


def test_swapped_carries_with_update():
    def f(x):
        a, b = x * 1.0, x * 3.0

        def body(t, c):
            a, b = c
            b = b.copy()
            b[t % b.shape[0]] = t
            return b, a
        return tj.fori_loop(0, 5, body, (a, b))
    _check(f, np.arange(6, dtype=np.float64).reshape(3, 2))


def test_zero_trips_and_argument_as_init():
    def f(x, n):
        def body(t, c):
            c[t] = 0
            return c
        return tj.fori_loop(0, n, body, x)
    for n in (0, 3, 5):
        x, y = np.arange(5.0), np.arange(5.0)
        got, want = tj.jit(f)(x, n), f(y, n)
        same(got, want)
        np.testing.assert_array_equal(x, y)  # the argument written as eagerly (through the loop's result)


def test_0d_array_carry_updated_in_place():
    def f(x):
        def body(t, acc):
            acc[...] = acc * 0.5 + x[t]
            return acc
        return tj.fori_loop(0, x.shape[0], body, np.zeros((), x.dtype))
    _check(f, np.arange(7, dtype=np.float64))


def test_while_loop_partial_update():
    def f(x):
        def cond(c):
            return c[0] < x.shape[0]

        def body(c):
            i, out = c
            out[i] = x[i] * x[i]
            return i + 1, out
        return tj.while_loop(cond, body, (0, np.zeros_like(x)))[1]
    _check(f, np.arange(9, dtype=np.float64))


def test_nested_loops_update_inner_and_outer():
    def f(x):
        out = np.zeros_like(x)

        def row(i, out):
            def col(j, out):
                out[i, j] = x[i, j] + out[i - 1, j] * 0.5 + i * j
                return out
            return tj.fori_loop(0, x.shape[1], col, out)
        return tj.fori_loop(0, x.shape[0], row, out)
    x = np.arange(12, dtype=np.float64).reshape(3, 4)
    _check(f, x)
    outer, = _controls(tj.jit(f), x)
    inner = [k.control for k in outer.subs[1].concrete.kernels if k.control is not None]
    assert inner and True in outer.in_place and True in inner[0].in_place
    assert outer.results[1] == outer.inits[1]  # the loop works in its initial value: no copy


def test_large_body_kernels_are_parallel_and_vectorized():
    def f(x):
        def body(t, c):
            return c * 0.5 + x
        return tj.fori_loop(0, 3, body, x * 0.0)
    x = np.random.default_rng(2).standard_normal((512, 1024))
    _check(f, x)
    (control,) = _controls(tj.jit(f), x)
    kernels = [k for k in control.subs[1].concrete.kernels if k.nests and np.prod(k.nests[0].shape) == x.size]
    assert kernels and all(k.parallel_grain for k in kernels)
    assert all(s.vector_width > 1 for k in kernels for s in k.schedules)


def test_value_reading_the_old_rows_is_computed_first_then_stored_in_place():
    def f(x, a):
        out = np.empty_like(x)
        out[0] = x[0]

        def body(t, out):
            out[t] = a * x[t] + (1 - a) * out[t - 1]   # the value reads the carried array
            return out
        return tj.fori_loop(1, x.shape[0], body, out)
    x = np.random.default_rng(3).standard_normal((8, 6))
    _check(f, x, 0.25)
    (control,) = _controls(tj.jit(f), x, 0.25)
    body = control.subs[1].concrete
    carried = {b.id for b in body.buffers if b.kind == "input" and b.index < control.subs[1].carries}
    stores = [n for k in body.kernels for n in k.nests if n.store.buffer in carried]
    assert True in control.in_place and [np.prod(n.shape) for n in stores] == [x.shape[1]]


@pytest.mark.parametrize("n", [1, 2, 7])
def test_overlapping_self_assignment(n):
    def f(x):
        a = x * 1.0
        a[1:] = a[:-1] * 2          # the value reads the elements being overwritten
        b = x + 1.0

        def body(t, b):
            b[::-1] = b + t         # whole reversed, every step
            return b
        return a, tj.fori_loop(0, 3, body, b)
    _check(f, np.arange(float(n)))


def _stored_sizes(control, sub=1):
    """Sizes of the stores into donated inputs of sub-program ``sub`` of ``control``."""
    program = control.subs[sub].concrete
    inputs = {b.id for b in program.buffers if b.kind == "input"}
    return [int(np.prod(n.shape)) for k in program.kernels for n in k.nests if n.store.buffer in inputs]


@pytest.mark.parametrize("dtype", [np.float64, np.int32])
def test_conditional_write_in_a_loop_is_in_place(dtype):
    def f(x):
        out = np.zeros_like(x)

        def body(t, out):
            def write(o):
                o[t] = x[t] * 2
                return o
            return tj.cond(x[t, 0] > 0, write, lambda o: o, out)
        return tj.fori_loop(0, x.shape[0], body, out)
    x = (np.random.default_rng(4).standard_normal((9, 5)) * 10).astype(dtype)
    _check(f, x)
    (loop,) = _controls(tj.jit(f), x)
    assert True in loop.in_place
    (branch,) = [k.control for k in loop.subs[1].concrete.kernels if k.control is not None]
    assert _stored_sizes(branch, 0) == [x.shape[1]] and _stored_sizes(branch, 1) == []  # no whole copy


def test_conditional_write_old_value_read_after():
    def f(x):
        out = x * 1.0

        def body(t, c):
            out, acc = c
            old = out * 1.0

            def write(o):
                o[t] = -1.0
                return o
            out = tj.cond(x[t, 0] > 2, write, lambda o: o, out)
            return out, acc + old.sum() * 100 + out.sum()
        return tj.fori_loop(0, x.shape[0], body, (out, np.float64(0)))
    _check(f, np.arange(12, dtype=np.float64).reshape(6, 2))


def test_passthrough_array_carry_is_not_copied():
    def f(x):
        def body(t, c):
            s, a = c
            return s + a[t].sum(), a
        return tj.fori_loop(0, x.shape[0], body, (x[0, 0] * 0, x * 1.0))
    x = np.arange(12, dtype=np.float64).reshape(4, 3)
    _check(f, x)


def test_branch_reading_old_operand_after_its_write():
    def f(x):
        out = x * 1.0

        def body(t, c):
            out, acc = c

            def write(o):
                old = o * 1.0
                o[t] = -1.0
                return o, (old * 2).sum() + o.sum()   # the old operand, read after the write
            out, s = tj.cond(x[t, 0] > 2, write, lambda o: (o, o.sum()), out)
            return out, acc + s
        return tj.fori_loop(0, x.shape[0], body, (out, np.float64(0)))
    _check(f, np.arange(12, dtype=np.float64).reshape(6, 2))


def test_branch_result_from_a_copy_of_the_operand_read_after():
    def f(x):
        out = x * 1.0

        def body(t, c):
            out, acc = c

            def modified(o):
                o2 = o.copy()
                o2[t] = -1.0
                return o2, (o * 2).sum()               # the operand itself, read after o2 is written
            out, s = tj.cond(x[t, 0] > 2, modified, lambda o: (o, o.sum()), out)
            return out, acc + s
        return tj.fori_loop(0, x.shape[0], body, (out, np.float64(0)))
    _check(f, np.arange(12, dtype=np.float64).reshape(6, 2))
