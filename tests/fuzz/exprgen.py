"""Random expressions over a program's variables, each evaluated eagerly as it is built.

Generation is by execution: an op is drawn from the table, its operands from the
variables (or smaller expressions, or literals) whose values fit in *every* call, its
parameters at random; the node is evaluated on each call's values and dropped if NumPy
raises, if the result is of a kind we do not generate, or (usually) if it is not
comparable. So almost every program the fuzzer emits runs eagerly.
"""
from __future__ import annotations

import numpy as np

from tests.fuzz import ops as optable
from tests.fuzz import params as P
from tests.fuzz.exprs import Expr, broadcastable, evaluate_node, leaf, same_structure
from tests.fuzz.stmts import State

BY_NAME = {}
for _op in optable.ALL_OPS:
    BY_NAME.setdefault(_op.name, _op)
GROUPS: dict[str, list] = {}
for _op in optable.ALL_OPS:
    GROUPS.setdefault(_op.group, []).append(_op)
COMPARE = [BY_NAME[n] for n in ("greater_op", "less_op", "greater_equal_op", "equal_op")]
SUM, ADD, MUL = BY_NAME["sum"], BY_NAME["add_op"], BY_NAME["multiply_op"]
EINSUM2 = {(1, 1): ["i,i->", "i,j->ij", "i,i->i"], (2, 1): ["ij,j->i", "ij,i->j"], (1, 2): ["i,ij->j", "j,ij->i"],
           (2, 2): ["ij,jk->ik", "ij,ij->i", "ij,kj->ik", "ij,ij->", "ij,ik->jk"],
           (3, 3): ["bij,bjk->bik", "bij,bij->b"], (3, 2): ["bij,jk->bik"]}


DYNAMIC = {"mask_sel", "nonzero", "argwhere", "nonzero0"}        # data-dependent sizes
ON_DYNAMIC = {"sum", "np_sum", "mean", "prod", "max", "min", "amax", "any", "all", "var", "std"}


def is_dynamic(e: Expr, st: State) -> bool:
    """Whether a value has a data-dependent size (a boolean selection): tracejit only
    reduces those, combines them with scalars, or returns them."""
    if e.leaf is not None:
        return e.leaf in st.dynamic
    if e.op.name in DYNAMIC:
        return True
    if e.op.group in ("unary", "binary"):
        return any(is_dynamic(a, st) for a in e.args)
    return False


def kind_of(value) -> str:
    return np.asarray(value).dtype.kind


def _mm_ok(sa: tuple, sb: tuple) -> bool:
    if not sa or not sb or sa[-1] != (sb[-2] if len(sb) >= 2 else sb[0]):
        return False
    try:
        np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        return False
    return True


def _einsum_sizes_equal(sub: str, sa: tuple, sb: tuple) -> bool:
    letters = sub.split("->")[0].split(",")
    sizes: dict = {}
    for lets, shape in zip(letters, (sa, sb)):
        for letter, n in zip(lets, shape):
            if sizes.setdefault(letter, n) != n:
                return False
    return True


