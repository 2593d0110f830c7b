"""Statements of generated programs and the eager state they act on.

Every statement renders to source lines and *analyzes* itself on a ``State``: it runs
eagerly on each call's values (raising what NumPy raises) and updates the error bounds
of what it defines or writes (a write reaches every variable sharing the memory).
Replaying a statement list from fresh inputs rebuilds the state, which is how the
minimizer re-checks a reduced program.
"""
from __future__ import annotations

import re

import numpy as np

from tests.fuzz import errmodel, sciops
from tests.fuzz.exprs import Expr, check_value, evaluate
from tests.fuzz.harness import build_args

AUG_UFUNC = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide", "//": "floor_divide", "%": "remainder",
             "**": "power", "&": "bitwise_and", "|": "bitwise_or", "^": "bitwise_xor", "<<": "left_shift",
             ">>": "right_shift"}


RESHAPES = {"flat", "ravel", "rows", "cols", "unit", "merge", "split"}


def combine(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else max(a, b)


class State:
    """Eager values of every variable for each call, and their error bounds."""

    def __init__(self, specs: list, arg_names: list[str]):
        import tracejit as tj
        self.arg_names = list(arg_names)
        self.ns: list[dict] = []
        for call_specs in specs:
            ns = {"np": np, "tj": tj, **sciops.SCOPE}
            ns.update(zip(arg_names, build_args(call_specs)))
            self.ns.append(ns)
        self.errs: dict[str, list] = {name: [0.0] * len(specs) for name in arg_names}
        self.order: list[str] = list(arg_names)
        self.overlay: dict[str, list] = {}   # carried values of a loop body being generated
        self.dynamic: set[str] = set()       # variables holding selections of data-dependent size
        self.ambiguous: set[str] = set()     # eager layout depends on a loop's last step (see control.py)
        self.nowrite: set[str] = set()       # copy or view depends on that layout: never written

    @property
    def ncalls(self) -> int:
        return len(self.ns)

    def errs_of(self, call: int, src: str) -> float | None:
        if src in self.overlay:
            return self.overlay[src][call]
        if src in self.errs:
            return self.errs[src][call]
        base = re.match(r"[A-Za-z_]\w*", src)  # NAME[...]: a part of a variable
        if base and base.group(0) in self.errs:
            return self.errs[base.group(0)][call]
        if base and base.group(0) in self.overlay:
            return self.overlay[base.group(0)][call]
        return 0.0  # a literal

    def values(self, name: str) -> list:
        return [ns[name] for ns in self.ns]

    def bind(self, name: str, values: list, errs: list) -> None:
        for ns, value in zip(self.ns, values):
            ns[name] = value
        self.errs[name] = list(errs)
        if name in self.order:
            self.order.remove(name)
        self.order.append(name)

    def write_reaches(self, call: int, target, err: float | None) -> None:
        """A write of bound ``err`` into ``target``: every variable sharing its memory."""
        for name, errs in self.errs.items():
            value = self.ns[call].get(name)
            if isinstance(value, np.ndarray) and np.may_share_memory(value, target):
                errs[call] = combine(errs[call], err)


class Stmt:
    """A statement: source lines and its eager analysis."""

    def lines(self) -> list[str]:
        raise NotImplementedError

    def analyze(self, st: State) -> None:
        raise NotImplementedError

    def defines(self) -> set[str]:
        return set()

    def uses(self) -> set[str]:
        return set()


class Assign(Stmt):
    """``target = expr`` (``targets`` unpack a tuple result)."""

    def __init__(self, target: str, expr: Expr):
        self.target, self.expr = target, expr

    def lines(self) -> list[str]:
        return [f"{self.target} = {self.expr.render()}"]

    def analyze(self, st: State) -> None:
        evaluate(self.expr, st.ns, st.errs_of)
        from tests.fuzz.exprgen import is_dynamic
        dynamic = is_dynamic(self.expr, st)
        st.bind(self.target, self.expr.values, self.expr.errs)
        (st.dynamic.add if dynamic else st.dynamic.discard)(self.target)
        st.ambiguous.discard(self.target)
        st.nowrite.discard(self.target)
        e = self.expr
        if e.op is not None and e.op.group == "view" and any(a.leaf in st.ambiguous for a in e.args):
            st.ambiguous.add(self.target)
            if e.op.name in RESHAPES:  # a copy or a view depending on the layout: no writes
                st.nowrite.add(self.target)  # into it or anything sharing the operand's memory
                for a in e.args:
                    base = st.ns[0].get(a.leaf)
                    st.nowrite |= {n for n in st.errs if isinstance(st.ns[0].get(n), np.ndarray)
                                   and isinstance(base, np.ndarray) and np.may_share_memory(st.ns[0][n], base)}

    def defines(self) -> set[str]:
        return {self.target}

    def uses(self) -> set[str]:
        return self.expr.names()


class Inplace(Stmt):
    """A write into an existing array: ``form`` is ``set`` (``T[index] op= value``),
    ``whole`` (``T op= value``), ``copyto``, ``out`` (a ufunc writing ``out=T``) or
    ``sort`` (``T.sort(axis)``). ``index`` is source text, or a bool Expr (a mask)."""

    def __init__(self, form: str, target: str, value: Expr | None, index=None, aug: str = ""):
        self.form, self.target, self.value, self.index, self.aug = form, target, value, index, aug

    def _index_src(self) -> str | None:
        if self.index is None:
            return None
        return self.index.render() if isinstance(self.index, Expr) else self.index

    def region_src(self) -> str:
        index = self._index_src()
        return f"{self.target}[{index}]" if index is not None else self.target

    def lines(self) -> list[str]:
        t = self.target
        if self.form == "set":
            return [f"{self.region_src()} {self.aug}= {self.value.render()}"]
        if self.form == "whole":
            return [f"{t} {self.aug}= {self.value.render()}"]
        if self.form == "copyto":
            return [f"np.copyto({t}, {self.value.render()})"]
        if self.form == "out":
            src = self.value.render()
            return [src[:-1] + f", out={t})"]
        if self.form == "sort":
            return [f"{t}.sort({self.index + ', ' if self.index else ''}kind='stable')"]  # ±0 ties ordered
        raise ValueError(self.form)

    def analyze(self, st: State) -> None:
        if self.value is not None:
            evaluate(self.value, st.ns, st.errs_of)
        mask_exact = [True] * st.ncalls
        if isinstance(self.index, Expr):
            evaluate(self.index, st.ns, st.errs_of)
            mask_exact = [e == 0 for e in self.index.errs]
        line = self.lines()[0]
        for call, ns in enumerate(st.ns):
            target = ns[self.target]
            if not isinstance(target, np.ndarray):
                raise TypeError("in-place target is not an array")
            before = np.array(self._region(ns, call), copy=True)
            exec(line, ns)  # noqa: S102 - generated source
            after = np.asarray(self._region(ns, call))
            check_value(after)
            err = self._err(st, call, before, after)
            if not mask_exact[call]:
                err = None
            st.write_reaches(call, target, err)

    def _region(self, ns: dict, call: int):
        """What the statement writes (a mask is the one evaluated before the write)."""
        if self.form != "set" or self.index is None:
            return ns[self.target]
        if isinstance(self.index, Expr):
            return ns[self.target][self.index.values[call]]
        return eval(self.region_src(), ns)  # noqa: S307

    def _err(self, st: State, call: int, before, after) -> float | None:
        target_err = st.errs_of(call, self.target)
        if self.form == "sort":
            return target_err
        value, value_err = self.value.values[call], self.value.errs[call]
        if self.form in ("copyto", "out") or not self.aug:
            return errmodel.astype(value, value_err, after)
        fn = getattr(np, AUG_UFUNC[self.aug])
        ulps = 8.0 if self.aug == "**" else 2.0 if before.dtype.kind == "c" else 0.0
        return errmodel.perturb(fn, [before, value], [target_err, value_err], after, ulps)

    def uses(self) -> set[str]:
        out = {self.target}
        if self.value is not None:
            out |= self.value.names()
        if isinstance(self.index, Expr):
            out |= self.index.names()
        return out


class ForLoop(Stmt):
    """``for var in range(count):`` over a body of statements (unrolled when traced)."""

    def __init__(self, var: str, count: int, body: list[Stmt]):
        self.var, self.count, self.body = var, count, body

    def lines(self) -> list[str]:
        out = [f"for {self.var} in range({self.count}):"]
        for stmt in self.body:
            out += ["    " + line for line in stmt.lines()]
        return out

    def analyze(self, st: State) -> None:
        for i in range(self.count):
            for ns in st.ns:
                ns[self.var] = i
            st.overlay[self.var] = [0.0] * st.ncalls
            for stmt in self.body:
                stmt.analyze(st)

    def defines(self) -> set[str]:
        out = {self.var}
        for stmt in self.body:
            out |= stmt.defines()
        return out

    def uses(self) -> set[str]:
        out: set[str] = set()
        for stmt in self.body:
            out |= stmt.uses()
        return out - {self.var}


class Raising(Stmt):
    """A last statement NumPy rejects in some calls (``raises``: per call): the jit must
    raise a related exception there, and behave normally in the others."""

    def __init__(self, src: str, raises: list):
        self.src, self.raises = src, list(raises)   # per call: the exception's type name, or None

    def lines(self) -> list[str]:
        return [self.src]

    @staticmethod
    def outcome(src: str, ns: dict) -> str | None:
        """The type name of the exception ``src`` raises in a call, None if it runs."""
        try:
            exec(src, dict(ns))  # noqa: S102 - generated source
        except Exception as error:  # noqa: BLE001
            return type(error).__name__
        return None

    def analyze(self, st: State) -> None:
        got = [self.outcome(self.src, ns) for ns in st.ns]
        if got != self.raises[:len(got)]:  # the same exceptions (not a NameError after a reduction)
            raise ValueError("the statement raises differently now")

    def uses(self) -> set[str]:
        return set(re.findall(r"\b[av]\d+\b", self.src))
