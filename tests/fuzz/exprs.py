"""Expression trees of generated programs: rendering, eager evaluation and error bounds.

An ``Expr`` is a leaf (a variable, a carried value such as ``c[1]``, or a literal) or an
op of ``tests/fuzz/ops.py`` applied to sub-expressions. Evaluating it node by node on
each call's eager values gives, besides the value, the error bound tracejit is allowed
(``tests/fuzz/errmodel.py``).
"""
from __future__ import annotations

import re

import numpy as np

from tests.fuzz import errmodel, libops, sciops
from tests.fuzz.ops import Op
from tests.fuzz.params import clean

_SIMPLE = re.compile(r"[A-Za-z_][\w.]*(\[-?\d+\])?|\d+(\.\d*)?(e-?\d+)?")
MAX_SIZE = 5000          # elements of any generated value
SIGN_OF_NAN = {"signbit", "copysign"}
COMPLEX_ULPS = 2.0  # NumPy's complex loops round differently by layout (fused multiply-add or not)
SUPPORTED_KINDS = "biufc"


class Expr:
    """A node: ``leaf`` source, or ``op`` applied to ``args`` with template ``params``."""

    __slots__ = ("op", "args", "params", "leaf", "values", "errs")

    def __init__(self, op: Op | None = None, args=(), params: dict | None = None, leaf: str | None = None):
        self.op, self.args, self.params, self.leaf = op, list(args), dict(params or {}), leaf
        self.values: list = []   # per call, filled by ``evaluate_node`` at generation
        self.errs: list = []

    def render(self) -> str:
        """Python source of the expression."""
        if self.leaf is not None:
            return self.leaf
        parts = [_wrap(a) for a in self.args]
        return clean(self.op.tmpl.format(*parts, **self.params))

    def names(self) -> set[str]:
        """Identifiers the expression reads (variables and carried values)."""
        if self.leaf is not None:
            return set(re.findall(r"\b[a-z]\w*\b", self.leaf)) - {"np", "nan", "inf", "e"}
        out: set[str] = set()
        for a in self.args:
            out |= a.names()
        for value in self.params.values():
            out |= set(re.findall(r"\b[av]\d+\b", str(value)))
        return out

    def depth(self) -> int:
        return 0 if self.leaf is not None else 1 + max((a.depth() for a in self.args), default=0)


def _wrap(e: Expr) -> str:
    src = e.render()
    if e.leaf is not None and _SIMPLE.fullmatch(src):
        return src
    return f"({src})"


def leaf(src: str) -> Expr:
    return Expr(leaf=src)


def check_value(value) -> None:
    """Refuse values the generator should not build on (huge, object, float16...)."""
    if isinstance(value, (bool, int, float, complex)):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**62:
            raise ValueError("Python int beyond int64")
        return
    if not isinstance(value, (np.ndarray, np.generic)):
        raise TypeError(f"not an array: {type(value).__name__}")
    dtype = value.dtype
    if dtype.kind not in SUPPORTED_KINDS or dtype.itemsize > 16 or dtype.kind == "f" and dtype.itemsize > 8:
        raise TypeError(f"dtype {dtype} not generated")
    if value.size > MAX_SIZE:
        raise ValueError("too large")


def kind_of_value(value) -> str:
    """The dtype kind of a value."""
    return np.asarray(value).dtype.kind


def apply_op(op: Op, params: dict, values: list, ns: dict):
    """Evaluate one op on operand values in the namespace of a call."""
    names = [f"_t{i}" for i in range(len(values))]
    scope = dict(ns)
    scope.update(zip(names, values))
    return eval(clean(op.tmpl.format(*names, **params)), scope)  # noqa: S307 - generated source


def _contraction(op: Op, params: dict, values: list) -> int:
    if op.name in ("outer", "ufunc_outer"):
        return 1
    if op.name.startswith("einsum"):
        sub = eval(params.get("esub2", params.get("esub1", "''")))  # noqa: S307 - our own literal
        ins, _, out = sub.partition("->")
        ins = ins.split(",")
        if "->" not in sub:
            out = "".join(sorted(c for c in set("".join(ins)) if "".join(ins).count(c) == 1))
        sizes = {}
        for letters, v in zip(ins, values):
            sizes.update(zip(letters, np.shape(v)))
        k = 1
        for letter in set("".join(ins)) - set(out):
            k *= sizes.get(letter, 1)
        return k
    a = values[0]
    return int(np.shape(a)[-1]) if np.ndim(a) else 1


