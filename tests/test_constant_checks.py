"""Run-time checks that can never fail are not materialized (``checks.never_true``): no hidden
output, no kernel; those that can still raise what Python raises."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj


def checks_of(fun, *args) -> list:
    return tj.jit(fun).lower(*args).traced.checks


def test_power_of_constant_base_has_no_checks():
    def f(x, step):
        return x / (1 - 0.9 ** step) + x / (1 - 0.999 ** (step + 1))

    x = np.ones(4, np.float32)
    assert len(checks_of(f, x, 3)) == 1  # only the overflow of ``step + 1`` (it depends on the argument)
    np.testing.assert_allclose(tj.jit(f)(x, 3), f(x, 3), rtol=1e-6)
    np.testing.assert_allclose(tj.jit(f)(x, -2), f(x, -2), rtol=1e-6)


def test_kept_checks_still_fire():
    def zero_base(x, step):
        return x * 0.0 ** step

    def negative_base(x, e):
        return x * (-0.5) ** e

    def any_base(x, b, step):
        return x * b ** step

    x = np.ones(3)
    assert len(checks_of(zero_base, x, 2)) == 1  # 0.0 ** negative: possible
    assert len(checks_of(negative_base, x, 0.5)) == 1  # a negative base to a fractional power: possible
    assert len(checks_of(any_base, x, 0.5, 2)) == 2
    with pytest.raises(ZeroDivisionError):
        zero_base(x, -1)
    with pytest.raises(ZeroDivisionError):
        tj.jit(zero_base)(x, -1)
    np.testing.assert_array_equal(tj.jit(zero_base)(x, 2), zero_base(x, 2))
    with pytest.raises(tj.UnsupportedError):
        tj.jit(negative_base)(x, 0.5)
    np.testing.assert_allclose(tj.jit(negative_base)(x, 2.0), negative_base(x, 2.0))
    with pytest.raises(ZeroDivisionError):
        tj.jit(any_base)(x, 0.0, -2)
    np.testing.assert_allclose(tj.jit(any_base)(x, 2.0, -2), any_base(x, 2.0, -2))


def test_training_step_outputs():
    """The Adam step of ``benchmarks/training.py``: 24 checks of ``BETA ** step`` were hidden
    outputs (each its own 0-d kernel once folded); one check remains."""
    from benchmarks import training as tr

    params = tr.init_params()
    m = {k: np.zeros_like(a) for k, a in params.items()}
    x, y = tr.make_batches(1)[0]
    lowered = tj.jit(tr.tracejit_step).lower(params, m, dict(m), 3, x, y)
    assert len(lowered.traced.checks) == 1
    assert len(lowered.traced.graph.outputs) == 3 * len(params) + 1 + 1  # params, m, v, loss; one check
