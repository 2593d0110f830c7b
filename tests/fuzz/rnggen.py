"""Programs drawing random numbers (issue 17): ``np.random.Generator`` arguments, generators in a
list argument, a generator captured from the module's globals, and programs that run eagerly
as a whole (the whole-function fallback), as Python source.

Like ``cfgen.py`` the programs are drawn from templates and the eager result is the reference
(a bound relative to each float leaf's magnitude). Draws are bit-exact: the same seeds give
the same streams eagerly and under the jit, so the harness also compares every generator's
state after each call (arguments, list members and the captured one, which it resets before
each run: ``harness.reset_captured``). Each draw statement picks a source (``rng``, ``gens[0]``,
``gens[1]``, ``G``) and a form: a method (``standard_normal``, ``random``, ``integers``,
``normal`` with array parameters, ``uniform``, ``permutation``, ``choice``, ``shuffle`` of a
copy, ``exponential``), an unbound method (``np.random.Generator.random(g, n)``), a SciPy
function given it as ``random_state=`` (``--weight scipy=W`` > 0 only), draws in a ``for``
loop, under an ``if`` on data and in a bounded ``while``. Some programs draw through an object
the conversion does not enter (``HOLD.draw(n)``: refused, so the function runs eagerly) or make
an array sized by the data (``np.ones(int(...))``): both run the whole function eagerly, whose
numbers and final states must still be eager's. ``--random`` runs a campaign of these alone.
"""
from __future__ import annotations

import numpy as np

from tests.fuzz import harness, sciops
from tests.fuzz.cfgen import CFProgram, eager_rows, leaf_bounds
from tests.fuzz.ops import GROUP_WEIGHTS

SIZES = [1, 2, 3, 5, 8, 17]
SOURCES = ["rng", "gens[0]", "gens[1]", "G"]
HOLDER = '''

class Holder:
    """Draws through a method: code the conversion does not enter."""

    def __init__(self, gen):
        self.gen = gen

    def draw(self, n):
        return self.gen.random(n)


G = np.random.default_rng(0)  # captured: reset to its call's seed before each run (harness.reset_captured)
HOLD = Holder(G)
'''

# a draw of n values from generator {g} (as an expression of x, y and n)
DRAWS = [
    "{g}.standard_normal(n)", "{g}.random(n) * y", "{g}.integers(-5, 6, size=n) + x", "{g}.normal(loc=x, scale=2.0)",
    "{g}.uniform(-1.0, 1.0, size=x.shape) * y", "{g}.permutation(x)", "{g}.choice(y, size=n)",
    "{g}.exponential(size=n).cumsum()", "np.random.Generator.random({g}, n) - x", "{g}.random((n, 2)).sum(axis=1)",
    "{g}.integers(0, n, size=n).astype(np.float64) * {g}.random()",
]
SCIPY_DRAWS = ["scipy.stats.norm.rvs(size=n, random_state={g}) + x",
               "scipy.stats.uniform.rvs(loc=-1.0, scale=2.0, size=n, random_state={g}) * y"]


class RandomProgram(CFProgram):
    """A program of this module: a control-flow program's rendering plus the holder class and ``G``."""

    def module_source(self, header: str = "") -> str:
        """The standalone script, with ``Holder``, ``HOLD`` and ``G`` defined before ``f``."""
        src = super().module_source(header)
        cut = src.index("\n\n\ndef f(")
        return src[:cut] + HOLDER + src[cut:]


