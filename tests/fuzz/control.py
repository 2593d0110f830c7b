"""Structured control flow statements: ``tj.fori_loop``, ``tj.while_loop``, ``tj.cond``.

Bodies are expression trees over the carried value (leaf ``c``, or ``c[k]`` for tuple
carries) and the loop index ``i``; outer variables they read are captures. Analysis
simulates the loop eagerly, body by body, so each step's error bounds follow the data
(a predicate on an inexact value makes the results not comparable). The rendered
statement is also run through tracejit's own eager ``tj.*`` functions and must agree.
"""
from __future__ import annotations

import numpy as np

from tests.fuzz.exprs import Expr, evaluate, same_structure
from tests.fuzz.stmts import State, Stmt

MAX_TRIPS = 200


def _carry_src(n: int) -> list[str]:
    return ["c"] if n == 1 else [f"c[{k}]" for k in range(n)]


def _pack(items: list[str]) -> str:
    return items[0] if len(items) == 1 else "(" + ", ".join(items) + ")"


class _Carried(Stmt):
    """Shared parts: targets (``pick`` selects one result of a tuple), eager check."""

    targets: list[str]
    pick: int | None

    def _select(self, result, k: int):
        """The value of target ``k`` from the construct's full result."""
        if self.pick is not None:
            return result[self.pick]
        return result[k] if len(self.targets) > 1 else result

    def _bind(self, st: State, finals: list, errs: list) -> None:
        line = self.lines()[0]
        for call, ns in enumerate(st.ns):
            scope = dict(ns)
            exec(line, scope)  # noqa: S102 - tracejit's eager control flow must agree with the simulation
            for k, name in enumerate(self.targets):
                sim, got = self._select(finals[call], k), scope[name]
                if not same_structure([got], [sim]) or type(got) is not type(sim):
                    raise TypeError(f"simulated {type(sim).__name__} differs from eager {type(got).__name__}")
        for call, ns in enumerate(st.ns):  # results are fresh values under tj.jit: no aliases
            for k in range(len(self.targets)):
                result = self._select(finals[call], k)
                for name, value in ns.items():
                    if isinstance(value, np.ndarray) and isinstance(result, np.ndarray) and \
                            np.may_share_memory(value, result):
                        raise ValueError(f"result aliases {name}")
        for k, name in enumerate(self.targets):
            values = [self._select(f, k) for f in finals]
            st.bind(name, values, [self._select(e, k) for e in errs])
            if any(isinstance(v, np.ndarray) and not v.flags.c_contiguous for v in values):
                st.ambiguous.add(name)  # eager's layout (a view of the last step) is not the jit's

    def defines(self) -> set[str]:
        return set(self.targets)


def _run_body(bodies: list[Expr], ns: dict, carry, carry_errs: list, call: int, st: State, extra: dict | None = None):
    """One step: the bodies evaluated on one call's namespace with the carry ``c`` bound
    (``carry_errs``: one bound per carried element)."""
    scope = dict(ns)
    scope["c"] = carry
    scope.update(extra or {})
    overlay = dict(zip(_carry_src(len(carry_errs)), carry_errs))
    overlay.update({k: 0.0 for k in (extra or {})})

    def errs_of(_, src):
        return overlay[src] if src in overlay else st.errs_of(call, src)

    outs, errs = [], []
    for body in bodies:
        evaluate(body, [scope], errs_of)
        outs.append(body.values[0])
        errs.append(body.errs[0])
    return outs, errs


def value_kind(value) -> str:
    """ndarray, NumPy scalar or Python scalar: a carried value must keep its kind (eager
    Python returns whatever the last step gave; a compiled loop has one type)."""
    if isinstance(value, np.ndarray):
        return "array"
    return "numpy" if isinstance(value, np.generic) else type(value).__name__


def _check_carry(new: list, old: list) -> None:
    if not same_structure(new, old) or [value_kind(v) for v in new] != [value_kind(v) for v in old]:
        raise TypeError("a body changes its carried dtype, shape or kind")


class Fori(_Carried):
    """``tj.fori_loop(lo, hi, lambda i, c: body, init)``."""

    def __init__(self, targets: list[str], lo: Expr, hi: Expr, bodies: list[Expr], inits: list[Expr],
                 pick: int | None = None):
        self.targets, self.lo, self.hi, self.bodies, self.inits, self.pick = targets, lo, hi, bodies, inits, pick

    def lines(self) -> list[str]:
        body = _pack([b.render() for b in self.bodies])
        init = _pack([e.render() for e in self.inits])
        call = f"tj.fori_loop({self.lo.render()}, {self.hi.render()}, lambda i, c: {body}, {init})"
        left = ", ".join(self.targets)
        return [f"{left} = {call}" + (f"[{self.pick}]" if self.pick is not None else "")]

    def analyze(self, st: State) -> None:
        for e in [self.lo, self.hi] + self.inits:
            evaluate(e, st.ns, st.errs_of)
        finals, errs = [], []
        for call, ns in enumerate(st.ns):
            carry = [e.values[call] for e in self.inits]
            carry_errs = [e.errs[call] for e in self.inits]
            lo, hi = int(self.lo.values[call]), int(self.hi.values[call])
            if hi - lo > MAX_TRIPS:
                raise ValueError("too many trips")
            exact_bounds = self.lo.errs[call] == 0 and self.hi.errs[call] == 0
            if hi <= lo:  # never run, but traced: the body must keep the carried types anyway
                packed = carry[0] if len(carry) == 1 else tuple(carry)
                _check_carry(_run_body(self.bodies, ns, packed, carry_errs, call, st, {"i": lo})[0], carry)
            for i in range(lo, hi):
                packed = carry[0] if len(carry) == 1 else tuple(carry)
                new, carry_errs = _run_body(self.bodies, ns, packed, carry_errs, call, st, {"i": i})
                _check_carry(new, carry)
                carry = new
            if not exact_bounds:
                carry_errs = [None] * len(carry)
            finals.append(carry[0] if len(carry) == 1 else tuple(carry))
            errs.append(carry_errs[0] if len(carry) == 1 else carry_errs)
        self._bind(st, finals, errs)

    def uses(self) -> set[str]:
        out = self.lo.names() | self.hi.names()
        for e in self.bodies + self.inits:
            out |= e.names()
        return out - {"c", "i"}


