"""Random differentiable programs for the autodiff fuzzer (``python -m tests.fuzz --grad``).

A program is the source of ``def f(x, y):`` written as users write NumPy: elementwise math
(with kinks: ``where``/``maximum``/``abs``/``clip``/``power``), reductions, broadcasting,
``matmul``/``einsum``/``dot``, views and slices (negative steps), ``concatenate``/``stack``,
fancy and boolean indexing, in-place writes, ``cumsum``/``sort``, ``np.linalg``, rolled
Python loops, ``tj.fori_loop``/``tj.while_loop``/``tj.cond`` and ``if`` on data, reduced to a
scalar. Each variable's shape is tracked so every statement is well-formed.
``tests/fuzz/adcheck.py`` differentiates it and compares with finite differences and JAX.

Kinds (``KINDS``): ``f64`` (float64 arguments, first derivatives), ``f32`` (the same programs with
float32 arguments and float32 constants: ``np.eye``/``np.arange`` given ``dtype=np.float32``),
``complex`` (complex128 ``x``, ``y`` complex or real: the ops tracejit differentiates on complex
values, comparisons on ``.real``, a real result) and ``hvp`` (float64 programs, second derivatives:
``tests/fuzz/adsecond.py``).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np

UNARY = ["np.sin({0})", "np.cos({0})", "np.tanh({0})", "np.exp(np.tanh({0}))", "np.log({0} * {0} + 1.0)",
         "np.sqrt({0} * {0} + 0.5)", "np.abs({0})", "{0} ** 2", "{0} ** 3", "np.power({0} * {0} + 1.0, 1.5)",
         "np.arctan({0})", "1.0 / (1.0 + np.exp(-{0}))", "np.clip({0}, -0.5, 0.5)", "np.maximum({0}, 0.1)",
         "np.minimum({0}, -0.2)", "np.square({0})", "np.expm1(np.tanh({0}))", "np.log1p({0} * {0})",
         "np.sinh(np.tanh({0}))", "np.cosh(np.tanh({0}))", "-{0}", "np.abs({0}) ** 1.5", "np.exp(-{0} * {0})",
         "np.arcsin(np.tanh({0}) * 0.9)", "np.reciprocal({0} * {0} + 1.0)", "np.sign({0}) * {0} * {0}",
         "{0}.clip(-1.0, 1.0)", "np.fmax({0}, 0.0)", "np.cbrt({0} * {0} + 1.0)", "np.log2({0} * {0} + 1.0)",
         "np.exp2(np.tanh({0}))", "np.maximum({0}, 0.0)"]
BINARY = ["{0} + {1}", "{0} - {1}", "{0} * {1}", "{0} / ({1} * {1} + 1.0)", "np.maximum({0}, {1})",
          "np.minimum({0}, {1})", "np.where({0} > {1}, {0} * {1}, {0} - {1})", "np.hypot({0}, {1})",
          "np.logaddexp({0}, {1})", "np.arctan2({0}, {1} * {1} + 0.5)", "np.power(np.abs({0}) + 0.5, {1})",
          "np.where({1} > 0, {0}, 0.5 * {1})", "np.multiply({0}, np.tanh({1}))", "({0} - {1}) ** 2",
          "np.clip({0}, -np.abs({1}), np.abs({1}))", "np.abs({0}) ** 2.5 * {1}", "{0} ** 2 / (1.0 + {1} ** 2)"]
REDUCE = ["np.sum({0}{ax})", "np.mean({0}{ax})", "np.var({0}{ax})", "np.std({0}{ax})", "np.max({0}{ax})",
          "np.min({0}{ax})", "np.prod(0.5 * np.tanh({0}) + 1.0{ax})", "{0}.sum({axk})", "{0}.mean({axk})",
          "np.amax({0}{ax})", "{0}.max({axk})", "np.linalg.norm({0}{ax})",
          "np.prod(np.where({0} > 0.5, 0.0, {0}){ax})", "np.max(np.stack([{0}, {0}]), axis=0).sum({axk})"]
# complex values: what tracejit differentiates natively (var/std/norm/prod/cumsum/sort/einsum/inner/outer/
# linalg of complex values are host calls, not differentiable; z[mask] is refused)
UNARY_C = ["np.sin({0})", "np.cos({0})", "np.tanh({0})", "np.exp({0} * 0.5)", "np.exp(1j * {0})",
           "np.log({0} * {0} + 2.0)", "np.sqrt({0} * {0} + 2.0)", "np.abs({0})", "{0} ** 2", "{0} ** 3",
           "np.square({0})", "np.conj({0})", "{0}.conj()", "{0}.real", "{0}.imag", "np.real({0})", "np.imag({0})",
           "-{0}", "1j * {0}", "{0} * (0.5 - 0.25j)", "np.reciprocal({0} * {0} + 2.0)", "np.abs({0}) ** 2",
           "np.sinh({0} * 0.5)", "np.cosh({0} * 0.5)", "np.expm1({0} * 0.5)", "np.log1p({0} * 0.5)",
           "np.angle({0} + 2.0)", "np.abs({0}) ** 1.5", "{0} / (np.abs({0}) + 1.0)", "np.arctan({0} * 0.5)",
           "np.arcsin({0} * 0.5)", "np.power({0} * {0} + 2.0, 1.5)", "np.tan({0} * 0.5)",
           "np.log10({0} * {0} + 2.0)", "np.exp2({0} * 0.5)", "{0} ** -2 * 0.1", "1.0 / ({0} + 2.0)",
           "{0} ** (0.5 + 0.25j)", "np.sqrt({0})"]
BINARY_C = ["{0} + {1}", "{0} - {1}", "{0} * {1}", "{0} / ({1} * {1} + 2.0)", "{0} * np.conj({1})",
            "np.where({0}.real > {1}.real, {0} * {1}, {0} - {1})", "({0} - {1}) ** 2", "{0} + 1j * {1}",
            "np.multiply({0}, np.sin({1}))", "np.abs({0}) * {1}", "{0}.real * {1}.imag", "{0} / ({1} + 2.0)",
            "np.where(np.abs({0}) > np.abs({1}), {0}, {1} * 0.5)", "np.power({0} + 2.0, {1} * 0.5)"]
REDUCE_C = ["np.sum({0}{ax})", "np.mean({0}{ax})", "{0}.sum({axk})", "{0}.mean({axk})", "np.max(np.abs({0}){ax})",
            "np.abs({0}).min({axk})", "np.sum(np.abs({0}) ** 2{ax})"]
KINDS = ("f64", "f32", "complex", "hvp")


@dataclass
class ADProgram:
    """A generated program: its body lines, its input shapes and what it uses."""
    seed: int
    lines: list[str]
    shapes: dict[str, tuple]
    features: set[str] = field(default_factory=set)
    jaxable: bool = True
    dtypes: dict[str, str] = field(default_factory=dict)  # argument -> dtype name (float64 when absent)
    kind: str = "f64"

    def function_source(self) -> str:
        """``def f(x, y): ...`` (needs ``np`` and ``tj`` in its module)."""
        return "def f(" + ", ".join(self.shapes) + "):\n" + "".join("    " + ln + "\n" for ln in self.lines)

    def module_source(self) -> str:
        """An importable module defining ``f`` and ``SHAPES``."""
        return (f'"""autodiff fuzz program, seed {self.seed}: {", ".join(sorted(self.features))}"""\n'
                "import numpy as np\n\nimport tracejit as tj\n\n"
                f"SHAPES = {self.shapes!r}\nJAXABLE = {self.jaxable!r}\nDTYPES = {self.dtypes!r}\n"
                f"KIND = {self.kind!r}\n\n\n" + self.function_source())


class Gen:
    """Emits statements over a pool of named arrays of known shapes (float64 unless ``kind`` says)."""

    def __init__(self, seed: int, kind: str = "f64"):
        self.r = random.Random(seed)
        self.seed = seed
        self.kind = kind
        self.cplx = kind == "complex"
        rows, cols = self.r.choice([2, 3, 4]), self.r.choice([3, 4, 5])
        self.shapes = {"x": (rows, cols), "y": (cols,)}
        self.dtypes = {"x": "float32", "y": "float32"} if kind == "f32" else {}
        if self.cplx:
            self.dtypes = {"x": "complex128", "y": "complex128" if self.r.random() < 0.7 else "float64"}
        self.dt = ", dtype=np.float32" if kind == "f32" else ""  # (float32 constants keep float32 values)
        self.vars: dict[str, tuple] = dict(self.shapes)
        self.lines: list[str] = []
        self.features: set[str] = set()
        self.jaxable = True
        self.n = 0

    # -- pool -----------------------------------------------------------------------------------
    def new(self, expr: str, shape: tuple, feature: str) -> str:
        name = f"v{self.n}"
        self.n += 1
        self.lines.append(f"{name} = {expr}")
        self.vars[name] = tuple(shape)
        self.features.add(feature)
        return name

    def pick(self, pred=lambda s: True, avoid: str | None = None) -> str | None:
        names = [n for n, s in self.vars.items() if pred(s)]
        if avoid is not None and len(names) > 1 and self.r.random() < 0.9:
            names.remove(avoid) if avoid in names else None
        if not names:
            return None
        recent = names[-3:]  # prefer recent values: deeper chains
        return self.r.choice(recent if self.r.random() < 0.6 else names)

    def broadcast_partner(self, shape: tuple, avoid: str | None = None) -> str | None:
        def fits(s):
            if len(s) > len(shape):
                return False
            return all(b in (1, a) for a, b in zip(shape[::-1], s[::-1]))
        return self.pick(fits, avoid)

    def re(self, a: str) -> str:
        """``a`` where it is compared: its real part for complex programs."""
        return f"{a}.real" if self.cplx else a

    # -- statements -----------------------------------------------------------------------------
    def unary(self) -> bool:
        a = self.pick()
        self.new(self.r.choice(UNARY_C if self.cplx else UNARY).format(a), self.vars[a], "elementwise")
        return True

    def binary(self) -> bool:
        a = self.pick()
        b = self.broadcast_partner(self.vars[a], a)
        if self.r.random() < 0.5:
            a, b = b, a
        sa, sb = self.vars[a], self.vars[b]
        shape = tuple(int(d) for d in np.broadcast_shapes(sa, sb))
        self.new(self.r.choice(BINARY_C if self.cplx else BINARY).format(a, b), shape,
                 "broadcast" if sa != sb else "elementwise")
        return True

    def reduce(self) -> bool:
        a = self.pick(lambda s: len(s) >= 1)
        if a is None:
            return False
        s = self.vars[a]
        axis = self.r.choice([None] + list(range(-len(s), len(s))))
        keep = self.r.random() < 0.3
        form = self.r.choice(REDUCE_C if self.cplx else REDUCE + ["lse"])
        if axis is None:
            out = (1,) * len(s) if keep else ()
        else:
            out = tuple(1 if i == axis % len(s) else d for i, d in enumerate(s)) if keep else \
                tuple(d for i, d in enumerate(s) if i != axis % len(s))
        kw = "" if axis is None else f"axis={axis}"
        kw += (", " if kw else "") + "keepdims=True" if keep else ""
        if form == "lse":  # logsumexp written by hand
            m = f"np.max({a}, axis={axis}, keepdims=True)"
            expr = f"np.log(np.sum(np.exp({a} - {m}), axis={axis}, keepdims=True)) + {m}"
            if not keep:
                expr = f"({expr}).reshape({out!r})"
            self.new(expr, out, "logsumexp")
            return True
        self.new(form.format(a, ax=(", " + kw) if kw else "", axk=kw), out, "reduce")
        return True

    def shape_op(self) -> bool:
        a = self.pick(lambda s: len(s) >= 1)
        s = self.vars[a]
        opts = [(f"{a}[::-1]", s), (f"{a}.reshape(-1)", (prod(s),)), (f"{a}[None]", (1,) + s),
                (f"np.flip({a}, axis=-1)" if not self.cplx else f"{a}[..., ::-1]", s),
                (f"np.expand_dims({a}, -1)", s + (1,)), (f"{a}.ravel()", (prod(s),))]
        if s[0] >= 2:
            opts += [(f"{a}[1:]", (s[0] - 1,) + s[1:]), (f"{a}[::2]", ((s[0] + 1) // 2,) + s[1:]),
                     (f"{a}[::-2]", ((s[0] + 1) // 2,) + s[1:]), (f"{a}[-2::-1]", (s[0] - 1,) + s[1:])]
        if len(s) == 2:
            opts += [(f"{a}.T", s[::-1]), (f"np.transpose({a})", s[::-1]), (f"{a}.reshape({s[1]}, {s[0]})", s[::-1]),
                     (f"{a}[:, ::-2]", (s[0], (s[1] + 1) // 2)), (f"{a}[0]", s[1:]), (f"{a}[:, -1]", s[:1]),
                     (f"{a}[..., None] * {a}[:, None, :]", (s[0], s[1], s[1])), (f"np.swapaxes({a}, 0, 1)", s[::-1])]
            if s[1] >= 3:
                opts.append((f"{a}[:, 1:-1]", (s[0], s[1] - 2)))
        if len(s) == 3:
            opts += [(f"{a}.sum(axis=1)", (s[0], s[2])), (f"np.moveaxis({a}, 0, -1)", s[1:] + s[:1]),
                     (f"{a}.reshape({s[0]}, -1)", (s[0], s[1] * s[2])), (f"{a}[:, 0, :]", (s[0], s[2]))]
        if len(s) == 1:
            b = self.pick(lambda t: len(t) == 1)
            opts.append((f"{a}[:, None] * {b}[None, :]", (s[0], self.vars[b][0])))
        expr, shape = self.r.choice(opts)
        self.new(expr, shape, "view")
        return True

    def linear(self) -> bool:
        a = self.pick(lambda s: len(s) in (1, 2))
        s = self.vars[a]
        opts = []
        for b, t in self.vars.items():
            if len(s) == 2 and len(t) == 1 and t[0] == s[1]:
                opts += [(f"{a} @ {b}", s[:1]), (f"np.dot({a}, {b})", s[:1]),
                         (f"np.einsum('ij,j->i', {a}, {b})", s[:1])]
            if len(s) == 2 and len(t) == 2 and t[0] == s[1]:
                opts += [(f"{a} @ {b}", (s[0], t[1])), (f"np.matmul({a}, {b})", (s[0], t[1]))]
            if len(s) == 2 and t == s:
                opts += [(f"np.einsum('ij,ij->i', {a}, {b})", s[:1]),
                         (f"np.einsum('ij,kj->ik', {a}, {b})", (s[0], s[0])),
                         (f"{a} @ {b}.T", (s[0], s[0]))]
            if len(s) == 1 and t == s:
                opts += [(f"np.dot({a}, {b})", ()), (f"np.einsum('i,i->', {a}, {b})", ()), (f"np.inner({a}, {b})", ())]
            if len(s) == 1 and len(t) == 1:
                opts.append((f"np.outer({a}, {b})", (s[0], t[0])))
            if len(s) == 1 and len(t) == 2 and t[0] == s[0]:
                opts.append((f"{a} @ {b}", t[1:]))
        if len(s) == 2:
            opts.append((f"{a} @ {a}.T", (s[0], s[0])))
        if self.cplx:  # (host calls for complex values)
            opts = [o for o in opts if not any(w in o[0] for w in ("einsum", "inner", "outer"))]
        if not opts:
            return False
        expr, shape = self.r.choice(opts)
        self.new(expr, shape, "matmul")
        return True

    def join(self) -> bool:
        a = self.pick(lambda s: len(s) >= 1)
        s = self.vars[a]
        b = self.pick(lambda t: t == s, a)
        ax = self.r.randrange(len(s))
        if self.r.random() < 0.5:
            shape = tuple(2 * d if i == ax else d for i, d in enumerate(s))
            self.new(f"np.concatenate([{a}, np.sin({b})], axis={ax})", shape, "concatenate")
        else:
            ax = self.r.randrange(len(s) + 1)
            self.new(f"np.stack([{a}, {b} * 0.5], axis={ax})", s[:ax] + (2,) + s[ax:], "stack")
        return True

    def index(self) -> bool:
        a = self.pick(lambda s: len(s) >= 1)
        s = self.vars[a]
        n = s[0]
        idx = [self.r.randrange(-n, n) for _ in range(self.r.randint(1, 5))]
        opts = [(f"{a}[{idx}]", (len(idx),) + s[1:]), (f"{a}[np.array({idx})]", (len(idx),) + s[1:])]
        if not self.cplx:  # (np.take and np.flip of complex values are host calls)
            opts.append((f"np.take({a}, {idx}, axis=0)", (len(idx),) + s[1:]))
        if len(s) == 2:
            jdx = [self.r.randrange(-s[1], s[1]) for _ in idx]
            opts += [(f"{a}[{idx}, {jdx}]", (len(idx),)), (f"{a}[:, {jdx}]", (n, len(jdx)))]
        b = self.pick(lambda t: t == s)
        opts += [(f"np.sum({a}[{b} > 0.1] ** 2)", ())] if not self.cplx else []  # (z[mask] is refused)
        opts.append((f"np.where({self.re(b)} > 0, {a}, 0.0)", s))
        expr, shape = self.r.choice(opts)
        self.new(expr, shape, "boolean-index" if "> 0.1]" in expr else "gather")
        return True

    def scan(self) -> bool:
        if self.cplx:  # (host calls for complex values)
            return False
        a = self.pick(lambda s: len(s) >= 1)
        s = self.vars[a]
        ax = self.r.randrange(len(s))
        expr = self.r.choice([f"np.cumsum({a}, axis={ax})", f"np.sort({a}, axis={ax})", f"np.sort({a})[..., ::-1]",
                              f"{a}.cumsum(axis={ax})", f"np.cumsum({a}.reshape(-1))"])
        self.new(expr, (prod(s),) if "reshape(-1))" in expr else s, "sort" if "sort" in expr else "cumsum")
        return True

    def inplace(self) -> bool:
        a = self.pick(lambda s: len(s) >= 1)
        s = self.vars[a]
        copies = [f"{a} + 0j", f"np.array({a}, dtype=np.complex128)"] if self.cplx else \
            [f"{a}.copy()", f"{a} * 1.0", f"np.array({a})"]
        c = self.new(self.r.choice(copies), s, "inplace")
        n = s[0]
        targets = [(f"{c}[0]", s[1:]), (f"{c}[-1]", s[1:])]
        if n >= 2:
            targets += [(f"{c}[1:]", (n - 1,) + s[1:]), (f"{c}[::2]", ((n + 1) // 2,) + s[1:]),
                        (f"{c}[[0, {n - 1}]]", (2,) + s[1:]), (f"{c}[[0, 0]]", (2,) + s[1:])]
        if len(s) == 2:
            targets += [(f"{c}[:, -1]", (n,)), (f"{c}[..., ::-1]", s)]
        targets.append((f"{c}[{self.re(c)} > 0.2]", None))  # a boolean mask: scalar right-hand sides only
        target, shape = self.r.choice(targets)
        rhs = self.pick(lambda t: t == () or (shape is not None and t == shape))
        if rhs is None:
            rhs = self.new(f"np.sum({a}) * 0.1", (), "reduce")
        op = self.r.choice(["+=", "-=", "*=", "="])
        value = f"np.tanh({rhs})" if op == "*=" else f"np.sin({rhs})"
        self.lines.append(f"{target} {op} {value}")
        self.jaxable = False
        return True

    def linalg(self) -> bool:
        a = self.pick(lambda s: len(s) == 2 and min(s) >= 2)
        if a is None or self.cplx:  # (host calls for complex values)
            return False
        k = min(self.vars[a])
        sq = f"{a}[:{k}, :{k}]"
        spd = self.r.random() < 0.6
        eye = f"{k}.0 * np.eye({k}{self.dt})"
        m = self.new(f"{sq} @ {sq}.T + {eye}" if spd else f"{sq} + {eye}", (k, k), "linalg")
        v = self.pick(lambda t: t == (k,)) or self.new(f"{m}[:, 0] + 1.0", (k,), "view")
        opts = [(f"np.linalg.solve({m}, {v})", (k,)), (f"np.linalg.inv({m})", (k, k)), (f"np.linalg.det({m})", ()),
                (f"np.linalg.slogdet({m})[1]", ()), (f"np.linalg.solve({m}, {sq} @ {a}[:{k}])", (k, self.vars[a][1]))]
        if spd:
            opts.append((f"np.linalg.cholesky({m})", (k, k)))
        expr, shape = self.r.choice(opts)
        self.new(expr, shape, "linalg")
        return True

    def loop(self) -> bool:
        a = self.pick(lambda s: len(s) >= 1)
        s = self.vars[a]
        b = self.broadcast_partner(s)
        kind = self.r.choice(["for", "for-index", "for-write", "fori", "fori-index", "while", "cond", "if"])
        trips = self.r.randint(1, 4)
        c = f"v{self.n}"
        if kind == "for":
            self.new(f"{a} * 1.0", s, "python-loop")
            self.lines += [f"for i in range({trips}):", f"    {c} = np.sin({c}) * 0.9 + 0.1 * {b}"]
        elif kind == "for-index":
            self.new(f"{a}[0] * 1.0", s[1:], "python-loop")
            self.lines += [f"for i in range(1, {s[0]}):", f"    {c} = np.tanh({c}) * {a}[i] + {c}"]
        elif kind == "for-write":
            if s[0] < 2:
                return False
            self.new(f"{a}.copy()", s, "python-loop-write")
            self.lines += [f"for i in range(1, {s[0]}):", f"    {c}[i] = {c}[i - 1] * 0.5 + np.sin({c}[i])"]
            self.jaxable = False
        elif kind == "fori":
            self.new(f"tj.fori_loop(0, {trips}, lambda i, c: np.tanh(c) * 0.8 + 0.1 * {b}, {a})", s, "fori_loop")
        elif kind == "fori-index":
            self.new(f"tj.fori_loop(0, {s[0]}, lambda i, c: np.sin(c) + {a}[i], {a}[0] * 0.0)", s[1:], "fori_loop")
        elif kind == "while":
            bound = round(0.6 * prod(s), 2)
            stop = self.r.choice([f"s[0] < {trips}", f"(s[0] < 6) & (np.sum(np.abs(s[1])) < {bound})"])
            self.new(f"tj.while_loop(lambda s: {stop}, lambda s: (s[0] + 1, np.sin(s[1]) * 1.1 + 0.2 * {b}), "
                     f"(0, {a}))[1]", s, "while_loop")
            self.jaxable = False  # (JAX refuses reverse mode through while_loop)
        elif kind == "cond":
            test = self.re(f"np.sum({a})")
            self.new(f"tj.cond({test} > 0.1, lambda u: np.sin(u) * {b}, lambda u: u * u - {b}, {a})", s, "cond")
        else:
            self.lines += [f"if {self.re('np.sum(' + a + ')')} > 0.1:", f"    {c} = np.sin({a}) * {b}", "else:",
                           f"    {c} = {a} * {a} - {b}"]
            self.vars[c] = s
            self.n += 1
            self.features.add("if")
        return True

    def generate(self, steps: int) -> ADProgram:
        kinds = [(self.unary, 4), (self.binary, 4), (self.reduce, 2), (self.shape_op, 2), (self.linear, 1.5),
                 (self.join, 1), (self.index, 1.5), (self.scan, 1), (self.inplace, 1.5), (self.linalg, 1),
                 (self.loop, 1.5)]
        funcs, weights = zip(*kinds)
        done = 0
        while done < steps:
            if self.r.choices(funcs, weights)[0]():
                done += 1
        terms = [f"np.sum({v} * np.arange(1, {prod(s)} + 1{self.dt}).reshape({s!r}) / {prod(s)})"
                 for v, s in list(self.vars.items())[-1:]]
        if self.cplx:
            terms = [f"np.real({t[:-1]} * (1.0 - 0.5j)))" for t in terms]
        extra = [v for v in list(self.vars)[2:-1] if self.r.random() < 0.4]
        terms += [f"0.1 * np.sum(np.abs({v}) ** 2)" if self.cplx else f"0.1 * np.sum({v})" for v in extra]
        self.lines.append("return " + " + ".join(terms))
        return ADProgram(self.seed, self.lines, self.shapes, self.features, self.jaxable, self.dtypes, self.kind)


def prod(shape: tuple) -> int:
    """The number of elements of ``shape``."""
    n = 1
    for d in shape:
        n *= d
    return n


def generate_ad(seed: int, kind: str = "f64") -> ADProgram:
    """The autodiff program of ``seed`` (3 to 8 statements) for a kind of ``KINDS``."""
    gen = Gen(seed, kind)
    return gen.generate(gen.r.randint(3, 8))