class _Gen:
    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.k = 0
        self.defined: list[str] = []
        self.draws = DRAWS + (SCIPY_DRAWS if GROUP_WEIGHTS.get("scipy", 0) > 0 else [])

    def fresh(self) -> str:
        self.k += 1
        return f"v{self.k}"

    def draw(self) -> str:
        return str(self.rng.choice(self.draws)).format(g=str(self.rng.choice(SOURCES)))

    def mix(self) -> str:
        """An expression of length n: a draw, maybe combined with a value defined before."""
        d = self.draw()
        if self.defined and self.rng.random() < 0.5:
            return f"{self.defined[int(self.rng.integers(len(self.defined)))]} {self.rng.choice(['+', '*', '-'])} {d}"
        return d

    def block(self) -> list[str]:
        v = self.fresh()
        kind = self.rng.choice(["plain", "plain", "plain", "for", "if", "while", "shuffle", "hold", "sized"],
                               p=[0.25, 0.15, 0.1, 0.12, 0.1, 0.08, 0.08, 0.06, 0.06])
        if kind == "for":
            lines = [f"{v} = np.zeros(n)", f"for i in range({int(self.rng.integers(1, 4))}):",
                     f"    {v} = {v} + {self.mix()}"]
        elif kind == "if":
            lines = [f"if {self.rng.choice(['x', 'y'])}.sum() > {self.rng.choice(['0.37', '-1.3', '2.6'])}:",
                     f"    {v} = {self.mix()}", "else:", f"    {v} = x * 2.0"]
        elif kind == "while":
            lines = [f"{v} = y.copy()", "k = 0", f"while k < 3 and {v}.sum() < 40.0:",
                     f"    {v} = {v} + np.abs({self.draw()})", "    k += 1"]
        elif kind == "shuffle":
            lines = [f"{v} = x.copy()", f"{self.rng.choice(SOURCES)}.shuffle({v})"]
        elif kind == "hold":  # refused (drawn while tracing, through an object): the whole function runs eagerly
            lines = [f"{v} = HOLD.draw(n) + {self.mix()}"]
        elif kind == "sized":  # an array sized by the data: the whole function runs eagerly
            lines = [f"{v} = np.ones(int((x > 0).sum()) + 1)[:1] * {self.mix()}"]
        else:
            lines = [f"{v} = {self.mix()}"]
        self.defined.append(v)
        return lines


def _specs(rng: np.random.Generator, seed: int) -> list:
    sizes = [int(rng.choice(SIZES)) for _ in range(2)]
    specs = []
    for call, n in enumerate(sizes + sizes[:1]):
        s = seed * 10 + call
        specs.append([
            {"kind": "array", "dtype": "float64", "shape": [n], "layout": "C", "fill": "int", "edges": 0.0,
             "seed": s + 1},
            {"kind": "array", "dtype": "float64", "shape": [n], "layout": str(rng.choice(["C", "neg", "step"])),
             "fill": "normal", "edges": 0.0, "seed": s + 2},
            {"kind": "generator", "seed": s + 3},
            {"kind": "generators", "seeds": [s + 4, s + 5]},
            {"kind": "captured", "name": "G", "seed": s + 6},
        ])
    return specs


def _expect(p: RandomProgram) -> list | None:
    scope: dict = {"np": np, **sciops.SCOPE}
    exec(compile(p.module_source(), "<rnggen>", "exec"), scope)  # noqa: S102 - the generated program
    f = scope["f"]
    return eager_rows(f, p.specs, lambda res, args: leaf_bounds(res),
                      lambda specs: harness.reset_captured(f, specs))


def generate_random(seed: int) -> RandomProgram:
    """A random program drawing random numbers, deterministic in ``seed``."""
    rng = np.random.default_rng([seed, 17])
    for _ in range(30):
        gen = _Gen(rng)
        blocks = [gen.block() for _ in range(int(rng.integers(1, 5)))]
        names = gen.defined[-2:]
        if rng.random() < 0.3:
            names.append(f"{rng.choice(SOURCES)}.random()")
        p = RandomProgram(seed, _specs(rng, seed), blocks, ["return " + ", ".join(names)],
                          ["x", "y", "rng", "gens"])
        p.expect = _expect(p) or []
        if p.expect:
            return p
    raise RuntimeError(f"seed {seed}: no random program")
