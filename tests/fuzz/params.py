"""Parameters of op templates (axes, index lists, dtypes, literals...), drawn at random.

Each generator gets the random source, the first operand's values (one per call) and
the parameters drawn so far, and returns source text. A keyword fragment ends in ", "
(``"axis=1, "``) so templates concatenate them; ``clean`` removes the trailing comma.
Invalid draws are fine: the generator evaluates every candidate eagerly and drops those
NumPy rejects.
"""
from __future__ import annotations

import re

import numpy as np

from tests.fuzz.libops import p_nbins, p_num, p_q  # noqa: F401 - parameters of its rows
from tests.fuzz.sciops import LEADERS as SCIPY_LEADERS
from tests.fuzz.sciops import (  # noqa: F401 - parameters of its rows
    p_assume,
    p_dtype_trend,
    p_fb,
    p_fmode,
    p_fsize,
    p_rank,
    p_ridge,
    p_sigma,
    p_trans,
    p_weights,
)

SIGNED = ["np.int8", "np.int16", "np.int32", "np.int64"]
UNSIGNED = ["np.uint8", "np.uint16", "np.uint32", "np.uint64"]
FLOATS = ["np.float32", "np.float64"]
COMPLEX = ["np.complex64", "np.complex128"]


def clean(src: str) -> str:
    """Drop the empty keyword slots a template left (``f(x, )`` -> ``f(x)``)."""
    while ", )" in src:
        src = src.replace(", )", ")")
    return re.sub(r"\(\s*,\s*", "(", src)


def _ndim(vals: list) -> int:
    return int(np.ndim(vals[0]))


def _min_dim(vals: list, axis: int) -> int:
    return min(np.shape(v)[axis] for v in vals)


def _kind(vals: list) -> str:
    return np.asarray(vals[0]).dtype.kind


def literal(rng, kind: str) -> str:
    """A weak Python scalar literal for operands of dtype ``kind``."""
    if kind == "b":
        return str(rng.choice(["True", "False", "1", "0"]))
    if kind == "u":
        return str(rng.choice(["1", "2", "3", "7", "0", "255", "1.5"]))
    if kind == "i":
        return str(rng.choice(["1", "2", "3", "-1", "-3", "7", "0", "100", "2.5"]))
    if kind == "c":
        return str(rng.choice(["1j", "(2-1j)", "0.5", "2", "-1.5j"]))
    return str(rng.choice(["0.5", "2.0", "-1.5", "3", "1", "-0.0", "0.0", "np.nan", "np.inf", "1e-3", "100.0", "0.1",
                           "-2"], p=[.13, .13, .1, .1, .1, .05, .05, .04, .03, .05, .05, .07, .1]))


def _axis(rng, nd: int) -> int:
    return int(rng.integers(-nd, nd)) if nd else 0


def p_axis(rng, vals, p) -> str:
    return str(_axis(rng, max(_ndim(vals), 1)))


def p_axis2(rng, vals, p) -> str:
    return str(_axis(rng, max(_ndim(vals), 1)))


def p_newaxis(rng, vals, p) -> str:
    nd = _ndim(vals) + 1
    return str(int(rng.integers(-nd, nd)))


def p_raxes(rng, vals, p) -> str:
    nd = _ndim(vals)
    r = rng.random()
    if nd == 0 or r < 0.3:
        return "" if r < 0.2 else "axis=None, "
    if nd >= 2 and r < 0.45:
        axes = sorted(rng.choice(nd, size=int(rng.integers(2, nd + 1)), replace=False).tolist())
        return f"axis={tuple(a - nd if rng.random() < 0.3 else a for a in axes)}, "
    return f"axis={_axis(rng, nd)}, "


def p_raxis(rng, vals, p) -> str:
    nd = _ndim(vals)
    return "" if nd == 0 or rng.random() < 0.3 else f"axis={_axis(rng, nd)}, "


def p_saxis(rng, vals, p) -> str:
    nd = _ndim(vals)
    r = rng.random()
    if nd == 0 or r < 0.15:
        return "axis=None, "
    return "" if r < 0.35 else f"axis={_axis(rng, nd)}, "


def p_aaxis(rng, vals, p) -> str:
    return f"axis={_axis(rng, max(_ndim(vals), 1))}"


def p_keepdims(rng, vals, p) -> str:
    return "keepdims=True, " if rng.random() < 0.3 else ""


def p_sumdtype(rng, vals, p) -> str:
    if rng.random() > 0.15:
        return ""
    kind = _kind(vals)
    options = {"f": FLOATS, "c": COMPLEX}.get(kind, ["np.int64", "np.float64", "np.int32", "np.uint64"])
    return f"dtype={rng.choice(options)}, "


def p_ddof(rng, vals, p) -> str:
    return "ddof=1, " if rng.random() < 0.3 else ""


def p_normord(rng, vals, p) -> str:
    if _ndim(vals) == 1:
        return str(rng.choice(["1", "np.inf", "2", "-np.inf"]))
    return str(rng.choice(["'fro'", "None"]))


def p_perm(rng, vals, p) -> str:
    return str(tuple(int(i) for i in rng.permutation(_ndim(vals))))


def p_bsize(rng, vals, p) -> str:
    return str(int(rng.choice([1, 2, 3])))


