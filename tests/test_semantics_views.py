"""Issue 14, frontend semantics: views and copies where NumPy returns them (writes seen
through views, reshapes that are views exactly where NumPy's are, memory layouts of results),
each as a differential test against eager NumPy (tests/differential.py)."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.differential import check

# -- item 12: views NumPy returns ---------------------------------------------------------------

def _views(a):
    d, c, s = np.diag(a), a.conj(), a.astype(a.dtype, copy=False)
    dg, cj, r = np.diagonal(a, 1), a.conjugate(), a.real
    a[1, 1] = 100.0
    a[0, 1] = -5.0
    return d, c, s, dg, cj, r


@pytest.mark.parametrize("layout", ["C", "F", "T", "neg"])
def test_views_see_later_writes(layout):
    a = np.arange(9.0).reshape(3, 3)
    a = {"C": a, "F": np.asfortranarray(a), "T": a.T, "neg": a[::-1]}[layout]
    check(_views, a)


def test_copies_do_not_see_later_writes():
    def f(a):
        c1, c2, c3 = a.astype(a.dtype), np.copy(a), a.astype(np.float32, copy=False)
        a[0, 0] = 7.0
        return c1, c2, c3
    check(f, np.zeros((2, 2)))


def test_writes_through_views_reach_the_array():
    def f(a):
        a.astype(a.dtype, copy=False)[0, 0] = 5.0
        a.conj()[1, 0] = 6.0
        a.real[1, 1] = 7.0
        return a
    check(f, np.zeros((2, 2)))


def test_diagonals_and_imag_are_read_only():
    for fn in (lambda a: np.diag(a).__setitem__(0, 1.0), lambda a: a.diagonal().__iadd__(1.0),
               lambda a: a.imag.__setitem__(0, 1.0), lambda a: np.broadcast_to(a, a.shape).__setitem__(0, 1.0)):
        check(fn, np.zeros((3, 3)))


def test_diagonal_of_more_dims_and_axes():
    a = np.arange(60.0).reshape(3, 4, 5)
    check(lambda a: (np.diagonal(a), np.diagonal(a, 1, 2, 0), np.diagonal(a, -1, 1, 2), np.trace(a[0], 1)), a)


def test_views_of_numpy_scalars_are_new_arrays():
    def f(a):
        s = a.sum()  # a NumPy scalar: arrays made from it are new memory
        v, c = s[None], np.copy(s)
        v[0] = 5.0
        c[...] = 6.0
        return s, v, c
    check(f, np.ones(3))


# -- item 15: a reshape is a view exactly where NumPy's is ---------------------------------------

def _layouts():
    base = np.arange(1.0, 13).reshape(3, 4)
    return {"C": base, "F": np.asfortranarray(base), "T": np.arange(1.0, 13).reshape(4, 3).T, "neg": base[::-1],
            "negcol": base[:, ::-1], "colstep": np.arange(1.0, 25).reshape(3, 8)[:, ::2],
            "3dT": np.arange(1.0, 25).reshape(2, 3, 4).transpose(1, 2, 0),
            "3dmix": np.arange(1.0, 25).reshape(2, 3, 4).transpose(0, 2, 1)[:, ::-1]}


PRODUCERS = {
    "argument": lambda a: a, "ufunc": lambda a: a * 2.0, "transposed ufunc": lambda a: a.T + 1.0, "np.copy": np.copy,
    "ndarray.copy": lambda a: a.copy(), "astype": lambda a: a.astype(np.float32),
    "where": lambda a: np.where(a > 3, a, 0.0), "sum": lambda a: a.sum(axis=0),
    "cumsum": lambda a: np.cumsum(a, axis=1), "sort": lambda a: np.sort(a, axis=0),
    "argsort": lambda a: np.argsort(a, axis=0), "concatenate": lambda a: np.concatenate([a, a]),
    "stack": lambda a: np.stack([a, a], axis=1), "matmul": lambda a: a @ np.ones((a.shape[-1], 3)),
    "gather": lambda a: a[:, [1, 0]], "take": lambda a: np.take(a, [1, 0], 1), "zeros_like": np.zeros_like,
    "pad": lambda a: np.pad(a, 1), "roll": lambda a: np.roll(a, 1, axis=0),
    "tile": lambda a: np.tile(a, 1), "einsum": lambda a: np.einsum("ij,jk->ki", a[:, :2, ...].reshape(a.shape[0], -1),
                                                                    np.ones((a[:, :2, ...].size // a.shape[0], 2))),
}


def _through_reshape(make):
    def write_view(a):
        b = make(a)
        v = b.reshape(-1)
        v[0] = 100
        return b, v

    def write_base(a):
        b = make(a)
        v, r = b.reshape(-1), np.ravel(b)
        b[(0,) * b.ndim] = 100
        b[(-1,) * b.ndim] += 1
        return v, r, b
    return write_view, write_base


@pytest.mark.parametrize("producer", list(PRODUCERS))
@pytest.mark.parametrize("layout", list(_layouts()))
def test_reshape_is_a_view_exactly_where_numpy_s_is(producer, layout):
    for program in _through_reshape(PRODUCERS[producer]):
        check(program, _layouts()[layout])


def test_issue_example_strided_argument_is_not_overwritten():
    def f(a):
        w = a.reshape(-1)
        w[0] = 0.0
        return w.sum()
    b = np.arange(1.0, 7).reshape(2, 3)[::-1]
    check(f, b)
    tj.jit(f)(b)
    assert b[0, 0] == 4.0


def test_writing_a_fortran_argument_through_its_ravel():
    def f(a):
        v = a.T.ravel()  # a view of the Fortran-order memory
        v[1:3] = -1.0
        v += 1.0
        return a.sum(axis=0), v
    check(f, np.asfortranarray(np.arange(12.0).reshape(3, 4)))


def test_reshape_copy_argument():
    f = np.asfortranarray(np.ones((2, 3)))
    check(lambda a: np.reshape(a, -1, copy=False), f)  # ValueError both ways
    check(lambda a: np.reshape(a, -1, copy=False), f.T)
    check(lambda a: (np.reshape(a, -1, copy=True).__setitem__(0, 5.0), a)[1], f.T)


def test_unmodelled_layouts_refuse_ambiguous_writes():
    def f(a):
        b = tj.fori_loop(0, 2, lambda i, c: c.T.copy().T, a)  # Fortran order after the loop, eagerly
        v = b.reshape(-1)
        b[0, 0] = 5.0
        return v
    with pytest.raises(tj.UnsupportedError, match="memory layout"):
        tj.jit(f, fallback=False)(np.ones((2, 3)))

    def g(a):  # reading only: no question of aliasing
        b = tj.fori_loop(0, 2, lambda i, c: c * 2, a)
        return b.reshape(-1) + 1
    check(g, np.ones((2, 3)))



def test_more_views():
    a = np.arange(24.0).reshape(2, 3, 4)
    check(lambda a: (np.matrix_transpose(a).__setitem__((0, 0, 0), 9.0), np.permute_dims(a, (2, 0, 1)) * 1, a)[2], a)
    check(lambda a: (np.atleast_3d(a[0, 0]).__setitem__((0, 1, 0), -1.0), a)[1], a)


def _random_layout(rng, shape):
    """An array of ``shape`` laid out in memory in a random axis order, with reversed axes
    and gaps, as views of a larger array give."""
    perm = rng.permutation(len(shape))
    steps = [int(rng.choice([1, 1, 2, -1, -2])) for _ in shape]
    big = tuple(shape[p] * abs(steps[p]) for p in perm)
    base = np.arange(int(np.prod(big)), dtype=np.float64).reshape(big)
    view = base[tuple(slice(None, None, steps[p]) for p in perm)]
    return view.transpose(np.argsort(perm))


@pytest.mark.parametrize("seed", range(100))
def test_order_k_matches_numpys_allocation(seed):
    from tracejit.compiler.layout import StridedView
    from tracejit.frontend.memorder import order_k
    rng = np.random.default_rng(seed)
    shape = tuple(int(n) for n in rng.integers(1, 4, rng.integers(1, 5)))
    operands = [_random_layout(rng, shape) for _ in range(int(rng.integers(1, 4)))]
    if len(operands) > 1 and rng.random() < 0.5:  # an operand broadcast along some axes
        operands[-1] = operands[-1][tuple(slice(0, 1) if rng.random() < 0.4 else slice(None) for _ in shape)]
    views = [StridedView(x.shape, tuple(s // 8 for s in x.strides)).broadcast_to(shape) for x in operands]
    result = [np.negative, np.add, np.clip][len(operands) - 1](*operands)  # one iteration over all operands
    want = StridedView(shape, tuple(s // 8 for s in result.strides)).normalized().strides
    assert order_k(shape, views).normalized().strides == want


def _layout_of_result(fn, *arrays):
    """(the memory layout tracejit models for ``fn``'s traced result, NumPy's strides of
    its eager result), both in elements with length-1 dims ignored."""
    from tracejit.compiler.layout import StridedView
    from tracejit.frontend.memorder import numpy_layout
    seen = []

    def traced(*xs):
        r = fn(*xs)
        seen.append(numpy_layout(r))
        return r
    tj.jit(traced).lower(*arrays)
    want = fn(*arrays)
    normal = StridedView(want.shape, tuple(s // want.itemsize for s in want.strides)).normalized().strides
    return (seen[0].normalized().strides if seen[0] is not None else None), normal


def _spec(ndim: int) -> str:
    labels = "ijkl"[:ndim]
    return f"{labels},{labels}->{labels[1:]}{labels[0]}"


@pytest.mark.parametrize("seed", range(60))  # (400 seeds checked when written)
def test_modelled_layouts_match_numpy(seed):
    rng = np.random.default_rng(1000 + seed)
    shape = tuple(int(n) for n in rng.integers(1, 4, rng.integers(2, 5)))
    a, b = _random_layout(rng, shape), _random_layout(rng, shape)
    axis = int(rng.integers(0, len(shape)))
    axes = tuple(sorted(set(int(x) for x in rng.integers(0, len(shape), 2))))
    keep = bool(rng.random() < 0.5)
    index = rng.integers(0, shape[axis], 3)
    cases = {
        "sum": lambda a, b: a.sum(axis=axes, keepdims=keep), "max": lambda a, b: np.max(a, axis=axis), "mean": lambda a,
        b: a.mean(axis=axis, keepdims=keep), "concatenate": lambda a, b: np.concatenate([a, b], axis),
        "stack": lambda a, b: np.stack([a, b], axis), "cumsum": lambda a, b: np.cumsum(a, axis), "sort": lambda a,
        b: np.sort(a, axis), "where": lambda a, b: np.where(a > 3, a, b), "astype": lambda a, b: a.astype(np.float32),
        "np.copy": lambda a, b: np.copy(a), "gather": lambda a, b: a[(slice(None),) * axis + (index,)],
        "take": lambda a, b: np.take(a, index, axis), "argmax": lambda a, b: a.argmax(axis), "zeros_like": lambda a,
        b: np.zeros_like(a), "tile": lambda a, b: np.tile(a, 1), "einsum": lambda a, b: np.einsum(_spec(a.ndim), a, b),
        "pad": lambda a, b: np.pad(a, 1),
    }
    for name, fn in cases.items():
        got, want = _layout_of_result(fn, a, b)
        assert got == want, f"{name}: modelled {got}, NumPy {want} (a {a.strides}, b {b.strides}, shape {shape})"



def test_rot90_and_split_are_views():
    def f(a):
        r, (s0, s1), parts = np.rot90(a), np.split(a, [1]), np.array_split(a, 3, axis=1)
        a[0, 0] = -1.0
        s1[0, 1] = -2.0
        parts[2][:] = 0.0
        return r, s0, s1, parts, np.rot90(a, 2, (1, 0)), np.split(a, 2, axis=1)
    check(f, np.arange(24.0).reshape(4, 6))
    check(lambda a: np.split(a, 5), np.arange(24.0).reshape(4, 6))  # ValueError both ways

