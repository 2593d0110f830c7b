"""Random statements: assignments, in-place writes, Python loops and ``tj`` control flow.

Each generator returns a candidate statement built from evaluated expressions; the
program generator then analyzes it on the state (running it eagerly) and keeps it only
if every call succeeds.
"""
from __future__ import annotations

import numpy as np

from tests.fuzz import params as P
from tests.fuzz.control import Cond, Fori, While
from tests.fuzz.exprgen import BY_NAME, SUM, ExprGen, kind_of
from tests.fuzz.exprs import Expr, broadcastable, evaluate_node, leaf, same_structure
from tests.fuzz.stmts import Assign, ForLoop, Inplace, Raising, Stmt

KINDS = {"assign": 52, "inplace": 18, "pyloop": 6, "fori": 9, "while": 6, "cond": 6}
AUG_BY_KIND = {"f": ["+", "-", "*", "/", "+", "*"], "c": ["+", "-", "*"], "b": ["&", "|", "^"],
               "i": ["+", "-", "*", "//", "%", "&", "|", "^", "<<", ">>", "+"]}
AUG_BY_KIND["u"] = AUG_BY_KIND["i"]


class StmtGen:
    """Draws statements over a state through an ``ExprGen``."""

    def __init__(self, rng, eg: ExprGen):
        self.rng, self.eg = rng, eg
        self.counter = 0

    @property
    def st(self):
        return self.eg.st

    def new_name(self, prefix: str = "v") -> str:
        self.counter += 1
        return f"{prefix}{self.counter - 1}"

    def statement(self, kinds: dict | None = None) -> Stmt | None:
        table = kinds or KINDS
        names = list(table)
        w = np.array([table[k] for k in names], float)
        kind = names[int(self.rng.choice(len(names), p=w / w.sum()))]
        return getattr(self, "gen_" + kind)()

    # -- plain -------------------------------------------------------------------------------

    def gen_assign(self) -> Stmt | None:
        e = self.eg.expr()
        return None if e is None else Assign(self.new_name(), e)

    def _writable(self, min_ndim: int = 0) -> Expr | None:
        def ok(vals):
            return all(isinstance(v, np.ndarray) and v.flags.writeable and v.ndim >= min_ndim for v in vals)
        found = self.eg.pick("biufc", min_ndim, ok, exact=0.8)
        return None if found is None or found.leaf in self.st.nowrite else found

    def _value_for(self, region: list, kind: str) -> Expr | None:
        """A value that broadcasts to every call's region."""
        def fits(vals):
            return all(_bcast_to(np.shape(v), np.shape(r)) for v, r in zip(vals, region))
        return self.eg.operand("biufc" if kind in "fc" else "biu", 1, fits, kind, p_literal=0.4)

    def gen_inplace(self) -> Stmt | None:
        target = self._writable()
        if target is None:
            return None
        t, tv = target.leaf, target.values
        kind = kind_of(tv[0])
        form = str(self.rng.choice(["set", "setaug", "whole", "gather", "mask", "copyto", "out", "sort", "ellipsis"],
                                   p=[.22, .16, .16, .1, .12, .06, .08, .04, .06]))
        aug = str(self.rng.choice(AUG_BY_KIND[kind])) if form in ("setaug", "whole") or self.rng.random() < 0.3 else ""
        if form == "sort":
            if kind == "c" or np.ndim(tv[0]) == 0:
                return None
            return Inplace("sort", t, None, str(self.rng.choice(["", "axis=0", "axis=-1", "axis=None"])))
        if kind == "c" and form in ("copyto", "out", "gather"):
            return None  # README: complex in-place writes are setitem, masks and +=
        if form in ("copyto", "whole"):
            value = self._value_for(tv, kind)
            return None if value is None else Inplace(form if form == "copyto" else "whole", t, value,
                                                      aug=aug or "+")
        if form == "out":
            return self._out_write(target)
        if form == "mask":
            mask = self.eg.boolean(lambda vals: all(np.shape(v) == np.shape(x) for v, x in zip(vals, tv)))
            if mask is None:
                return None
            region = [np.asarray(x)[np.asarray(m)] for x, m in zip(tv, mask.values)]
            if self.rng.random() < 0.3:  # x[m] = f(x[m])
                sel = evaluate_node(leaf(f"{t}[{mask.render()}]"), self.st.ns, self.st.errs_of)
                value = self.eg.expr(1, want=lambda e: all(_bcast_to(np.shape(v), np.shape(r))
                                                           for v, r in zip(e.values, region)), first=sel, tries=5)
            else:
                value = self.eg.literal(kind)
            return None if value is None else Inplace("set", t, value, mask, aug)
        if min(np.ndim(v) for v in tv) == 0:  # (the rank may differ between calls: squeeze)
            index = "..."
        elif form == "gather":
            index = P.p_glist(self.rng, tv, {})
        elif form == "ellipsis":
            index = "..."
        else:
            index = P.p_bindex(self.rng, tv, {})
        try:
            region = [np.asarray(eval(f"x[{index}]", {"x": x, "np": np})) for x in tv]  # noqa: S307
        except Exception:  # noqa: BLE001
            return None
        value = self._value_for(region, kind)
        return None if value is None else Inplace("set", t, value, index, aug if form != "setaug" else aug or "+")

    def _out_write(self, target: Expr) -> Stmt | None:
        tv = target.values
        names = ["add", "multiply", "subtract", "maximum", "negative", "sqrt", "exp", "minimum"]
        op = BY_NAME[str(self.rng.choice(names))]
        if not op.tmpl.startswith("np."):
            return None
        first = target if self.rng.random() < 0.5 else self.eg.pick(op.kinds, 0, lambda vals: broadcastable(vals, tv))
        if first is None:
            return None
        args = [first]
        if op.arity == 2:
            other = self.eg.operand(op.kinds, 1, lambda vals: broadcastable(vals, tv), kind_of(tv[0]))
            if other is None:
                return None
            args.append(other)
        node = Expr(op, args, {})
        try:
            evaluate_node(node, self.st.ns, self.st.errs_of)
        except Exception:  # noqa: BLE001
            return None
        if any(np.shape(v) != np.shape(x) for v, x in zip(node.values, tv)):
            return None
        return Inplace("out", target.leaf, node)

    # -- Python loops ------------------------------------------------------------------------

    def gen_pyloop(self) -> Stmt | None:
        var, count = self.new_name("i"), int(self.rng.integers(1, 5))
        for ns in self.st.ns:
            ns[var] = 0
        self.st.overlay[var] = [0.0] * self.st.ncalls
        try:
            body = [s for s in (self._loop_stmt(var, count) for _ in range(int(self.rng.integers(1, 3)))) if s]
        finally:
            del self.st.overlay[var]
            for ns in self.st.ns:
                ns.pop(var, None)
        return ForLoop(var, count, body) if body else None

    def _loop_stmt(self, var: str, count: int) -> Stmt | None:
        r = self.rng.random()
        if r < 0.4:  # x = x * a + f(i)
            x = self.eg.pick("iuf", 0, exact=1.0)
            if x is None:
                return None
            e = self.eg.expr(1, want=lambda e: same_structure(e.values, x.values), first=x, tries=6)
            if e is not None and self.rng.random() < 0.5:
                e = self.eg.expr(1, want=lambda n: same_structure(n.values, x.values), first=e, tries=4) or e
            return None if e is None or x.leaf in self.st.arg_names else Assign(x.leaf, e)
        if r < 0.75:  # x[i] op= value
            x = self._writable(1)
            if x is None or min(np.shape(v)[0] for v in x.values) < count:
                return None
            region = [np.asarray(v[0]) for v in x.values]
            kind = kind_of(x.values[0])
            value = self._value_for(region, kind)
            if value is None:
                return None
            if self.rng.random() < 0.4 and kind in "iuf":
                value = evaluate_node(Expr(BY_NAME["add_op"], [value, leaf(var)]), self.st.ns, self.st.errs_of)
            aug = str(self.rng.choice(["", "+", "*"] if kind != "b" else ["", "|"]))
            return Inplace("set", x.leaf, value, var if self.rng.random() < 0.7 else f"{var}:", aug)
        e = self.eg.expr()
        return None if e is None else Assign(self.new_name(), e)

    # -- tj control flow ---------------------------------------------------------------------

    def _carry_init(self) -> Expr | None:
        r = self.rng.random()
        if r < 0.45:
            return self.eg.pick("iufc" if self.rng.random() < 0.1 else "iuf", 0)
        if r < 0.65:  # a view or a partial reduction with an epilogue
            x = self.eg.pick("iuf", 1)
            if x is None:
                return None
            group = str(self.rng.choice(["view", "reduce"]))
            e = self.eg.expr(1, first=x, group=group, tries=4)
            if e is not None and group == "reduce" and self.rng.random() < 0.7:
                e = self.eg.expr(1, first=e, group="binary", tries=3) or e
            return e
        if r < 0.8:
            return self.eg.literal(str(self.rng.choice(["f", "i"])))
        return self.eg.expr(1)

    def _body(self, src: str, ref: list) -> Expr | None:
        """A step of carried value ``src`` keeping dtype and shape."""
        carried = evaluate_node(leaf(src), self.st.ns, self.st.errs_of)
        e = self.eg.shaped_like(ref, first=carried)
        if e is not None and self.rng.random() < 0.5:
            e = self.eg.shaped_like(ref, first=e) or e
        if e is None:
            kind = kind_of(ref[0])
            if kind == "b":
                e = Expr(BY_NAME["invert"], [carried])
            else:
                e = Expr(BY_NAME["add_op"], [carried, leaf("1")])
            try:
                evaluate_node(e.args[-1], self.st.ns, self.st.errs_of)
                evaluate_node(e, self.st.ns, self.st.errs_of)
            except Exception:  # noqa: BLE001
                return None
            if not same_structure(e.values, ref):
                return None
        return e

    def _with_carry(self, carries: list[Expr], fn, extra: tuple = ("i",)):
        """Run ``fn`` with ``c`` (or ``c[k]``) bound to the initial carried values."""
        st = self.st
        srcs = ["c"] if len(carries) == 1 else [f"c[{k}]" for k in range(len(carries))]
        for call, ns in enumerate(st.ns):
            vals = [e.values[call] for e in carries]
            ns["c"] = vals[0] if len(vals) == 1 else tuple(vals)
            for name in extra:
                ns[name] = 0
        for k, src in enumerate(srcs):
            st.overlay[src] = list(carries[k].errs)
        for name in extra:
            st.overlay[name] = [0.0] * st.ncalls
        try:
            return fn(srcs)
        finally:
            for key in srcs + list(extra):
                st.overlay.pop(key, None)
            for ns in st.ns:
                ns.pop("c", None)
                for name in extra:
                    ns.pop(name, None)

    def _trip_bound(self) -> Expr | None:
        r = self.rng.random()
        if r < 0.55:
            return evaluate_node(leaf(str(int(self.rng.integers(0, 6)))), self.st.ns, self.st.errs_of)
        if r < 0.75:
            x = self.eg.pick("biufc", 1)
            return None if x is None else evaluate_node(leaf(f"{x.leaf}.shape[0]"), self.st.ns, self.st.errs_of)
        mask = self.eg.boolean()
        if mask is None:
            return None
        try:
            count = Expr(SUM, [mask], {"raxes": "", "keepdims": "", "sumdtype": ""})
            return evaluate_node(count, self.st.ns, self.st.errs_of)
        except Exception:  # noqa: BLE001
            return None

    def gen_fori(self) -> Stmt | None:
        inits = [self._carry_init()]
        if self.rng.random() < 0.35:
            inits.append(self._carry_init() if self.rng.random() < 0.5 else self.eg.literal("f"))
        hi = self._trip_bound()
        if hi is None or any(e is None for e in inits):
            return None
        lo = evaluate_node(leaf(str(int(self.rng.choice([0, 0, 1, 2])))), self.st.ns, self.st.errs_of)
        bodies = self._with_carry(inits, lambda srcs: [self._body(s, e.values) for s, e in zip(srcs, inits)])
        if any(b is None for b in bodies):
            return None
        if len(inits) == 1:
            return Fori([self.new_name()], lo, hi, bodies, inits)
        if self.rng.random() < 0.5:
            return Fori([self.new_name()], lo, hi, bodies, inits, pick=int(self.rng.integers(2)))
        return Fori([self.new_name(), self.new_name()], lo, hi, bodies, inits)

    def gen_while(self) -> Stmt | None:
        init = self._carry_init()
        if init is None:
            return None
        bound = self._trip_bound()
        if bound is None or np.ndim(bound.values[0]):
            return None
        carries = [evaluate_node(leaf("0"), self.st.ns, self.st.errs_of), init]
        body = self._with_carry(carries, lambda srcs: self._body(srcs[1], init.values), extra=())
        if body is None:
            return None
        pred = None
        if self.rng.random() < 0.4 and kind_of(init.values[0]) in "iuf":
            pred = self._with_carry(carries, lambda srcs: self._pred(srcs[1]), extra=())
        if self.rng.random() < 0.3:
            return While([self.new_name(), self.new_name()], bound, pred, body, init, pick=None)
        return While([self.new_name()], bound, pred, body, init)

    def _pred(self, src: str) -> Expr | None:
        carried = evaluate_node(leaf(src), self.st.ns, self.st.errs_of)
        try:
            total = evaluate_node(Expr(SUM, [carried], {"raxes": "", "keepdims": "", "sumdtype": ""}), self.st.ns,
                                  self.st.errs_of)
            limit = float(np.asarray(total.values[0]).real) if np.isfinite(total.values[0]) else 0.0
            limit_src = repr(round(abs(limit) * 3 + 10.0, 1))
            node = Expr(BY_NAME["less_op"], [total, leaf(limit_src)])
            evaluate_node(node.args[1], self.st.ns, self.st.errs_of)
            evaluate_node(node, self.st.ns, self.st.errs_of)
        except Exception:  # noqa: BLE001
            return None
        return node if all(e == 0 for e in node.errs) else None

    def gen_cond(self) -> Stmt | None:
        operand = self._carry_init()
        pred = self._scalar_pred()
        if operand is None or pred is None:
            return None

        def branches(srcs):
            c = evaluate_node(leaf(srcs[0]), self.st.ns, self.st.errs_of)
            a = self.eg.expr(1, first=c, tries=6, chaos=0.0)
            if a is None:
                return None
            b = self.eg.shaped_like(a.values, first=c) or self.eg.shaped_like(a.values)
            return None if b is None else (a, b)
        pair = self._with_carry([operand], branches, extra=())
        return None if pair is None else Cond(self.new_name(), pred, pair, operand)

    def _scalar_pred(self) -> Expr | None:
        scalars = self.eg.pick("if", 0, lambda vals: all(isinstance(v, (int, float)) for v in vals), exact=1.0)
        if scalars is not None and self.rng.random() < 0.3:
            node = Expr(BY_NAME["greater_op"], [scalars, leaf("0.5")])
        else:
            x = self.eg.pick("biuf", 0, exact=1.0)
            if x is None:
                return None
            reduced = Expr(SUM if self.rng.random() < 0.6 else BY_NAME["max"], [x], {"raxes": "", "keepdims": "",
                                                                                     "sumdtype": ""})
            node = Expr(BY_NAME["greater_op"], [reduced, leaf(self.eg._threshold(x))])
        try:
            from tests.fuzz.exprs import evaluate
            evaluate(node, self.st.ns, self.st.errs_of)
        except Exception:  # noqa: BLE001
            return None
        return node if all(e == 0 for e in node.errs) and np.ndim(node.values[0]) == 0 else None