class ExprGen:
    """Draws expressions over the variables of a ``State``."""

    def __init__(self, rng, st: State, complex_ok: float = 0.03):
        self.rng, self.st, self.complex_ok = rng, st, complex_ok

    # -- leaves ------------------------------------------------------------------------------

    def names(self) -> list[str]:
        """Variables visible now (carried values of a body being generated last)."""
        return [n for n in self.st.order if n not in self.st.overlay] + list(self.st.overlay)

    def var(self, name: str) -> Expr:
        return evaluate_node(leaf(name), self.st.ns, self.st.errs_of)

    def pick(self, kinds: str = "biufc", min_ndim: int = 0, pred=None, exact: float = 0.9,
             dynamic: bool = False) -> Expr | None:
        """A variable whose kind, rank and values (``pred`` on per-call values) fit;
        selections of data-dependent size only when ``dynamic``."""
        found = []
        for name in self.names():
            if name in self.st.dynamic and not dynamic:
                continue
            vals = [ns[name] if name in ns else eval(name, ns) for ns in self.st.ns]  # noqa: S307
            if kind_of(vals[0]) not in kinds or min(np.ndim(v) for v in vals) < min_ndim:
                continue
            if pred is not None and not pred(vals):
                continue
            found.append(name)
        if not found:
            return None
        good = [n for n in found if all(e is not None for e in [self.st.errs_of(c, n) for c in range(self.st.ncalls)])]
        if good and self.rng.random() < exact:
            found = good
        weights = np.arange(1, len(found) + 1, dtype=float) ** 1.5  # recent variables more often
        return self.var(found[int(self.rng.choice(len(found), p=weights / weights.sum()))])

    def literal(self, kind: str) -> Expr:
        return evaluate_node(leaf(P.literal(self.rng, kind)), self.st.ns, self.st.errs_of)

    # -- expressions -------------------------------------------------------------------------

    def choose_op(self, group: str | None = None):
        if group is None:
            names = list(optable.GROUP_WEIGHTS)
            w = np.array([optable.GROUP_WEIGHTS[g] for g in names])
            group = names[int(self.rng.choice(len(names), p=w / w.sum()))]
        ops = GROUPS[group]
        w = np.array([op.weight for op in ops])
        return ops[int(self.rng.choice(len(ops), p=w / w.sum()))]

    @staticmethod
    def takes_dynamic(op) -> bool:
        return op.group == "unary" or op.name in ON_DYNAMIC or (op.group == "binary" and op.pair == "bcast")

    def first_ok(self, op, e: Expr) -> bool:
        kind = kind_of(e.values[0])
        if op.group == "scalar" and any(np.ndim(v) for v in e.values):
            return False
        if kind not in op.kinds or min(np.ndim(v) for v in e.values) < op.min_ndim:
            return False
        if kind == "c" and op.name not in optable.COMPLEX_OK:
            return self.rng.random() < self.complex_ok
        return True

    def expr(self, depth: int = 0, want=None, first: Expr | None = None, group: str | None = None,
             tries: int = 12, chaos: float = 0.1) -> Expr | None:
        """An evaluated expression satisfying ``want`` (a predicate on the Expr), built on
        ``first`` when given."""
        for _ in range(tries):
            op = self.choose_op(group)
            if op.arity == 0:
                if first is not None:
                    continue
                node = self._node(op, [], depth)
            else:
                operand = first
                if operand is None:
                    if depth < 2 and self.rng.random() < (0.3 if depth == 0 else 0.12):
                        operand = self.expr(depth + 1, want=lambda e, op=op: self.first_ok(op, e), tries=4)
                    else:
                        operand = self.pick(op.kinds, op.min_ndim, dynamic=self.takes_dynamic(op))
                if operand is None or not self.first_ok(op, operand):
                    continue
                if is_dynamic(operand, self.st) and not self.takes_dynamic(op):
                    continue
                node = self._node(op, [operand], depth)
            if node is None or (want is not None and not want(node)):
                continue
            if any(e is None for e in node.errs) and self.rng.random() > chaos:
                continue
            return node
        return None

    def _node(self, op, first: list[Expr], depth: int) -> Expr | None:
        vals = first[0].values if first else [np.zeros(())] * self.st.ncalls
        params = P.draw(self.rng, P.fields(op.tmpl), vals)
        dynamic = bool(first) and is_dynamic(first[0], self.st)
        if dynamic and op.group == "reduce":
            params = {k: "" for k in params}  # a selection is reduced whole, without keywords
        if dynamic and op.arity > 1:
            others = [self.literal(kind_of(vals[0]) if kind_of(vals[0]) in op.kinds else "f")
                      for _ in range(op.arity - 1)]
        else:
            others = self.operands(op, first[0], depth, params) if first and op.arity > 1 else []
        if others is None:
            return None
        node = Expr(op, first + others, params)
        try:
            return evaluate_node(node, self.st.ns, self.st.errs_of)
        except Exception:  # noqa: BLE001 - NumPy refused: draw again
            return None

    def operand(self, kinds: str, depth: int, pred, literal_kind: str | None = None, p_literal: float = 0.3):
        """A variable, a smaller expression or a literal fitting ``pred`` (per-call values)."""
        r = self.rng.random()
        if literal_kind and r < p_literal:
            return self.literal(literal_kind)
        if depth < 2 and r < p_literal + 0.15:
            e = self.expr(depth + 1, want=lambda e: kind_of(e.values[0]) in kinds and pred(e.values), tries=4)
            if e is not None:
                return e
        e = self.pick(kinds, 0, pred)
        if e is None and literal_kind:
            return self.literal(literal_kind)
        return e

    def operands(self, op, first: Expr, depth: int, params: dict) -> list[Expr] | None:
        """Operands 1.. of ``op`` given operand 0, by the op's pairing policy."""
        pair, fv = op.pair, first.values
        kind = kind_of(fv[0])

        def bcast(vals):
            return broadcastable(fv, vals)

        def same(vals):
            return all(np.shape(a) == np.shape(b) for a, b in zip(fv, vals))

        if pair == "bcast":
            lit = kind if kind in op.kinds else "f"
            out = [self.operand(op.kinds, depth, bcast, lit) for _ in range(op.arity - 1)]
            return None if any(o is None for o in out) else out
        if pair == "where":
            out = [self.operand("biuf", depth, bcast, "f" if self.rng.random() < 0.5 else "i") for _ in range(2)]
            return None if any(o is None for o in out) else out
        if pair == "mask":
            mask = self.boolean(same)
            return None if mask is None else [mask]
        if pair == "same":
            return [self.pick(op.kinds, 0, same) or first]
        if pair in ("concat", "concat0", "concatl"):
            axis = {"concat0": 0, "concatl": 1 if np.ndim(fv[0]) >= 2 else 0}.get(pair, int(params.get("axis", 0)))
            nd = np.ndim(fv[0])

            def fits(vals):
                return all(np.ndim(v) == nd and all(x == y or (i - axis) % max(nd, 1) == 0
                                                    for i, (x, y) in enumerate(zip(np.shape(v), np.shape(a))))
                           for a, v in zip(fv, vals))
            return [self.pick(op.kinds, 1, fits) or first]
        if pair == "vec":
            return [self.pick(op.kinds, 1, lambda vals: all(np.ndim(v) == 1 for v in vals)) or first]
        if pair == "any":
            return [self.pick(op.kinds) or first]
        if pair == "scalar":
            numbers = self.pick("if", 0, lambda vals: all(isinstance(v, (int, float)) for v in vals))
            return [numbers or self.literal("f")]
        if pair == "matmul":
            return self._matmul(op, first)
        if pair == "einsum":
            return self._einsum(op, first, params)
        if pair == "index":
            return [self._index(first)]
        return []

    def _matmul(self, op, first: Expr) -> list[Expr] | None:
        fv = first.values
        if op.name == "dot" and np.ndim(fv[0]) > 2:
            return None  # tracejit refuses dot of 3-d arrays (README: matmul semantics)
        other = self.pick(op.kinds, 1, lambda vals: all(_mm_ok(np.shape(a), np.shape(b)) and np.ndim(b) <= 2
                                                        for a, b in zip(fv, vals)))
        if other is not None and self.rng.random() < 0.8:
            return [other]
        nd = np.ndim(fv[0])
        if nd == 1:
            return [first]
        view = BY_NAME["T"] if nd == 2 else BY_NAME["swapaxes"]
        params = {} if nd == 2 else {"axis": "-1", "axis2": "-2"}
        try:
            return [evaluate_node(Expr(view, [first], params), self.st.ns, self.st.errs_of)]
        except Exception:  # noqa: BLE001
            return None

    def _einsum(self, op, first: Expr, params: dict) -> list[Expr] | None:
        fv = first.values
        nd = np.ndim(fv[0])
        for _ in range(6):
            other = self.pick(op.kinds, 1) or first
            subs = EINSUM2.get((nd, np.ndim(other.values[0])), [])
            if not subs:
                continue
            sub = str(self.rng.choice(subs))
            try:
                for a, b in zip(fv, other.values):
                    np.einsum(sub, np.zeros(np.shape(a)), np.zeros(np.shape(b)))
                    if self.rng.random() < 0.9 and not _einsum_sizes_equal(sub, np.shape(a), np.shape(b)):
                        raise ValueError("a size-1 index broadcast")  # rarely: NumPy's einsum broadcasts those
            except ValueError:
                continue
            params["esub2"] = repr(sub)
            return [other]
        return None

    def _index(self, first: Expr) -> Expr:
        n = min(np.shape(v)[0] for v in first.values)

        def in_range(vals):
            return all(np.ndim(v) >= 1 and np.size(v) and -n <= np.min(v) and np.max(v) < n for v in vals)
        found = self.pick("iu", 1, in_range, exact=1.0) if n else None
        if found is not None and self.rng.random() < 0.7:
            return found
        size = int(self.rng.integers(1, 6))
        src = f"np.array({[int(i) for i in self.rng.integers(-n, n, size)] if n else []}, dtype=np.intp)"
        if self.rng.random() < 0.3 and n:
            src = f"np.arange({n})[::-1]"
        return evaluate_node(leaf(src), self.st.ns, self.st.errs_of)

    def boolean(self, pred=None) -> Expr | None:
        """An exact bool value fitting ``pred``: a bool variable or a comparison."""
        pred = pred or (lambda vals: True)
        if self.rng.random() < 0.3:
            found = self.pick("b", 0, pred, exact=1.0)
            if found is not None and all(e == 0 for e in found.errs):
                return found
        for _ in range(4):
            x = self.pick("iuf", 0, pred, exact=1.0)
            if x is None:
                return None
            if self.rng.random() < 0.15 and kind_of(x.values[0]) == "f":
                node = Expr(BY_NAME["isnan"], [x])
            else:
                cmp = COMPARE[int(self.rng.integers(len(COMPARE)))]
                node = Expr(cmp, [x, leaf(self._threshold(x))])
            try:
                evaluate_node(node.args[1], self.st.ns, self.st.errs_of) if node.op is not BY_NAME["isnan"] else None
                evaluate_node(node, self.st.ns, self.st.errs_of)
            except Exception:  # noqa: BLE001
                continue
            if all(e == 0 for e in node.errs) and pred(node.values):
                return node
        return None

    def _threshold(self, x: Expr) -> str:
        v = np.asarray(x.values[0])
        finite = v[np.isfinite(v)] if v.dtype.kind == "f" else v.ravel()
        if finite.size and self.rng.random() < 0.7:
            t = float(np.median(finite))
            return str(int(t)) if v.dtype.kind in "iub" else repr(round(t, 2))
        return "0"

    def shaped_like(self, ref: list, depth: int = 1, first: Expr | None = None) -> Expr | None:
        """An expression with the dtype and shape of ``ref`` in every call (loop bodies)."""
        return self.expr(depth, want=lambda e: same_structure(e.values, ref), first=first, tries=10, chaos=0.0)


def add_scalar(gen: ExprGen, e: Expr, src: str) -> Expr | None:
    try:
        return evaluate_node(Expr(ADD, [e, leaf(src)]), gen.st.ns, gen.st.errs_of)
    except Exception:  # noqa: BLE001
        return None
