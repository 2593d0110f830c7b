"""Run-time checks inside loops and branches are packed into one code per loop or branch
(frontend/controlchecks.py): the call raises the error the first failing step raised
eagerly, and a body with many indexed reads carries one value, not one per read."""
from __future__ import annotations

import inspect

import numpy as np
import pytest

import tracejit as tj
from tests.realworld.algorithms4 import count_islands


def _eager_error(fn, *args) -> BaseException:
    with pytest.raises(Exception) as info:
        fn(*args)
    return info.value


def two_reads(x, idx_a, idx_b):
    total = 0.0
    for t in range(idx_a.shape[0]):
        total += x[idx_a[t]]  # check A, recorded first
        total += x[idx_b[t]] * 2.0  # check B
    return total


def _line_of(fn, marker: str) -> int:
    lines, first = inspect.getsourcelines(fn)
    return first + next(k for k, line in enumerate(lines) if marker in line)


def test_first_failing_step_wins_not_first_recorded_check():
    x = np.arange(5.0)
    a = np.array([0, 1, 2, 9])  # A fails at step 3
    b = np.array([1, 7, 0, 0])  # B fails at step 1: eagerly, B's error is raised
    assert type(_eager_error(two_reads, x, a, b)) is IndexError
    with pytest.raises(IndexError) as info:
        tj.jit(two_reads)(x, a, b)
    assert f"test_packed_checks.py:{_line_of(two_reads, 'check B')}" in str(info.value)
    with pytest.raises(IndexError) as info:
        tj.jit(two_reads)(x, a, np.array([1, 2, 3, 4]))  # A alone fails
    assert f"test_packed_checks.py:{_line_of(two_reads, 'check A')}" in str(info.value)
    good = np.array([4, 3, 2, 1])
    assert tj.jit(two_reads)(x, good, good) == two_reads(x, good, good)


def nested(x, rows, cols, flags):
    out = 0.0
    for i in range(rows.shape[0]):
        if flags[i] > 0:
            for j in range(cols.shape[0]):
                out += x[rows[i], cols[j]]
        else:
            out -= x[rows[i], 0]
    return out


@pytest.mark.parametrize("rows, cols, flags, fails", [
    ([0, 1, 2], [0, 1], [1, 0, 1], False),
    ([0, 1, 2], [0, 5], [1, 0, 1], True),  # the inner loop's read in the true branch
    ([0, 7, 2], [0, 1], [1, 0, 1], True),  # the false branch's read
    ([0, 7, 2], [0, 1], [1, 1, 1], True),  # the inner loop's row read
    ([0, 1, 2], [0, 5], [0, 0, 0], False),  # the failing branch never runs
])
def test_nested_loop_and_branch_checks_match_eager(rows, cols, flags, fails):
    x = np.arange(12.0).reshape(3, 4)
    args = (x, np.array(rows), np.array(cols), np.array(flags))
    f = tj.jit(nested)
    if not fails:
        assert f(*args) == nested(*args)
        return
    want = _eager_error(nested, *args)
    with pytest.raises(type(want)):
        f(*args)
    grid = (np.arange(20).reshape(4, 5) % 3 == 0).astype(np.int64)
    assert tj.jit(count_islands)(grid) == count_islands(grid)  # (the compiled one still works after)


def test_flood_fill_carries_one_check_code_per_loop():
    """count_islands reads the grid at 4 neighbours of each cell in 4 levels of loops and
    branches: its program returns its 2 results and one check code (it returned 132 values,
    every check's least and greatest index carried through every level)."""
    grid = (np.random.default_rng(0).uniform(size=(6, 5)) < 0.45).astype(np.int64)
    lowered = tj.jit(count_islands).lower(grid)
    program = lowered.optimized.program
    assert len(program.outputs) == 3
    assert tj.jit(count_islands)(grid) == count_islands(grid)
