"""The ``cond_to_select`` graph pass: a ``cond`` with small pure branches becomes a
``where``; results identical to NumPy eager (NaNs, ints, untaken division by zero, checks
of a branch that fails), and branches that are large, read out of arrays or reduce stay
branches."""
import warnings

import numpy as np
import pytest

import tracejit as tj
from tests.differential import same
from tracejit.compiler.passes.select import MAX_COST, branch_cost, cond_to_select


def _ops(fn, *args) -> list[str]:
    """The kinds of the control kernels of ``fn``'s program (loop bodies and branches
    included), and ``where`` if a kernel selects."""
    out, stack = [], [fn.lower(*args).optimized.program]
    while stack:
        program = stack.pop()
        out += ["where"] if "where(" in program.text() else []
        for k in program.kernels:
            if k.control is not None:
                out.append(k.control.kind)
                stack.extend(sub.concrete for sub in k.control.subs)
    return out



def crc16(data):
    def byte(i, crc):
        crc = crc ^ (data[i].astype(np.int64) << 8)

        def bit(_, crc):
            return tj.cond((crc & 0x8000) != 0, lambda c: ((c << 1) ^ 0x1021) & 0xFFFF,
                           lambda c: (c << 1) & 0xFFFF, crc)
        return tj.fori_loop(0, 8, bit, crc)
    return tj.fori_loop(0, data.shape[0], byte, np.int64(0xFFFF))


def crc16_python(data):
    crc = 0xFFFF
    for b in data:
        crc ^= int(b) << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


@pytest.mark.parametrize("n", [0, 1, 9, 257])
def test_crc_selects_and_matches(n):
    data = np.random.default_rng(n).integers(0, 256, n).astype(np.uint8)
    f = tj.jit(crc16)
    assert int(f(data)) == crc16_python(data) == int(crc16(data))
    ops = _ops(f, data)
    assert "cond" not in ops and ("where" in ops or n == 0)  # (no step at all: no loop)


@pytest.mark.parametrize("x", [np.nan, -np.inf, -2.5, 0.0, -0.0, 3.0, np.inf])
def test_float_branches_with_nan(x):
    def f(a, b):
        return tj.cond(a > 0, lambda a, b: a * b - np.inf, lambda a, b: np.sqrt(a) + b / a, a, b)
    x = np.float64(x)
    for b in (np.float64(np.nan), np.float64(2.0)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = f(x, b)
        same(tj.jit(f)(x, b), want)


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint16])
def test_int_branches_untaken_division_by_zero(dtype):
    def f(n, d):
        return tj.cond(d != 0, lambda n, d: n // d + n % d, lambda n, d: n - d, n, d)
    for n, d in [(7, 0), (-7, 2), (0, 0), (5, 3)]:
        n, d = np.array(n).astype(dtype)[()], np.array(d).astype(dtype)[()]
        want = f(n, d)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the untaken n // 0 warns nothing
            got = tj.jit(f)(n, d)
        same(got, want)
    assert "cond" not in _ops(tj.jit(f), n, d)


def test_array_branches_and_several_results():
    def f(x, p):
        return tj.cond(p > 0, lambda x: (x + 1, x.dtype.type(2) * x), lambda x: (x - 1, x * x), x)
    x = np.arange(-3.0, 3.0)
    for p in (np.float64(1), np.float64(-1), np.float64(np.nan)):
        got, want = tj.jit(f)(x, p), f(x, p)
        for g, w in zip(got, want):
            same(g, w)
    assert "cond" not in _ops(tj.jit(f), x, np.float64(1))


def test_failing_branch_still_raises_only_when_taken():
    def f(x, p):
        return tj.cond(p > 0, lambda x: x[7], lambda x: x[0] * 2, x)
    x = np.arange(3.0)
    same(tj.jit(f)(x, np.float64(-1)), f(x, np.float64(-1)))
    with pytest.raises(IndexError):
        f(x, np.float64(1))
    with pytest.raises(IndexError):
        tj.jit(f)(x, np.float64(1))


def test_gather_reduce_and_large_branches_stay_branches():
    def gathers(x, i):
        return tj.cond(i > 0, lambda x, i: x[i], lambda x, i: x[0], x, i)

    def reduces(x, p):
        return tj.cond(p > 0, lambda x: x.sum(), lambda x: x[0] * 1.0, x)

    def large(x, p):
        return tj.cond(p > 0, lambda x: np.exp(x) + 1, lambda x: x - 1, x)
    x = np.arange(4.0)
    big = np.arange(MAX_COST * 2.0)
    for fn, args in [(gathers, (x, 2)), (reduces, (x, np.float64(1))), (large, (big, np.float64(-1)))]:
        same(tj.jit(fn)(*args), fn(*args))
        assert "cond" in _ops(tj.jit(fn), *args)


def test_writing_branch_stays_a_branch_and_matches():
    def f(x, p):
        def write(x):
            x[0] = 5.0
            return x.sum()
        return tj.cond(p > 0, write, lambda x: x[1] * 1.0, x)
    for p in (1.0, -1.0):
        a, b = np.arange(3.0), np.arange(3.0)
        same(tj.jit(f)(a, np.float64(p)), f(b, np.float64(p)))
        np.testing.assert_array_equal(a, b)


def test_pass_on_a_graph_and_branch_cost():
    def f(a, b):
        return tj.cond(a > b, lambda a, b: a - b, lambda a, b: b - a, a, b)
    graph = tj.jit(f).lower(np.float64(1), np.float64(2)).traced.graph.copy()
    (node,) = graph.nodes_with_op("cond")
    assert branch_cost(graph.attrs(node)["true"].graph) is not None
    assert cond_to_select(graph) and not graph.nodes_with_op("cond")
    graph.verify()
    assert not cond_to_select(graph)