def p_bindex(rng, vals, p) -> str:
    nd = min(int(np.ndim(v)) for v in vals)  # (a value's ndim can differ between calls: np.squeeze of a size-1 axis)
    parts = []
    for axis in range(int(rng.integers(1, nd + 1))):
        n = _min_dim(vals, axis)
        choices = [":", "::-1", "1:", ":-1", "::2", "None", "1::2", "-2:"]
        choices += [str(int(rng.integers(-n, n)))] * 3 if n else []
        parts.append(str(rng.choice(choices)))
    if rng.random() < 0.2:
        parts.insert(0, "...") if rng.random() < 0.5 else parts.append("...")
    return ", ".join(parts)


def p_bint(rng, vals, p) -> str:
    n = _min_dim(vals, -1)
    return str(int(rng.integers(-n, n))) if n else "0"


def _index_list(rng, n: int) -> str:
    if n == 0:
        return "[]"
    size = int(rng.integers(1, 6))
    return str([int(i) for i in rng.integers(-n, n, size)])


def p_glist(rng, vals, p) -> str:
    return _index_list(rng, _min_dim(vals, 0))


def p_glist1(rng, vals, p) -> str:
    if "glist" in p:  # x[list, list]: same length, broadcast together
        n, size = _min_dim(vals, 1), len(eval(p["glist"]))  # noqa: S307 - our own literal
        return str([int(i) for i in rng.integers(-n, n, size)]) if n else "[]"
    return _index_list(rng, _min_dim(vals, 1))


def p_gflat(rng, vals, p) -> str:
    return _index_list(rng, min(np.size(v) for v in vals))


def p_shift(rng, vals, p) -> str:
    return str(int(rng.integers(-7, 8)))


def p_reps(rng, vals, p) -> str:
    return str(rng.choice(["2", "(2, 1)", "(1, 2)", "(2, 1, 1)", "1", "(1, 3)"]))


def p_nrep(rng, vals, p) -> str:
    return str(rng.choice(["2", "3", "1", "0"], p=[.5, .2, .2, .1]))


def p_padw(rng, vals, p) -> str:
    return str(rng.choice(["1", "(0, 2)", "2", "((1, 0),)", "(1, 1)"]))


def p_padmode(rng, vals, p) -> str:
    return str(rng.choice(["'constant'", "'edge'", "'wrap'", "'reflect'", "'symmetric'"]))


def p_diagk(rng, vals, p) -> str:
    return str(rng.choice(["0", "1", "-1", "2"]))


def p_lit(rng, vals, p) -> str:
    return literal(rng, _kind(vals))


def p_decimals(rng, vals, p) -> str:
    if _kind(vals) in "iub":
        return str(rng.choice(["0", "1"]))  # negative decimals of integers: unsupported
    return str(rng.choice(["0", "1", "2", "-1", "3"]))


def p_lo(rng, vals, p) -> str:
    kind = _kind(vals)
    if kind in "ub":
        lo, hi = ["0", "1", "2"], ["5", "7", "200"]
    else:
        lo, hi = ["-1", "0", "-3", "-0.5"], ["1", "2", "0.5", "3"]
    p["hi"] = str(rng.choice(hi))
    return str(rng.choice(lo))


def p_hi(rng, vals, p) -> str:
    return str(rng.choice(["1", "2", "3"]))


def p_dtype(rng, vals, p) -> str:
    options = FLOATS * 3 + SIGNED + UNSIGNED + ["np.bool_", "'float32'", "'int32'", "float", "int", "np.float16"]
    if _kind(vals) == "c" or rng.random() < 0.05:
        options = options + COMPLEX * 2
    return str(rng.choice(options))


def p_idtype(rng, vals, p) -> str:
    name = str(rng.choice(SIGNED + UNSIGNED))
    info = np.iinfo(eval(name))  # noqa: S307 - our own literal
    p["ilo"], p["ihi"] = (str(int(max(info.min, -1e15))), str(int(min(info.max, 1e15))))
    return name


def p_esub1(rng, vals, p) -> str:
    nd = _ndim(vals)
    options = {1: ["i->", "i->i", "i"], 2: ["ij->ji", "ij->j", "ij->i", "ij->", "ii->i", "ij"],
               3: ["ijk->kji", "ijk->j", "ijk->ik", "ijk->"]}.get(nd, ["...->..."])
    return repr(str(rng.choice(options)))


def p_esub2(rng, vals, p) -> str:
    return "'i,i->'"  # replaced when the second operand is chosen (exprgen._einsum)


def p_alo(rng, vals, p) -> str:
    lo = int(rng.integers(-3, 4))
    step = rng.choice([1, 1, 2, -1, 0.5])
    hi = lo + (int(rng.integers(0, 20)) if step > 0 else -int(rng.integers(0, 10)))
    p["ahi"], p["astep"] = str(hi), str(step)
    return str(lo)


def p_bit(rng, vals, p) -> str:
    return str(int(rng.integers(0, 2)))


PARAMS = {name[2:]: fn for name, fn in globals().items() if name.startswith("p_")}


LEADERS = {"ilo": "idtype", "ihi": "idtype", "hi": "lo", "ahi": "alo", "astep": "alo",  # drawn together
           **SCIPY_LEADERS}


def draw(rng, names: list[str], vals: list) -> dict:
    """Values for the template fields ``names`` (one operand's values per call)."""
    params: dict = {}
    for name in names:
        name = LEADERS.get(name, name) if name not in params else name
        if name not in params:
            params[name] = PARAMS[name](rng, vals, params)
    return params


def fields(tmpl: str) -> list[str]:
    """The parameter names of a template, in order (operand fields excluded)."""
    return [m for m in re.findall(r"{([a-z_0-9]+)}", tmpl) if not m.isdigit()]
