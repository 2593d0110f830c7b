"""Error bounds of generated values: how far tracejit may legitimately be from eager NumPy.

Each value of a program carries, per call, an absolute error bound ``err``: 0 (must be
bit-exact), a positive float (an inexact operation is upstream: transcendental functions,
reordered sums), or None (a discrete decision on an inexact value: not comparable). The
rules run at generation time on the concrete eager values, so they can measure what a
symbolic analysis could not (magnitudes, sums of absolute values, whether a comparison
is near its threshold):

- elementwise functions are *perturbed*: each inexact operand is moved by its bound in
  both directions and the largest change of the result (in float64) is the propagated
  error; a bool or integer result that changes at all is not comparable. This covers
  cancellation, division by small values, discontinuities (floor, %, comparisons) and
  domain edges (a NaN appears) without a rule per function;
- the op's own rounding: ``ulps * eps * max|out|`` (8 ulps for our transcendental math
  against NumPy's, 0 for correctly rounded operations);
- reductions over ``n`` values: ``eps * S1 * min(n, 8 sqrt(n))`` with ``S1`` the largest
  sum of absolute values reduced (NumPy's order and ours differ), products likewise;
- conversions that are undefined in C (float to int of NaN, infinity or out of range)
  make the value not comparable for that call.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

TRANSCENDENTAL_ULPS = 8.0


def eps_of(value) -> float:
    """Machine epsilon of a value's (real) float dtype; 0 for integers and bools."""
    dtype = np.asarray(value).dtype
    if dtype.kind == "c":
        dtype = np.dtype(f"f{dtype.itemsize // 2}")
    return float(np.finfo(dtype).eps) if dtype.kind == "f" else 0.0


def mag_of(value) -> float:
    """Largest finite absolute value (0 when there is none)."""
    arr = np.asarray(value)
    if arr.size == 0 or arr.dtype.kind not in "biufc":
        return 0.0
    with np.errstate(all="ignore"):
        mags = np.abs(arr.astype(np.complex128 if arr.dtype.kind == "c" else np.float64))
    mags = mags[np.isfinite(mags)]
    return float(mags.max()) if mags.size else 0.0


def inexact(value) -> bool:
    """Whether a value has a float or complex dtype (Python floats included)."""
    return np.asarray(value).dtype.kind in "fc"


def _finish(err: float | None, out) -> float | None:
    """An integer or bool result is exact or not comparable; a bound that is a large
    fraction of the values is chaos, not rounding."""
    if err is None or not math.isfinite(err):
        return None
    if err == 0:
        return 0.0
    if not inexact(out):
        return None
    return err if err <= 0.05 * max(mag_of(out), 1e-300) + 1e-300 else None


def finish_bound(err: float | None, out) -> float | None:
    """A computed bound made final (see ``_finish``): None where it is no rounding any more."""
    return _finish(err, out)


def rounding(out, ulps: float) -> float:
    return ulps * eps_of(out) * mag_of(out)


def perturb(fn, ins: list, errs: list, out, ulps: float) -> float | None:
    """Error of elementwise ``fn(*ins) = out`` given operand bounds ``errs``."""
    if any(e is None for e in errs):
        return None
    if not any(errs):
        return rounding(out, ulps) if ulps and inexact(out) else 0.0
    wide = [np.asarray(x).astype(np.complex128 if np.asarray(x).dtype.kind == "c" else np.float64) for x in ins]
    with np.errstate(all="ignore"):
        base = np.asarray(fn(*wide))
        worst = 0.0
        moved = [i for i, e in enumerate(errs) if e]
        candidates = []
        for signs in itertools.product((-1.0, 1.0), repeat=len(moved)):
            args = list(wide)
            for i, sign in zip(moved, signs):
                args[i] = args[i] + sign * errs[i]
            candidates.append(args)
        for i in moved:  # an integer inside the interval: where power of a negative base is finite
            if wide[i].dtype.kind == "f":
                near = np.rint(wide[i])
                args = list(wide)
                args[i] = np.where(np.abs(near - wide[i]) <= errs[i], near, wide[i])
                candidates.append(args)
        for args in candidates:
            got = np.asarray(fn(*args))
            if got.shape != base.shape:
                return None
            if not inexact(out) or base.dtype.kind not in "fc":
                if not np.array_equal(got, base, equal_nan=True):
                    return None
                continue
            if not np.array_equal(np.isnan(got), np.isnan(base)) or not np.array_equal(np.isinf(got), np.isinf(base)):
                return None
            finite = np.isfinite(base)
            if finite.any():
                worst = max(worst, float(np.abs(got[finite] - base[finite]).max()))
    return _finish(2.0 * worst + rounding(out, 1.0 + ulps), out)


def move(errs: list, out) -> float | None:
    """Values moved, selected or sorted, not computed: the largest operand bound."""
    if any(e is None for e in errs):
        return None
    return _finish(max(errs, default=0.0), out)


def linear(errs: list, out, factor: float = 1.0) -> float | None:
    """A short exact-rounded combination (``np.diff``, a median's mean of two)."""
    if any(e is None for e in errs):
        return None
    total = factor * sum(errs)
    return _finish(total + rounding(out, 1.0) if total else 0.0, out)