def node_err(op: Op, params: dict, values: list, errs: list, out) -> float | None:
    """Error bound of ``out = op(values)`` given the operands' bounds."""
    rule = op.rule
    if op.name in SIGN_OF_NAN and any(np.isnan(np.asarray(v, dtype=np.complex128)).any() for v in values
                                      if np.asarray(v).dtype.kind in "fc"):
        return None  # the sign of a NaN is the hardware's choice (x86 gives -nan), not NumPy's
    if rule == "perturb":
        fn = eval(op.fn.format(**params) if op.fn else f"np.{op.name}", {"np": np, **sciops.SCOPE})  # noqa: S307
        ulps = op.ulps
        if not ulps and any(np.asarray(v).dtype.kind == "c" for v in values):
            ulps = COMPLEX_ULPS
        return errmodel.perturb(fn, values, errs, out, ulps)
    if rule == "move":
        return errmodel.move(errs, out)
    if rule == "stat":
        return libops.stat_err(op, values, errs, out)
    if rule == "scipy":
        return sciops.sci_err(op, params, values, errs, out)
    if rule == "linear":
        return errmodel.linear(errs, out, op.factor)
    if rule == "discrete":
        return 0.0 if all(e == 0 for e in errs) else None
    if rule == "astype":
        return errmodel.astype(values[0], errs[0], out)
    if rule.startswith("reduce:"):
        x, err = values[0], errs[0]
        if op.pair == "mask":
            if errs[1] != 0:
                return None
            x = np.asarray(x)[np.asarray(values[1])]
        if op.name.startswith("nan") and kind_of_value(x) in "fc":  # (NaNs are skipped: count them as zeros)
            x = np.where(np.isnan(x), 0, x)
        return errmodel.reduction(rule[7:], x, err, out)
    if rule == "product":
        k = _contraction(op, params, values)
        if len(values) == 1:
            return errmodel.product(values[0], np.ones(()), k, errs[0], 0.0, out)
        return errmodel.product(values[0], values[1], k, errs[0], errs[1], out)
    raise ValueError(f"unknown rule {rule!r}")


def evaluate_node(e: Expr, namespaces: list, errs_of) -> Expr:
    """Fill ``e.values``/``e.errs`` for every call from its (evaluated) children; raises
    what NumPy raises."""
    for a in e.args:
        if len(a.values) != len(namespaces):
            evaluate_node(a, namespaces, errs_of)
    e.values, e.errs = [], []
    for call, ns in enumerate(namespaces):
        if e.leaf is not None:
            value = eval(e.leaf, ns)  # noqa: S307
            err = errs_of(call, e.leaf)
        else:
            value = apply_op(e.op, e.params, [a.values[call] for a in e.args], ns)
            check_value(value)
            err = node_err(e.op, e.params, [a.values[call] for a in e.args], [a.errs[call] for a in e.args], value)
        e.values.append(value)
        e.errs.append(err)
    return e


def evaluate(e: Expr, namespaces: list, errs_of) -> Expr:
    """Evaluate a whole tree again (replays, loop bodies): children first."""
    for a in e.args:
        evaluate(a, namespaces, errs_of)
    return evaluate_node(e, namespaces, errs_of)


def same_structure(values_a: list, values_b: list) -> bool:
    """Equal dtype and shape in every call (a carried value's contract)."""
    return all(np.asarray(a).dtype == np.asarray(b).dtype and np.shape(a) == np.shape(b)
               for a, b in zip(values_a, values_b))


def broadcastable(values_a: list, values_b: list) -> bool:
    try:
        for a, b in zip(values_a, values_b):
            np.broadcast_shapes(np.shape(a), np.shape(b))
    except ValueError:
        return False
    return True
