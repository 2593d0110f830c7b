"""Programs with Python control flow (issue 16: converted from source), as Python source.

Unlike ``program.py`` (statements simulated with error models), these programs are
drawn from templates of data-dependent control flow -- ``if``/``elif``/``else`` on traced
reductions, conditional expressions, ``and``/``or``/``not``, bounded ``while`` loops with
traced tests, ``for`` over ``range`` (static and traced bounds), arrays, ``enumerate`` and
``zip``, ``x[i]`` reads and ``out[i] = v`` writes at a traced index, triangular slices
(``A[i, :i]``), slices at traced offsets (``x[i:i + 2]``) and with bounds read from data
(``x[lo:hi]``), nested loops, ``break``/``continue``/``return``, lists appended and
stacked, ``len()``/``int()``/``float()`` of traced values, masked reductions, and updates
of the arguments -- and the eager result is the reference: the error bound of each float
leaf is relative to its magnitude (data are mostly integer-valued, so sums are exact and
decisions on them agree; thresholds are chosen off the values' lattice to avoid ties).

The rendered module runs in a worker like every fuzz program: written to a file and
imported, so ``inspect.getsource`` sees ``f`` and tracejit converts its control flow.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from tests.fuzz import harness, sciops
from tests.fuzz.cfblocks import MoreBlocks

SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 17, 33]
XDTYPES = {"float64": 6, "float32": 2, "int64": 3, "int32": 1}
THRESHOLDS = ["0.37", "-1.3", "2.6", "0.0", "4.7", "-0.45"]


@dataclass
class CFProgram:
    """A control-flow program: top-level blocks (source lines each), a return line."""
    seed: int
    specs: list                        # per call: argument specs
    blocks: list[list[str]]
    ret: list[str]                     # the final ``return`` (and any lines before it)
    arg_names: list[str] = field(default_factory=lambda: ["x", "y", "A", "q"])
    expect: list = field(default_factory=list)

    @property
    def stmts(self) -> list:
        """The top-level blocks (the minimizer's unit, as ``Program.stmts``)."""
        return self.blocks

    @property
    def returns(self) -> list[str]:
        """The return lines (for the campaign's reports)."""
        return self.ret

    def function_source(self) -> str:
        """``def f(x, y, A, q): ...`` as source."""
        lines = [f"def f({', '.join(self.arg_names)}):", "    n = x.shape[0]"]
        for block in self.blocks:
            lines += ["    " + line for line in block]
        lines += ["    " + line for line in self.ret]
        return "\n".join(lines) + "\n"

    def module_source(self, header: str = "") -> str:
        """A standalone script, like ``Program.module_source``."""
        from tests.fuzz.program import Program
        shell = Program(self.seed, self.arg_names, self.specs, [], [])
        shell.expect = self.expect
        shell.function_source = self.function_source  # type: ignore[method-assign]
        return shell.module_source(header)


class _Gen(MoreBlocks):
    """Draws blocks; ``fresh`` names; knows the float scalars and length-n vectors defined."""

    def __init__(self, rng):
        self.rng = rng
        self.k = 0
        self.scalars = ["float(x.sum())", "y.mean()", "y.sum()"]
        self.vectors = ["x", "y"]
        self.defined: list[str] = []

    def pick(self, items):
        return items[int(self.rng.integers(len(items)))]

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def fresh(self, prefix: str) -> str:
        self.k += 1
        return f"{prefix}{self.k}"

    # -- expressions ------------------------------------------------------------------------
    def scalar(self, raw_ok: bool = True) -> str:
        """A 0-d value; ``raw_ok``: maybe of x's, A's or q's dtype (else float64 or a Python float:
        values whose type a traced decision picks come back promoted, see docs/design.md)."""
        raw = ["x.sum()", "A.sum()", "A.mean()", "q.sum()", "q.max()", "x.min()"]
        if raw_ok and self.chance(0.15):  # dtypes that may differ between branches (unsupported) or promote in loops
            return self.pick(raw)
        return self.pick(self.scalars + ["y.sum()", "np.dot(y, y)", "y.max()"] + [f"float({r})" for r in raw])

    def vector(self) -> str:
        v = self.pick(self.vectors)
        return self.pick([v, f"{v} * 2.0", f"{v} + y", f"np.abs({v})", f"{v} - {v}.mean()", f"A @ {v}",
                          f"np.maximum({v}, 0.5)", f"{v} * {self.pick(['0.5', '-1.0', '3'])}"])

    def cond(self, depth: int = 0) -> str:
        t = self.pick(THRESHOLDS)
        forms = [f"{self.scalar()} > {t}", f"{self.scalar()} < {self.scalar()}", f"({self.vector()} > {t}).any()",
                 f"len(x[x > {t}]) > {int(self.rng.integers(0, 4))}", f"({self.vector()} < {t}).all()",
                 f"int((y > {t}).sum()) % 2 == 1"]
        c = self.pick(forms)
        if depth < 1 and self.chance(0.3):
            op = self.pick(["and", "or"])
            c = f"({c}) {op} ({self.cond(depth + 1)})"
        if depth < 1 and self.chance(0.15):
            c = f"not ({c})"
        return c

    def bound(self) -> str:
        """The stop of a ``range`` over indices of ``x`` (static or traced)."""
        return self.pick(["n", "n", "n", "n - 1", "min(n, 3)", "int((x > 0).sum())", "len(x[y > 0])",
                          "int(q.shape[0])"])

    def define_scalar(self, name: str) -> None:
        self.scalars.append(name)
        self.defined.append(name)

    def define_vector(self, name: str) -> None:
        self.vectors.append(name)
        self.defined.append(name)

    # -- blocks -----------------------------------------------------------------------------
    def block(self) -> list[str]:
        kinds = [self.b_if, self.b_ifexp, self.b_while, self.b_for_index, self.b_triangular, self.b_dynslice,
                 self.b_range_sel, self.b_nested, self.b_list, self.b_for_array, self.b_masked, self.b_inplace_arg,
                 self.b_if_vector, self.b_while_vector, self.b_recurrence, self.b_backward, self.b_promote,
                 self.b_while_scatter, self.b_nested_break] + self.more_blocks()
        return self.pick(kinds)()

    def b_if(self) -> list[str]:
        s = self.fresh("s")
        lines = [f"if {self.cond()}:", f"    {s} = {self.scalar(False)} * 2.0"]
        if self.chance(0.4):
            lines += [f"elif {self.cond()}:", f"    {s} = {self.scalar(False)} - 1.0"]
        lines += ["else:", f"    {s} = {self.scalar(False)} + {self.pick(THRESHOLDS)}"]
        self.define_scalar(s)
        return lines

    def b_if_vector(self) -> list[str]:
        v = self.fresh("v")
        lines = [f"{v} = {self.vector()}", f"if {self.cond()}:", f"    {v} = {self.vector()} * 0.5"]
        if self.chance(0.5):
            lines += ["else:", f"    {v} = {v} - {self.scalar()}"]
        self.define_vector(v)
        return lines

    def b_ifexp(self) -> list[str]:
        s = self.fresh("s")
        line = f"{s} = {self.scalar(False)} if {self.cond()} else {self.scalar(False)} * 0.5"
        self.define_scalar(s)
        return [line]

    def b_while(self) -> list[str]:
        s, k = self.fresh("s"), self.fresh("k")
        init = self.scalar(False)  # (the trip count is data: the type must not depend on it)
        limit = int(self.rng.integers(0, 12))
        test = self.pick([f"{s} < {self.pick(['10.0', '100.0', '3.5'])}", self.cond(1), f"{s} > -50.0"])
        body = [f"    {s} = {s} * 1.5 + {self.pick(['1.0', 'np.abs(y).sum()', f'float({k})'])}"]
        if self.chance(0.3):
            body = [f"    if {s} > {self.pick(['8.0', '20.0'])}:", "        break"] + body
        self.define_scalar(s)
        head = self.pick([f"{k} < {limit}", f"{k} < int((x > 0).sum())", f"{k} < n"])
        if self.chance(0.25):  # no counter: |s| * 2 + 1 reaches any bound (NaN stops at once)
            body = [f"    {s} = abs({s}) * 2.0 + 1.0"]
            head, test = f"{k} >= 0", f"{s} < {self.pick(['100.0', '1e6', '7.5'])}"
        return [f"{s} = {init}", f"{k} = 0", f"while {head} and {test}:", *body, f"    {k} += 1"]

    def b_while_vector(self) -> list[str]:
        v, k = self.fresh("v"), self.fresh("k")
        init = self.vector()
        self.define_vector(v)
        return [f"{v} = {init}", f"{k} = 0",
                f"while {k} < {int(self.rng.integers(1, 6))} and {v}.sum() < {self.pick(['50.0', '5.0'])}:",
                f"    {v} = {v} + np.abs({v}) + 1.0", f"    {k} = {k} + 1"]

    def b_for_index(self) -> list[str]:
        out, acc, i = self.fresh("v"), self.fresh("s"), self.fresh("i")
        init = self.pick(["np.zeros(n)", "np.zeros(n)", "np.zeros_like(x)", "y.copy()"])  # (zeros_like: x's dtype)
        lines = [f"{out} = {init}", f"{acc} = 0.0", f"for {i} in range({self.bound()}):"]
        if self.chance(0.3):
            lines += [f"    if x[{i}] > {self.pick(THRESHOLDS)}:", "        continue"]
        if self.chance(0.25):
            lines += [f"    if {acc} > {self.pick(['5.0', '30.0'])}:", "        break"]
        if len(lines) > 3:  # (whether a step runs is data: the accumulator's type must not depend on it)
            lines[1] = f"{acc} = np.float64(0.0)"
        lines += [f"    {out}[{i}] = x[{i}] * 2.0 + {acc}",
                  f"    {acc} = {acc} + {self.pick([f'x[{i}]', f'y[{i}] * x[{i}]', f'A[{i}, {i}]', f'q[{i}]'])}"]
        if self.chance(0.3):
            lines += [f"    {acc} = {acc} if {acc} < 100.0 else {acc} * 0.5"]
        self.define_vector(out)
        self.define_scalar(acc)
        return lines

    def b_triangular(self) -> list[str]:
        z, i = self.fresh("v"), self.fresh("i")
        self.define_vector(z)
        body = self.pick([
            [f"    {z}[{i}] = y[{i}] - A[{i}, :{i}] @ {z}[:{i}] * 0.25"],
            [f"    {z}[{i}] = (A[{i}, :{i}] * x[:{i}]).sum() + x[{i}]"],
            [f"    {z}[{i}] = A[{i}:, {i}].sum() - A[{i}, {i} + 1:].sum() * 0.5"],
            [f"    {z}[:{i}] = {z}[:{i}] + A[{i}, :{i}]"],
        ])
        start = self.pick(["0", "1"])
        return [f"{z} = np.zeros(n)", f"for {i} in range({start}, n):", *body]

    def b_dynslice(self) -> list[str]:
        out, i, w = self.fresh("v"), self.fresh("i"), int(self.rng.integers(1, 4))
        self.define_vector(out)
        rhs = self.pick([f"x[{i}:{i} + {w}].sum()", f"y[{i}:{i} + {w}] @ x[{i}:{i} + {w}]",
                         f"A[{i}, {i}:{i} + {w}].max()"])
        return [f"{out} = np.zeros(n)", f"for {i} in range(n - {w - 1}):", f"    {out}[{i}] = {rhs}"]

    def b_range_sel(self) -> list[str]:
        s, i, lo, hi = self.fresh("s"), self.fresh("i"), self.fresh("lo"), self.fresh("hi")
        self.define_scalar(s)
        red = self.pick([f"x[{lo}:{hi}].sum()", f"y[{lo}:{hi}] @ x[{lo}:{hi}]", f"len(y[{lo}:{hi}])"])
        return [f"{s} = 0.0", f"for {i} in range(n - 1):",
                f"    {lo} = int(q[{i}]) % (n + 1)" if self.chance(0.5) else f"    {lo} = abs(int(q[{i}])) % n",
                f"    {hi} = {lo} + abs(int(q[{i} + 1])) % 3",
                f"    {s} = {s} + {red}"]

    def b_nested(self) -> list[str]:
        s, i, j = self.fresh("s"), self.fresh("i"), self.fresh("j")
        self.define_scalar(s)
        inner = self.pick([f"range({i})", f"range({i}, n)", "range(n)", f"range({int(self.rng.integers(1, 4))})"])
        body = [f"        {s} = {s} + A[{i}, {j} % n] * y[{j} % n]"]
        if self.chance(0.3):
            body = [f"        if A[{i}, {j} % n] < 0:", "            continue"] + body
        return [f"{s} = np.float64(0.0)", f"for {i} in range(n):", f"    for {j} in {inner}:", *body]

    def b_list(self) -> list[str]:
        acc, r, i = self.fresh("rows"), self.fresh("m"), self.fresh("i")
        item = self.pick([f"x[{i}] * y", f"A[{i}] + {i}", f"y[{i}] * 2.0", f"A[{i}].sum()"])
        stack = self.pick(["np.stack", "np.array"])
        lines = [f"{acc} = []", f"for {i} in range(n):", f"    {acc}.append({item})",
                 f"{r} = {stack}({acc}).sum(axis=0) if len({acc}) > 0 else 0.0"]
        s = self.fresh("s")
        lines.append(f"{s} = float(np.sum({r}))")
        self.define_scalar(s)
        return lines

    def b_for_array(self) -> list[str]:
        s = self.fresh("s")
        self.define_scalar(s)
        head, body = self.pick([
            ("for row in A:", f"    {s} = {s} + row.max() - row[0]"),
            ("for t, v in enumerate(x):", f"    {s} = {s} + v * t"),
            ("for a, b in zip(x, y):", f"    {s} = {s} + a * b if a > b else {s} - b"),
            ("for v in y:", f"    {s} = {s} + abs(v)"),
        ])
        return [f"{s} = 0.0", head, body]

    def b_masked(self) -> list[str]:
        m, c, mu = self.fresh("mask"), self.fresh("s"), self.fresh("v")
        self.define_scalar(c)
        call = self.pick(["mean(axis=0)", "sum(axis=0)", "mean(axis=0)", "any(axis=0)"])
        lines = [f"{m} = x > {self.pick(THRESHOLDS)}", f"{c} = float(len(x[{m}]))",
                 f"{mu} = A[{m}].{call}"]
        if self.chance(0.5):
            lines += [f"{mu} = np.where(np.isnan({mu}), 0.0, {mu})"]
        self.define_vector(mu)
        return lines

    def b_recurrence(self) -> list[str]:
        out, i = self.fresh("v"), self.fresh("i")
        self.define_vector(out)
        body = self.pick([f"    {out}[{i}] = {out}[{i} - 1] * 0.5 + x[{i}]",
                          f"    {out}[{i}] = {out}[{i} - 1] + {out}[{i}]",
                          f"    {out}[{i}] = x[{i} - 1] - {out}[-1]",
                          f"    {out} = {out} * 0.5\n    {out}[{i}] = {out}.sum()"])
        start = self.pick(["1", "0"])  # (from 0: index -1 wraps around)
        return [f"{out} = {self.pick(['np.zeros(n)', 'y.copy()', 'np.ones(n) * 2.0'])}",
                f"for {i} in range({start}, n):", *body.split("\n")]

    def b_backward(self) -> list[str]:
        z, i = self.fresh("v"), self.fresh("i")
        self.define_vector(z)
        head = self.pick([f"for {i} in range(n - 1, -1, -1):", f"for {i} in reversed(range(n)):",
                          f"for {i} in range(0, n, 2):", f"for {i} in range(n - 1, 0, -2):"])
        return [f"{z} = np.zeros(n)", head,
                f"    {z}[{i}] = y[{i}] - A[{i}, {i} + 1:] @ {z}[{i} + 1:] * 0.125"]

    def b_promote(self) -> list[str]:
        s, i = self.fresh("s"), self.fresh("i")
        self.define_scalar(s)
        init = self.pick(["0", "0.0", "np.float32(0)", "np.int64(1)", "False"])
        step = self.pick([f"{s} + x[{i}]", f"{s} * 0.5 + q[{i}]", f"{s} + x[{i}] * 0.25", f"{s} + {i}"])
        bound = self.bound()
        if not bound.startswith(("n", "min", "int(q.shape")):  # a traced trip count: the first step runs as a
            init = self.pick(["0.0", "np.float64(0)"])      # traced `if`, its type taken by both branches
            step = self.pick([f"{s} * 0.5 + q[{i}]", f"{s} + y[{i}]", f"{s} + {i}"])  # (so: float64 whatever x is)
        return [f"{s} = {init}", f"for {i} in range({bound}):", f"    {s} = {step}"]

    def b_while_scatter(self) -> list[str]:
        out, k = self.fresh("v"), self.fresh("k")
        self.define_vector(out)
        return [f"{out} = np.zeros(n)", f"{k} = 0", f"while {k} < n and {out}.sum() < {self.pick(['20.0', '1e9'])}:",
                f"    {out}[{k}] = np.abs(x[{k}]) + {k}", f"    {k} += 1"]

    def b_nested_break(self) -> list[str]:
        s, i, j = self.fresh("s"), self.fresh("i"), self.fresh("j")
        self.define_scalar(s)
        return [f"{s} = np.float64(0.0)", f"for {i} in range(n):", f"    for {j} in range(n):",
                f"        if A[{i}, {j}] > {self.pick(THRESHOLDS)}:", "            break",
                f"        {s} = {s} + A[{i}, {j}]", f"    if {s} > {self.pick(['10.0', '40.0'])}:", "        break"]

    def b_inplace_arg(self) -> list[str]:
        i = self.fresh("i")
        return self.pick([
            [f"for {i} in range(n):", f"    y[{i}] = y[{i}] * 0.5 + x[{i}]"],
            [f"for {i} in range(1, n):", f"    y[{i}] = y[{i} - 1] + y[{i}]"],
            [f"for {i} in range(n):", f"    if x[{i}] > 0:", f"        A[{i}, :] = A[{i}, :] * 2.0"],
        ])


def _arrays(rng, call_sizes: list[int], seed: int) -> list[list[dict]]:
    xd = str(rng.choice(list(XDTYPES), p=np.array(list(XDTYPES.values()), float) / sum(XDTYPES.values())))
    fill = "int" if rng.random() < 0.75 else "normal"
    edges = 0.1 if fill == "normal" and rng.random() < 0.3 else 0.0  # NaN, inf, -0.0 ... (exact decisions)
    xlayout = str(rng.choice(["C", "C", "C", "neg", "step", "F"]))
    ad = "float64" if rng.random() < 0.85 else "float32"
    layout = str(rng.choice(["C", "C", "C", "F", "neg", "step"]))
    specs = []
    for call, n in enumerate(call_sizes):
        s = seed * 10 + call
        specs.append([
            {"kind": "array", "dtype": xd, "shape": [n], "layout": xlayout, "fill": fill, "edges": edges, "seed": s},
            {"kind": "array", "dtype": "float64", "shape": [n], "layout": "C", "fill": fill, "edges": edges,
             "seed": s + 1000},
            {"kind": "array", "dtype": ad, "shape": [n, n], "layout": layout, "fill": fill, "edges": edges,
             "seed": s + 2000},
            {"kind": "array", "dtype": "int64", "shape": [n], "layout": "C", "fill": "int", "edges": 0.0,
             "seed": s + 3000},
        ])
    return specs


def leaf_bounds(value, loose: bool = False) -> list:
    """A bound per leaf: 0 for exact kinds, else relative to the leaf's finite magnitude (``loose``:
    float32's for every float leaf, where float32 arguments hold non-integer values: their sums
    round in an order that is not NumPy's, and a float64 leaf computed from one inherits that)."""
    leaves, _ = harness.flatten(value)
    out = []
    for _, leaf in leaves:
        a = np.asarray(leaf)
        if a.dtype.kind not in "fc":
            out.append(0)
            continue
        finite = np.abs(a[np.isfinite(a)]) if a.size else np.zeros(0)
        rel = 1e-9 if (a.dtype.itemsize >= 8 and a.dtype.kind == "f" or a.dtype.itemsize >= 16) and not loose else 2e-4
        out.append(float(rel * (1.0 + (float(finite.max()) if finite.size else 0.0))) * 64)
    return out


def _may_overflow(a) -> bool:
    """A float argument holding finite values near its dtype's max (edge values): partial sums
    overflow, and NumPy's order of the terms (not its contract) decides inf, -inf or NaN."""
    a = np.asarray(a)
    if a.dtype.kind != "f" or not a.size:
        return False
    finite = np.abs(a[np.isfinite(a)])
    return bool(finite.size) and float(finite.max()) > float(np.finfo(a.dtype).max) / 4


def eager_rows(f, spec_lists: list, bounds, before_call=None) -> list | None:
    """Per spec list: ``f`` called eagerly on its arguments, the bounds of the result's leaves
    (``bounds(result, args)``) and of the arguments (an empty row where eager raises: the jit must
    raise alike); ``before_call(specs)`` runs before each call. None when eager fails everywhere."""
    rows, ok = [], 0
    for specs in spec_lists:
        args = harness.build_args(specs)
        if before_call is not None:
            before_call(specs)
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                res = f(*args)
        except Exception:  # noqa: BLE001 - eager raises on this call: the jit must raise alike
            rows.append({"out": [], "args": [None] * len(args)})
            continue
        ok += 1
        rows.append({"out": bounds(res, args), "args": [(leaf_bounds(a) or [None])[0] for a in args]})
    return rows if ok else None


def _cf_bounds(res, args: list) -> list:
    loose = any(np.asarray(a).dtype == np.float32 and not np.array_equal(a, np.round(a)) for a in args)
    out = leaf_bounds(res, loose)
    if any(_may_overflow(a) for a in args):  # which of inf, -inf, NaN a sum gives depends on its order
        out = [None] * len(out)
    return out


def expect_of(p: CFProgram) -> list | None:
    """Per call: bounds of the result's leaves and of the arguments; None when eager fails everywhere."""
    scope: dict = {"np": np, **sciops.SCOPE}
    exec(compile(p.function_source(), "<cfgen>", "exec"), scope)  # noqa: S102 - the generated program
    return eager_rows(scope["f"], p.specs, _cf_bounds)


def generate_cf(seed: int) -> CFProgram:
    """A random control-flow program, deterministic in ``seed``."""
    rng = np.random.default_rng([seed, 16])
    for _ in range(30):
        n0 = int(rng.choice(SIZES)) if rng.random() > 0.04 else 0
        n1 = int(rng.choice([s for s in SIZES if s != n0]))
        gen = _Gen(rng)
        blocks = [gen.block() for _ in range(int(rng.integers(1, 5)))]
        p = CFProgram(seed, _arrays(rng, [n0, n1, n0], seed), blocks, _returns(gen, rng))
        p.expect = expect_of(p) or []
        if p.expect:
            return p
    raise RuntimeError(f"seed {seed}: no control-flow program")


def _returns(gen: _Gen, rng) -> list[str]:
    names = gen.defined[-3:] or ["x.sum()"]
    if rng.random() < 0.06:  # a return from inside nested loops or a while
        return gen.returns_early(names)
    if rng.random() < 0.08:  # a return from inside a loop
        v = gen.pick(THRESHOLDS)
        return ["for r in range(n):", f"    if y[r] > {v}:", f"        return {names[-1]}, r",
                f"return {names[-1]}, -1"]
    return ["return " + ", ".join(names) + ("," if len(names) == 1 else "")]


def minimize_cf(p: CFProgram, fails, deadline_ok) -> CFProgram:
    """Drop blocks and body lines while ``fails(candidate)`` (the minimizer's unit test)."""
    best = p
    changed = True
    while changed and deadline_ok():
        changed = False
        for k in reversed(range(len(best.blocks))):
            if k >= len(best.blocks) or not deadline_ok():
                continue
            q = _variant(best, best.blocks[:k] + best.blocks[k + 1:])
            if q is not None and fails(q):
                best, changed = q, True
        for k, block in enumerate(best.blocks):
            for j in range(1, len(block)):
                if changed or not deadline_ok():
                    break
                if any(line.lstrip().startswith("while ") for line in block):
                    break  # (a bounded `while` stays bounded: its block goes whole or not at all)
                q = _variant(best, best.blocks[:k] + [block[:j] + block[j + 1:]] + best.blocks[k + 1:])
                if q is not None and fails(q):
                    best, changed = q, True
    return best


def _variant(p: CFProgram, blocks: list[list[str]]) -> CFProgram | None:
    q = CFProgram(p.seed, p.specs, blocks, p.ret, p.arg_names)
    try:
        compile(q.function_source(), "<cfgen>", "exec")
        q.expect = expect_of(q) or []
    except Exception:  # noqa: BLE001 - the variant no longer parses or runs
        return None
    return q if q.expect and math.isfinite(len(q.expect)) else None


def is_cf_seed(seed: int) -> bool:
    """Whether a campaign's program of this seed is a control-flow program (one in three)."""
    return seed % 3 == 2


def generate_any(seed: int):
    """The program of a campaign seed: a control-flow program or a statement program."""
    from tests.fuzz.program import generate
    return generate_cf(seed) if is_cf_seed(seed) else generate(seed)
