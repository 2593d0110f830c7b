"""A generated program: argument specs, statements, returns; rendering and replay.

``generate(seed)`` draws a program statement by statement, running each eagerly on every
call's inputs (``State``) and keeping it only if NumPy accepts it, then checks the
rendered source once more from fresh inputs. ``module_source()`` is a standalone script:
the harness, the specs, the expected error bounds, ``f``, and a ``__main__`` check.
"""
from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass, field

import numpy as np

from tests.fuzz import harness, sciops
from tests.fuzz.argspecs import make_specs
from tests.fuzz.exprgen import ExprGen
from tests.fuzz.stmtgen import StmtGen, gen_raising
from tests.fuzz.stmts import Raising, State, Stmt


@dataclass
class Program:
    """One random program and what is known about its values."""
    seed: int
    arg_names: list[str]
    specs: list                      # per call: the argument specs
    stmts: list[Stmt]
    returns: list[str]
    form: str = "tuple"              # single | tuple | list | dict
    expect: list = field(default_factory=list)  # per call: {"out": [err...], "args": [err...]}

    def return_src(self) -> str:
        if self.form == "single":
            return self.returns[0]
        if self.form == "list":
            return "[" + ", ".join(self.returns) + "]"
        if self.form == "dict":
            return "{" + ", ".join(f"{n!r}: {n}" for n in self.returns) + "}"
        return ", ".join(self.returns) + ("," if len(self.returns) == 1 else "")

    def function_source(self) -> str:
        lines = [f"def f({', '.join(self.arg_names)}):"]
        for stmt in self.stmts:
            lines += ["    " + line for line in stmt.lines()]
        lines.append(f"    return {self.return_src()}")
        return "\n".join(lines) + "\n"

    def module_source(self, header: str = "") -> str:
        extra = chr(10) + header if header else ""
        doc = f'"""tracejit fuzz program (seed {self.seed}).{extra}\n\nRun: python THIS_FILE\n"""\n'
        return (doc + "from __future__ import annotations\n\nimport numpy as np\n"
                + sciops.module_imports(self.function_source()) + "import tracejit as tj\n\n"
                + harness_body() + "\n\n# arguments of each call (built by build_args), then the error bound\n"
                + "# allowed for each returned leaf and argument (0: exact, None: not compared)\n"
                + "SPECS = " + _rows(self.specs) + "\nEXPECT = " + _rows(self.expect) + "\n\n\n"
                + self.function_source() + "\n\nif __name__ == \"__main__\":\n    main(f, SPECS, EXPECT)\n")


def _rows(rows: list) -> str:
    """One call per block, one argument spec per line."""
    out = ["["]
    for row in rows:
        if isinstance(row, list):
            out.append("    [")
            out += [f"        {item!r}," for item in row]
            out.append("    ],")
        else:
            out.append(f"    {row!r},")
    return "\n".join(out + ["]"])


_HARNESS: list[str] = []


def harness_body() -> str:
    """The harness module's code without its docstring and ``__future__`` import."""
    if not _HARNESS:
        src = inspect.getsource(harness)
        future = "from __future__ import annotations"
        _HARNESS.append(src[src.index(future) + len(future):].strip())
    return "# ---- harness (tests/fuzz/harness.py) ----\n" + _HARNESS[0] + "\n# ---- end of harness ----"


def replay(arg_names: list[str], specs: list, stmts: list[Stmt]) -> State:
    """The state after running ``stmts`` eagerly from fresh inputs (raises on failure)."""
    st = State(specs, arg_names)
    for stmt in stmts:
        stmt.analyze(st)
    return st


def compute_expect(p: Program, st: State) -> list:
    """Per call: error bounds of the returned leaves and of the arguments afterwards."""
    out = []
    for call in range(st.ncalls):
        out.append({"out": [st.errs[n][call] for n in p.returns],
                    "args": [st.errs[n][call] for n in p.arg_names]})
    return out


def _choose_returns(rng, p_stmts: list[Stmt], st: State, arg_names: list[str]) -> list[str]:
    defined = [n for n in st.order if n not in arg_names and n[0] == "v"]
    if not defined:
        return [arg_names[0]]
    used_later: set[str] = set()
    sinks = []
    for stmt in reversed(p_stmts):
        for name in sorted(stmt.defines()):
            if name in defined and name not in used_later and name not in sinks:
                sinks.append(name)
        used_later |= stmt.uses()
    checked = [n for n in defined if all(e is not None for e in st.errs[n])]
    pool = [n for n in sinks if n in checked] or checked or defined
    k = int(rng.choice([1, 2, 3], p=[.35, .45, .2]))
    chosen = pool[:k]
    if rng.random() < 0.3 and len(defined) > len(chosen):
        extra = [n for n in defined if n not in chosen]
        chosen.append(extra[int(rng.integers(len(extra)))])
    return chosen


def generate(seed: int, max_stmts: int = 12) -> Program:
    """A random program, deterministic in ``seed``."""
    warnings.simplefilter("ignore")
    np.seterr(all="ignore")
    rng = np.random.default_rng(seed)
    for _ in range(20):
        arg_names, specs = make_specs(rng, big=rng.random() < 0.12)
        try:
            st = State(specs, arg_names)
        except Exception:  # noqa: BLE001 - an impossible layout for these sizes
            continue
        program = _grow(rng, seed, arg_names, specs, st, int(rng.integers(2, max_stmts + 1)))
        if program is not None:
            return program
    raise RuntimeError(f"seed {seed}: no program")


def _grow(rng, seed: int, arg_names: list[str], specs: list, st: State, target: int) -> Program | None:
    eg = ExprGen(rng, st)
    sg = StmtGen(rng, eg)
    stmts: list[Stmt] = []
    for _ in range(target * 6):
        if len(stmts) >= target:
            break
        cand = sg.statement()
        if cand is None:
            continue
        try:
            cand.analyze(st)
            stmts.append(cand)
        except Exception:  # noqa: BLE001 - NumPy refused: back to the last good state
            eg.st = replay(arg_names, specs, stmts)
            st = eg.st
    if not stmts:
        return None
    if rng.random() < 0.05:
        last = gen_raising(sg, rng)
        if last is not None:
            stmts.append(last)
    returns = _choose_returns(rng, stmts, st, arg_names)
    form = "single" if len(returns) == 1 and rng.random() < 0.6 else str(rng.choice(["tuple", "tuple", "list", "dict"]))
    program = Program(seed, arg_names, specs, stmts, returns, form)
    program.expect = compute_expect(program, st)
    return program if check_rendered(program, st) else None


def check_rendered(p: Program, st: State) -> bool:
    """The rendered function, run eagerly from fresh inputs, gives the state's values."""
    import tracejit as tj
    scope = {"np": np, "tj": tj, **sciops.SCOPE}
    try:
        exec(compile(p.function_source(), "<fuzz>", "exec"), scope)  # noqa: S102
        raises = next((s.raises for s in p.stmts if isinstance(s, Raising)), [None] * st.ncalls)
        for call in range(st.ncalls):
            try:
                with np.errstate(all="ignore"):
                    got = scope["f"](*harness.build_args(p.specs[call]))
            except Exception:  # noqa: BLE001
                if raises[call]:
                    continue
                raise
            if raises[call]:
                return False
            leaves, _ = harness.flatten(got)
            expected = [st.ns[call][n] for n in p.returns]
            if len(leaves) != len(expected):
                return False
            for (_, a), e in zip(leaves, expected):
                if harness.compare_leaf(a, e, None) is not None:
                    return False
    except Exception:  # noqa: BLE001
        return False
    return True