class While(_Carried):
    """``tj.while_loop(lambda c: (c[0] < bound) & pred, lambda c: (c[0] + 1, body), (0, init))``:
    a counter bounds every loop; ``pred`` (optional) reads the data."""

    def __init__(self, targets: list[str], bound: Expr, pred: Expr | None, body: Expr, init: Expr,
                 pick: int | None = 1):
        self.targets, self.bound, self.pred, self.body, self.init, self.pick = targets, bound, pred, body, init, pick

    def _cond_src(self) -> str:
        count = f"c[0] < {self.bound.render()}"
        return count if self.pred is None else f"({count}) & ({self.pred.render()})"

    def lines(self) -> list[str]:
        call = (f"tj.while_loop(lambda c: {self._cond_src()}, lambda c: (c[0] + 1, {self.body.render()}), "
                f"(0, {self.init.render()}))")
        left = ", ".join(self.targets)
        return [f"{left} = {call}" + (f"[{self.pick}]" if self.pick is not None else "")]

    def analyze(self, st: State) -> None:
        evaluate(self.bound, st.ns, st.errs_of)
        evaluate(self.init, st.ns, st.errs_of)
        finals, errs = [], []
        for call, ns in enumerate(st.ns):
            count, value, err = 0, self.init.values[call], self.init.errs[call]
            bound, chaotic = self.bound.values[call], self.bound.errs[call] != 0
            (dry,), _ = _run_body([self.body], ns, (0, value), [0.0, err], call, st)
            _check_carry([dry], [value])  # traced even when it never runs
            for _ in range(MAX_TRIPS + 1):
                go = count < bound
                if self.pred is not None:
                    (p,), (p_err,) = _run_body([self.pred], ns, (count, value), [0.0, err], call, st)
                    chaotic |= p_err != 0
                    go = go & p
                if not go:
                    break
                (new,), (err,) = _run_body([self.body], ns, (count, value), [0.0, err], call, st)
                _check_carry([new], [value])
                count, value = count + 1, new
            else:
                raise ValueError("too many trips")
            finals.append((count, value))
            errs.append([None if chaotic else 0.0, None if chaotic else err])
        self._bind(st, finals, errs)

    def uses(self) -> set[str]:
        out = self.bound.names() | self.body.names() | self.init.names()
        if self.pred is not None:
            out |= self.pred.names()
        return out - {"c"}


class Cond(_Carried):
    """``tj.cond(pred, lambda c: a, lambda c: b, operand)``: both branches must give the
    same dtype and shape (tracejit traces both)."""

    def __init__(self, target: str, pred: Expr, branches: tuple[Expr, Expr], operand: Expr):
        self.targets, self.pred, self.branches, self.operand, self.pick = [target], pred, branches, operand, None

    def lines(self) -> list[str]:
        a, b = (x.render() for x in self.branches)
        pred, operand = self.pred.render(), self.operand.render()
        return [f"{self.targets[0]} = tj.cond({pred}, lambda c: {a}, lambda c: {b}, {operand})"]

    def analyze(self, st: State) -> None:
        evaluate(self.pred, st.ns, st.errs_of)
        evaluate(self.operand, st.ns, st.errs_of)
        finals, errs = [], []
        for call, ns in enumerate(st.ns):
            outs = [_run_body([b], ns, self.operand.values[call], [self.operand.errs[call]], call, st)
                    for b in self.branches]
            if not same_structure(outs[0][0], outs[1][0]) or value_kind(outs[0][0][0]) != value_kind(outs[1][0][0]):
                raise TypeError("branches differ in dtype or shape")
            taken = outs[0] if bool(self.pred.values[call]) else outs[1]
            finals.append(taken[0][0])
            errs.append(taken[1][0] if self.pred.errs[call] == 0 else None)
        self._bind(st, finals, errs)

    def uses(self) -> set[str]:
        out = self.pred.names() | self.operand.names()
        for b in self.branches:
            out |= b.names()
        return out - {"c"}


def is_scalar_like(value) -> bool:
    return np.ndim(value) == 0
