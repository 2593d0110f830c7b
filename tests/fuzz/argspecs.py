"""Random argument specs: dtypes, symbolic shapes, layouts, edge values, Python scalars.

Dimensions are symbols shared between arguments (so they broadcast and multiply), each
with one size per call: call 1 changes some sizes (same structure, new shapes: tracejit
traces again and may reuse machine code), call 2 goes back to call 0's shapes with new
values (a cache hit that must not return stale results).
"""
from __future__ import annotations

import numpy as np

DTYPES = {"float64": 24, "float32": 16, "int64": 10, "int32": 7, "int16": 3, "int8": 3, "uint8": 3, "uint16": 2,
          "uint32": 2, "uint64": 2, "bool": 5, "complex128": 3, "complex64": 2, "float16": 2}
LAYOUTS = {"C": 55, "F": 8, "T": 8, "neg": 8, "step": 7, "mis": 4, "ro": 3, "be": 2, "bcast": 2}
SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 17]
BIG_SIZES = [1, 3, 17, 31, 64, 65]
FLOATS = ["0.5", "-1.5", "2.0", "3.25", "0.1", "1e-3", "-0.0", "7.0", "-2.0", "1.0"]
INTS = ["0", "1", "2", "3", "-2", "5", "7", "-1"]
NCALLS = 3


def _weighted(rng, table: dict) -> str:
    keys = list(table)
    p = np.array([table[k] for k in keys], float)
    return str(rng.choice(keys, p=p / p.sum()))


def _sizes(rng, nsym: int, big: bool) -> list[list[int]]:
    """Sizes of each symbol for calls 0 and 1 (call 2 repeats call 0)."""
    pool = BIG_SIZES if big else SIZES
    first = [int(rng.choice(pool)) if rng.random() > 0.03 else 0 for _ in range(nsym)]
    second = [int(rng.choice(pool)) if rng.random() < 0.7 else n for n in first]
    if second == first and nsym:
        k = int(rng.integers(nsym))
        second[k] = first[k] + int(rng.integers(1, 4))
    return [first, second, first]


def _array_spec(rng, dims: list, layout_ok: bool, dtype: str, seeds: list[int]) -> list[dict]:
    layout = _weighted(rng, LAYOUTS) if layout_ok else "C"
    if not dims and layout in ("F", "T", "neg", "step", "bcast"):
        layout = "C"
    fill = str(rng.choice(["normal", "int", "unit", "wide"], p=[.45, .35, .1, .1]))
    edges = float(rng.choice([0.0, 0.1, 0.3])) if rng.random() < 0.3 else 0.0
    out = []
    for call, seed in enumerate(seeds):
        shape = [d if isinstance(d, int) else d[call] for d in dims]
        out.append({"kind": "array", "dtype": dtype, "shape": shape, "layout": layout, "fill": fill,
                    "edges": edges, "seed": seed})
    return out


def make_specs(rng, big: bool = False) -> tuple[list[str], list[list[dict]]]:
    """Argument names and, per call, the argument specs."""
    nsym = int(rng.integers(1, 4))
    sizes = _sizes(rng, nsym, big)
    symbols = [[sizes[c][k] for c in range(NCALLS)] for k in range(nsym)]
    common = _weighted(rng, DTYPES) if rng.random() < 0.45 else None
    per_arg: list[list[dict]] = []
    narrays = int(rng.choice([1, 2, 3, 4], p=[.25, .4, .25, .1]))
    for _ in range(narrays):
        ndim = int(rng.choice([0, 1, 2, 3], p=[.08, .35, .42, .15]))
        tail = list(symbols[-ndim:]) if ndim and rng.random() < 0.5 and ndim <= nsym else None
        dims = tail or [symbols[int(rng.integers(nsym))] for _ in range(ndim)]
        dims = [1 if rng.random() < 0.12 else d for d in dims]
        seeds = [int(s) for s in rng.integers(0, 2**31, NCALLS)]
        per_arg.append(_array_spec(rng, dims, True, common or _weighted(rng, DTYPES), seeds))
    if rng.random() < 0.08:  # the same array twice, or a view of another argument
        of = int(rng.integers(len(per_arg)))
        if rng.random() < 0.6 or not per_arg[of][0]["shape"]:
            per_arg.append([{"kind": "same", "of": of}] * NCALLS)
        else:
            index = str(rng.choice(["[::-1]", ".T", "[1:]", "[::2]"]))
            per_arg.append([{"kind": "view", "of": of, "index": index}] * NCALLS)
    for _ in range(int(rng.choice([0, 1, 2], p=[.55, .35, .1]))):
        per_arg.append(_scalar_spec(rng))
    order = rng.permutation(len(per_arg)) if rng.random() < 0.3 else np.arange(len(per_arg))
    order = [int(i) for i in order if per_arg[i][0]["kind"] == "array"] + \
            [int(i) for i in order if per_arg[i][0]["kind"] != "array"]  # aliases after their arrays
    remap = {old: new for new, old in enumerate(order)}
    specs = []
    for call in range(NCALLS):
        row = []
        for old in order:
            spec = dict(per_arg[old][call])
            if "of" in spec:
                spec["of"] = remap[spec["of"]]
            row.append(spec)
        specs.append(row)
    return [f"a{k}" for k in range(len(order))], specs


def _scalar_spec(rng) -> list[dict]:
    r = rng.random()
    if r < 0.08:
        dtype = str(rng.choice(["float32", "float64", "int32", "int64", "uint8"]))
        values = [str(rng.choice(INTS[:6])) for _ in range(NCALLS)]
        return [{"kind": "npscalar", "dtype": dtype, "value": v} for v in values]
    if r < 0.6:
        return [{"kind": "py", "type": "float", "value": str(rng.choice(FLOATS))} for _ in range(NCALLS)]
    if r < 0.92:
        big = rng.random() < 0.08
        pool = ["1099511627776", "-4611686018427387904", "3"] if big else INTS
        return [{"kind": "py", "type": "int", "value": str(rng.choice(pool))} for _ in range(NCALLS)]
    return [{"kind": "py", "type": "bool", "value": str(rng.choice(["True", "False"]))} for _ in range(NCALLS)]
