"""Reference values and input sweeps for the vector math accuracy tests.

float32 references: the float64 function rounded to float32. float64 references: NumPy's
long double (x87, 64-bit mantissa) rounded to float64, or mpmath where NumPy has none.
"""
from __future__ import annotations

import math

import numpy as np

SPECIALS = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 0.5, 2.0]


def sweep(dtype, per_exponent: int = 6, seed: int = 0, lo_exp=None, hi_exp=None) -> np.ndarray:
    """Both signs of random mantissas at every exponent (subnormals included), plus specials."""
    dtype = np.dtype(dtype)
    info = np.finfo(dtype)
    rng = np.random.default_rng(seed)
    lo = info.minexp - info.nmant if lo_exp is None else lo_exp
    hi = info.maxexp - 1 if hi_exp is None else hi_exp
    exps = np.repeat(np.arange(lo, hi + 1), per_exponent)
    mant = rng.uniform(1.0, 2.0, exps.size)
    x = np.ldexp(mant, exps).astype(dtype)
    x = np.concatenate([x, -x, np.array(SPECIALS, dtype)])
    return x[np.isfinite(x) | ~np.isfinite(x)]


def reference(name: str, dtype, *args):
    """Correctly rounded (or nearly) values of ``name`` at ``dtype``."""
    dtype = np.dtype(dtype)
    wide = np.longdouble if dtype == np.float64 else np.float64
    with np.errstate(all="ignore"):
        ws = [np.asarray(a, wide) for a in args]
        if name == "sigmoid":
            r = 1 / (1 + np.exp(-ws[0]))
        elif name == "erf":
            return _erf_reference(args[0], dtype)
        else:
            r = getattr(np, name)(*ws)
    return r.astype(dtype)


def _erf_reference(x, dtype):
    try:
        import mpmath as mp
    except ImportError:
        return np.array([math.erf(float(v)) for v in x], dtype)
    mp.mp.prec = 80
    return np.array([float(mp.erf(mp.mpf(float(v)))) if np.isfinite(v) and v != 0 else math.erf(float(v))
                     for v in np.asarray(x, np.float64)], dtype)
