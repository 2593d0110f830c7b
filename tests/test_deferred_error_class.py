"""Errors a traced loop body or branch raises are deferred to the call (raised when that code
runs) and rebuilt there from their class and message: a KeyError must stay a KeyError (its
text is its key quoted, so rebuilding it from its text gave a LookupError). Met while writing
examples/train_digits.py (a layer loop reading params[f"W{i}"])."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj


def test_key_error_in_a_rolled_loop_body_stays_a_key_error():
    def f(params, x):
        h = x
        for _ in range(3):
            h = np.tanh(h @ params["Wrong"])
        return h

    params, x = {"W": np.eye(4)}, np.ones((5, 4))
    with pytest.raises(KeyError) as eager:
        f(params, x)
    with pytest.raises(KeyError) as jitted:
        tj.jit(f)(params, x)
    assert str(jitted.value) == str(eager.value) == "'Wrong'"


def test_key_error_in_a_traced_branch_stays_a_key_error():
    def f(table, x):
        y = x
        if np.sum(x) > 0:
            y = x * table["missing"]
        return y

    table = {"present": np.full(3, 2.0)}
    np.testing.assert_array_equal(tj.jit(f)(table, -np.ones(3)), -np.ones(3))  # (the branch does not run)
    with pytest.raises(KeyError, match="missing"):
        tj.jit(f)(table, np.ones(3))


def test_other_deferred_errors_keep_class_and_message():
    def f(x, n):
        for _ in range(n):
            raise ValueError("bad step")
        return x

    with pytest.raises(ValueError, match="^bad step"):
        tj.jit(f)(np.ones(2), np.int64(2))
    np.testing.assert_array_equal(tj.jit(f)(np.ones(2), np.int64(0)), np.ones(2))


@pytest.mark.xfail(strict=True, raises=TypeError, reason="known bug: a traced `if` whose branch returns early "
                   "and fails to trace (a KeyError) is refused at trace time with 'constant array ... dtype "
                   "object' instead of deferring the KeyError (the assignment form above works)")
def test_key_error_in_a_branch_that_returns():
    def f(table, x):
        if np.sum(x) > 0:
            return x * table["missing"]
        return x

    table = {"present": np.full(3, 2.0)}
    np.testing.assert_array_equal(tj.jit(f)(table, -np.ones(3)), -np.ones(3))