def _bcast_to(shape: tuple, target: tuple) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:
        return False


def raising_candidates(sg: StmtGen) -> list[str]:
    """Statements NumPy may reject in some or all calls (checked by the caller)."""
    st, out = sg.st, []
    name = sg.new_name()
    arrays = [n for n in st.order if all(isinstance(ns[n], np.ndarray) for ns in st.ns)]
    for x in arrays:
        vals = st.values(x)
        shapes = [v.shape for v in vals]
        kind = vals[0].dtype.kind
        if shapes[0]:
            out.append(f"{name} = {x}[{max(s[0] for s in shapes) - 1}]")
            out.append(f"{name} = {x}[[{max(s[0] for s in shapes) - 1}]]")
            out.append(f"{name} = {x}.reshape({max(vals[0].size, 1)}, -1)")
            out.append(f"{name} = {x}.sum(axis={len(shapes[0])})")
        if any(v.size == 0 for v in vals) and kind != "c":
            out.append(f"{name} = {x}.max()")
        if kind in "iu":
            out.append(f"{name} = {x} ** -1")
            if vals[0].dtype.itemsize == 1:
                out.append(f"{name} = {x} + 1000")
        if not vals[0].flags.writeable:
            out.append(f"{x}[...] = 0")
        for y in arrays:
            if y != x:
                out.append(f"{name} = {x} + {y}")
                out.append(f"{name} = np.concatenate([{x}, {y}])")
    return out


def gen_raising(sg: StmtGen, rng) -> Raising | None:
    """A final statement that raises in at least one call (the exception path)."""
    cands = raising_candidates(sg)
    for k in rng.permutation(len(cands))[:12]:
        src = cands[int(k)]
        raises = [Raising.outcome(src, ns) for ns in sg.st.ns]
        if any(raises) and "NameError" not in raises:
            return Raising(src, raises)
    return None