def may_overflow(bound: float, out) -> bool:
    """Partial sums up to ``bound`` can overflow: then which of inf, -inf and NaN comes
    out depends on the order of the terms, and no order is NumPy's contract."""
    dtype = np.asarray(out).dtype
    if dtype.kind == "c":
        dtype = np.dtype(f"f{dtype.itemsize // 2}")
    return dtype.kind == "f" and not bound < float(np.finfo(dtype).max) / 4


def _sum_bound(x, n: int, err: float, out) -> float:
    mag = mag_of(x)
    if may_overflow(n * mag, out):
        return math.inf
    s1 = min(n * mag, float(np.sum(np.abs(np.asarray(x).astype(np.complex128)))) if np.asarray(x).size else 0.0)
    return n * err + eps_of(out) * s1 * min(n, 8.0 * math.sqrt(n)) + rounding(out, 1.0)


def reduction(kind: str, x, err: float | None, out) -> float | None:
    """Error of a reduction or scan of ``x`` to ``out`` (``kind``: sum, mean, prod,
    cumsum, cumprod, var, std, norm, extreme, arg, any)."""
    if err is None:
        return None
    xa, oa = np.asarray(x), np.asarray(out)
    n = max(1, xa.size // max(oa.size, 1)) if kind not in ("cumsum", "cumprod") else max(1, max(xa.shape, default=1))
    if kind == "extreme":
        return _finish(err, out)
    if kind in ("arg", "any"):
        if err == 0:
            return 0.0
        if kind == "any":
            return 0.0 if not np.any(np.abs(xa.astype(np.complex128)) <= err) else None
        return None
    if not inexact(out):
        return 0.0 if err == 0 else None
    if kind in ("cumsum", "cumprod") and err == 0:
        return 0.0  # in order, bit for bit (README)
    if kind in ("prod", "cumprod"):
        mag = mag_of(xa)
        if err or (mag > 1 and may_overflow(math.exp(min(n * math.log(mag), 700.0)), out)):
            return None
        return _finish(4.0 * n * eps_of(out) * mag_of(out), out)
    if kind in ("sum", "cumsum"):
        return _finish(_sum_bound(xa, n, err, out), out)
    if kind == "mean":
        return _finish(_sum_bound(xa, n, err, out) / n + rounding(out, 2.0), out)
    mag = mag_of(xa)
    if may_overflow(n * mag * mag, out):
        return None
    if kind in ("var", "std"):
        e_var = eps_of(out) * 4 * mag * mag * (min(n, 8.0 * math.sqrt(n)) + 4) + 4 * mag * err
        if kind == "var":
            return _finish(e_var + rounding(out, 1.0), out)
        std = float(np.nanmin(oa)) if oa.size and np.isfinite(oa).any() else 0.0
        e_std = math.sqrt(e_var) if std <= 0 else min(math.sqrt(e_var), e_var / (2 * std))
        return _finish(e_std + rounding(out, 2.0), out)
    if kind == "norm":
        e_sq = eps_of(out) * n * mag * mag * min(n, 8.0 * math.sqrt(n)) + 2 * n * mag * err
        lowest = float(np.nanmin(oa)) if oa.size else 0.0
        e_norm = math.sqrt(e_sq) if lowest <= 0 else min(math.sqrt(e_sq), e_sq / (2 * lowest))
        return _finish(e_norm + rounding(out, 2.0), out)
    raise ValueError(f"unknown reduction kind {kind!r}")


def _finite(x) -> bool:
    xa = np.asarray(x)
    return xa.dtype.kind not in "fc" or bool(np.isfinite(xa).all())


def product(a, b, k: int, err_a: float | None, err_b: float | None, out) -> float | None:
    """Error of a contraction over ``k`` terms (matmul, dot, einsum)."""
    if err_a is None or err_b is None:
        return None
    if not inexact(out):
        return 0.0 if not (err_a or err_b) else None
    if not (_finite(a) and _finite(b)):  # BLAS skips zero elements of an operand (reference
        return None  # gemv: `if x(j) != 0`), so whether nan/inf * 0 reaches NumPy's result varies
    k = max(k, 1)
    ma, mb = mag_of(a), mag_of(b)
    if k == 1 and not (err_a or err_b):
        return 0.0
    s1 = k * ma * mb
    if may_overflow(s1, out):
        return None
    return _finish(k * (err_a * mb + err_b * ma) + eps_of(out) * s1 * min(k, 8.0 * math.sqrt(k)) + rounding(out, 1.0),
                   out)


def astype(x, err: float | None, out) -> float | None:
    """Error of a conversion; None where C leaves it undefined (NaN, inf, out of range)."""
    if err is None:
        return None
    xa, oa = np.asarray(x), np.asarray(out)
    if xa.dtype.kind in "fc" and oa.dtype.kind in "iu":
        real = xa.real.astype(np.float64) if xa.dtype.kind == "c" else xa.astype(np.float64)
        info = np.iinfo(oa.dtype)
        if real.size and (not np.isfinite(real).all() or real.min() <= info.min - 1.0 or real.max() >= info.max + 1.0):
            return None
        if err:
            return perturb(lambda v: np.trunc(v.real if np.iscomplexobj(v) else v), [xa], [err], oa, 0)
        return 0.0
    if oa.dtype.kind == "b" and err:
        return perturb(lambda v: v != 0, [xa], [err], oa, 0)
    if err and inexact(out):
        return _finish(err + rounding(out, 1.0), out)
    return _finish(err, out) if err else 0.0
