"""Each simplification rule on its own: the graph before and after, results equal bit for
bit under the NumPy interpreter (special values included), and the cases where a rule
must not fire because the rewrite would not be exact."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same
from tests.rulecheck import ops, rewrite
from tracejit.compiler.interpreter import evaluate
from tracejit.compiler.passes import PIPELINE, Fixpoint, run_passes
from tracejit.compiler.passes.dce import dce
from tracejit.compiler.passes.simplify import RULES, simplify

SPECIAL = np.array([0.0, -0.0, 1.5, -2.25, np.inf, -np.inf, np.nan, 1e-310, 3e38, -7.0])
INTS = np.array([0, 1, -1, 7, -8, np.iinfo(np.int32).min, np.iinfo(np.int32).max], np.int32)


def apply_rule(name, fn, *args):
    """Rule ``name`` applied alone to ``fn``'s graph (tests/rulecheck.py): (ops before, ops after)."""
    before, after = rewrite(name, fn, *args)
    return ops(before), ops(after)


@pytest.mark.parametrize("x", [SPECIAL, SPECIAL.astype(np.float32), INTS], ids=["f64", "f32", "i32"])
def test_identity_operand(x):
    def f(x):
        return x * 1, 1 * x, x - 0, x / 1 if x.dtype.kind == "f" else x

    before, after = apply_rule("identity_operand", f, x)
    assert "multiply" in before and "multiply" not in after and "subtract" not in after
    assert "divide" not in after


def test_adding_zero_is_removed_only_where_exact():
    x = SPECIAL.copy()
    _, after = apply_rule("identity_operand", lambda x: x + 0.0, x)
    assert "add" in after  # -0.0 + 0.0 is +0.0: not the identity
    _, after = apply_rule("identity_operand", lambda x: x + -0.0, x)
    assert "add" not in after
    _, after = apply_rule("identity_operand", lambda x: x + 0, INTS)
    assert "add" not in after
    _, after = apply_rule("identity_operand", lambda x: x - (-0.0), x)
    assert "subtract" in after  # -0.0 - -0.0 is +0.0


def test_identity_keeps_broadcasting_and_promotion():
    """x + zeros((3, 4)) broadcasts x; int32 x * int64 one promotes: neither is x."""
    x = np.arange(4, dtype=np.int32)
    _, after = apply_rule("identity_operand", lambda x: x + np.zeros((3, 4), np.int32), x)
    assert "add" in after or "broadcast_to" in after
    _, after = apply_rule("identity_operand", lambda x: x * np.int64(1), x)
    assert "multiply" in after


def test_multiply_by_zero_only_for_integers():
    _, after = apply_rule("multiply_by_zero", lambda x: x * 0, INTS)
    assert "multiply" not in after and "input" in after
    _, after = apply_rule("multiply_by_zero", lambda x: x * 0.0, SPECIAL)
    assert "multiply" in after  # nan * 0 is nan, -1 * 0 is -0.0


def test_double_negation():
    for x in (SPECIAL, INTS):
        before, after = apply_rule("double_negation", lambda x: -(-x), x)
        assert before.count("negative") == 2 and "negative" not in after
    b = np.array([True, False])
    _, after = apply_rule("double_negation", lambda b: np.logical_not(np.logical_not(b)), b)
    assert "logical_not" not in after
    _, after = apply_rule("double_negation", lambda x: np.logical_not(np.logical_not(x)), INTS)
    assert "logical_not" in after  # not not 7 is True, not 7


def test_transpose_of_transpose():
    x = np.arange(24.0).reshape(2, 3, 4)
    _, after = apply_rule("transpose_of_transpose", lambda x: x.T.T + 1, x)
    assert "transpose" not in after
    _, after = apply_rule("transpose_of_transpose", lambda x: x.transpose(1, 0, 2).transpose(0, 2, 1) + 1, x)
    assert after.count("transpose") == 1


def test_scalar_broadcast_operand():
    x = np.arange(12.0).reshape(3, 4)
    c = np.full((3, 4), 2.5)  # a captured uniform constant: folded into broadcast_to(2.5)

    def f(x):
        return x * c

    graph = tj.jit(f, freeze=True).lower(x).traced.graph  # frozen: c is a constant
    run_passes(graph, [("dce", dce), PIPELINE[1].passes[0]])  # fold: c -> broadcast_to(scalar)
    assert "broadcast_to" in ops(graph)
    before = graph.copy()
    simplify(graph, {"scalar_broadcast_operand": RULES["scalar_broadcast_operand"]})
    dce(graph)
    assert "broadcast_to" not in ops(graph)
    assert_same(evaluate(graph, [x]), evaluate(before, [x]))


def test_divide_by_power_of_two_only():
    for x in (SPECIAL, SPECIAL.astype(np.float32)):
        _, after = apply_rule("divide_by_power_of_two", lambda x: x / 4.0, x)
        assert "divide" not in after and "multiply" in after
        _, after = apply_rule("divide_by_power_of_two", lambda x: x / 3.0, x)
        assert "divide" in after  # 1/3 is not exact
    big = np.float64(2.0 ** 1022)  # 2**-1022: the smallest normal float64
    _, after = apply_rule("divide_by_power_of_two", lambda x: x / big, SPECIAL)
    assert "divide" not in after
    _, after = apply_rule("divide_by_power_of_two", lambda x: x / (2 * big), SPECIAL)
    assert "divide" in after  # 2**-1023 is subnormal
    _, after = apply_rule("divide_by_power_of_two", lambda x: x / np.float32(2.0 ** 127),
                          SPECIAL.astype(np.float32))
    assert "divide" in after  # 2**-127 is subnormal in float32


@pytest.mark.parametrize("fn", [lambda x: np.exp(np.log(x)), lambda x: np.log(np.exp(x)),
                                lambda x: np.sqrt(x) ** 2], ids=["exp_log", "log_exp", "sqrt_sq"])
def test_inexact_identities_are_not_applied(fn):
    """exp(log(3.0)) is 3.0000000000000004: the pipeline keeps the functions."""
    x = np.array([3.0, 0.5, 7.0, 1e-3])
    low = tj.jit(fn).lower(x)
    assert {"exp", "log"} & set(ops(low.optimized.graph)) or "sqrt" in ops(low.optimized.graph)
    assert_same(tj.jit(fn)(x), fn(x), ulps=4)  # our exp/log: within 4 ulp of NumPy's libm


def test_fixpoint_group_runs_until_nothing_changes():
    """Folding makes a constant that a rule matches; the next round folds what the rule
    made: one group, several rounds, each recorded."""
    def f(x):
        return -(-(x * (np.ones(3) * 1.0))) / 2.0

    x = np.array([1.0, -0.0, np.nan])
    graph = tj.jit(f).lower(x).traced.graph
    records = run_passes(graph, verify=True, record=True)
    names = [r.name for r in records]
    assert "cleanup[2]/simplify" in names and names[-1] == "fusion"
    assert ops(graph).count("negative") == 0 and "divide" not in ops(graph)
    assert_same(tj.jit(f)(x), f(x))


def test_fixpoint_cap_bounds_the_rounds():
    calls = []

    def always_changes(graph):
        calls.append(1)
        return True

    graph = tj.jit(lambda x: x + 1).lower(np.ones(2)).traced.graph
    run_passes(graph, [Fixpoint("loop", (("always", always_changes),), cap=3)])
    assert len(calls) == 3
