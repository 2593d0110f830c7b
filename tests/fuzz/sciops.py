"""Rows of the op table for SciPy functions (group ``scipy``, drawn with ``--weight scipy=W``).

Issue 17 item 1 runs other libraries' functions inside compiled code: natively where
tracejit has a handler (``scipy.linalg.solve_triangular``, the ``scipy.special`` ufuncs
``erf``/``expit``), traced where they are made of NumPy calls, or as host calls on
concrete arrays (``frontend/libraries.py``, ``frontend/hostcall.py``). These rows call
``scipy.special``, ``scipy.linalg``, ``scipy.ndimage``, ``scipy.signal`` and ``scipy.stats``
(module functions, methods of distribution objects, fields of result objects) on generated
values, in valid argument domains: the linear-algebra rows build a
well-conditioned matrix from their operand with traced NumPy code (``X @ X.T + r I``,
its Cholesky factor), and every result flows into later NumPy code like any value.

The group's default weight is 0 (``tests/fuzz/ops.py``): programs of the default mix
stay those they were (the seeded slice of the test suite is unchanged), and SciPy is
imported only by programs that call it (:func:`module_imports`). Without SciPy the rows
and the group do not exist.

Error rules (``rule="scipy"``, :func:`sci_err`) bound how far tracejit may be from eager
SciPy, as ``errmodel`` does for NumPy: elementwise functions are perturbed; filters by
their gain (the sum of absolute weights) plus their rounding; solves by the norm of the
inverse (measured here, on the eager matrix); rankings are exact or not comparable.
"""
from __future__ import annotations

import math

import numpy as np

from tests.fuzz import errmodel
from tests.fuzz.oprow import Op

try:
    import scipy.linalg
    import scipy.ndimage
    import scipy.signal
    import scipy.special
    import scipy.stats
except ImportError:  # SciPy is an optional extra
    scipy = None

AVAILABLE = scipy is not None
SCOPE: dict = {"scipy": scipy} if AVAILABLE else {}  # names the rows' templates and ``fn`` sources use
SUBMODULES = ("linalg", "ndimage", "signal", "special", "stats")
T = 8.0  # ulps allowed for transcendental functions (as in ops.py)
G = "({0} @ {0}.T + {ridge} * np.eye({0}.shape[0]))"  # a symmetric positive definite matrix from operand 0
LINALG = {"solve", "inv", "cho_solve", "lu_solve", "tri_solve", "tri_solve_u"}


def _sp(name: str, tmpl: str, arity: int = 1, kinds: str = "iuf", rule: str = "scipy", fn: str = "",
        ulps: float = 0.0, pair: str = "bcast", min_ndim: int = 0, weight: float = 1.0) -> Op:
    return Op(name, tmpl, arity, kinds, rule, fn, ulps, "scipy", pair, min_ndim, weight)


def _elementwise(name: str, tmpl: str, fn: str, arity: int = 1, weight: float = 1.0) -> Op:
    return _sp(name, tmpl, arity, "iuf", "perturb", fn, T, weight=weight)


SCIPY = [
    # scipy.special: ufuncs (erf and expit native, the others host calls) and array functions
    _elementwise("sp_expit", "scipy.special.expit({0})", "scipy.special.expit", weight=1.5),
    _elementwise("sp_erf", "scipy.special.erf({0})", "scipy.special.erf", weight=1.5),
    _elementwise("sp_erfc", "scipy.special.erfc({0})", "scipy.special.erfc", weight=0.5),
    _elementwise("sp_logit", "scipy.special.logit(np.clip({0}, 0.05, 0.95))",
                 "lambda x: scipy.special.logit(np.clip(x, 0.05, 0.95))"),
    _elementwise("sp_gammaln", "scipy.special.gammaln(np.abs({0}) + 0.5)",
                 "lambda x: scipy.special.gammaln(np.abs(x) + 0.5)"),
    _elementwise("sp_ndtr", "scipy.special.ndtr({0})", "scipy.special.ndtr", weight=0.5),
    _elementwise("sp_xlogy", "scipy.special.xlogy({0}, np.abs({1}))", "lambda x, y: scipy.special.xlogy(x, np.abs(y))",
                 arity=2),
    _sp("sp_logsumexp", "scipy.special.logsumexp({0}, {raxes}{keepdims})", kinds="iuf"),
    _sp("sp_softmax", "scipy.special.softmax({0}, {raxis})", kinds="iuf"),
    _sp("sp_log_softmax", "scipy.special.log_softmax({0}, {raxis})", kinds="iuf", weight=0.5),
    # scipy.linalg on X X^T + r I (traced NumPy before the call; its result used after)
    _sp("solve", f"scipy.linalg.solve({G}, {{0}}, {{assume}})", kinds="biuf", min_ndim=2, weight=1.5),
    _sp("inv", f"scipy.linalg.inv({G})", kinds="iuf", min_ndim=2),
    _sp("cho_solve", f"scipy.linalg.cho_solve(scipy.linalg.cho_factor({G}, lower={{bit}}), {{0}})", kinds="iuf",
        min_ndim=2),
    _sp("lu_solve", f"scipy.linalg.lu_solve(scipy.linalg.lu_factor({G}), {{0}})", kinds="iuf", min_ndim=2),
    _sp("tri_solve", f"scipy.linalg.solve_triangular(np.linalg.cholesky({G}), {{0}}, lower=True, {{trans}})",
        kinds="iuf", min_ndim=2, weight=1.5),
    _sp("tri_solve_u", f"scipy.linalg.solve_triangular(np.linalg.cholesky({G}).T, {{0}}[:, 0], {{trans}})",
        kinds="iuf", min_ndim=2),
    _sp("expm", "scipy.linalg.expm(np.tanh({0} @ {0}.T) / max({0}.shape[0], 1))", kinds="iuf", min_ndim=2,
        weight=0.5),
    # scipy.ndimage, scipy.signal: filters along axes
    _sp("uniform_filter", "scipy.ndimage.uniform_filter({0}, size={fsize}, {fmode})", kinds="iuf", min_ndim=1),
    _sp("gaussian_filter1d", "scipy.ndimage.gaussian_filter1d({0}, {sigma}, axis={axis}, {fmode})", kinds="iuf",
        min_ndim=1),
    _sp("convolve1d", "scipy.ndimage.convolve1d({0}, {weights}, axis={axis}, {fmode})", kinds="iuf", min_ndim=1),
    _sp("median_filter", "scipy.ndimage.median_filter({0}, size={fsize}, {fmode})", kinds="iuf", min_ndim=1,
        weight=0.5),
    _sp("detrend", "scipy.signal.detrend({0}, axis={axis}, type={dtype_trend})", kinds="iuf", min_ndim=1),
    _sp("lfilter", "scipy.signal.lfilter({fb}, {fa}, {0}, axis={axis})", kinds="iuf", min_ndim=1),
    _sp("hann", "{0} * scipy.signal.windows.hann({0}.shape[-1])", kinds="iuf", min_ndim=1, weight=0.5),
    # scipy.stats
    _sp("zscore", "scipy.stats.zscore({0}, axis={axis}, {ddof})", kinds="iuf", min_ndim=1),
    _sp("rankdata", "scipy.stats.rankdata({0}, method={rank}, {raxis})", kinds="iuf"),
    _elementwise("norm_pdf", "scipy.stats.norm.pdf({0})", "scipy.stats.norm.pdf"),
    _elementwise("norm_cdf", "scipy.stats.norm.cdf({0}, {lit}, 2.0)", "lambda x: scipy.stats.norm.cdf(x, {lit}, 2.0)",
                 weight=0.7),
    _elementwise("frozen_logpdf", "scipy.stats.norm({lit}, 2.0).logpdf({0})",
                 "lambda x: scipy.stats.norm({lit}, 2.0).logpdf(x)", weight=0.5),
    _sp("ttest", "scipy.stats.ttest_1samp({0}, 0.5, axis={axis}).statistic", kinds="iuf", min_ndim=1, weight=0.5),
] if AVAILABLE else []


def module_imports(source: str) -> str:
    """The import lines a program's module needs for SciPy (none when it calls no SciPy)."""
    if "scipy." not in source:
        return ""
    return "".join(f"import scipy.{name}\n" for name in SUBMODULES)


# -- parameters (tests/fuzz/params.py imports them) ----------------------------------------------


def p_ridge(rng, vals, p) -> str:
    """The ``r`` of ``X @ X.T + r I``."""
    return str(rng.choice(["1.0", "4.0", "0.5", "16.0"]))


def p_assume(rng, vals, p) -> str:
    """``assume_a`` of ``scipy.linalg.solve``."""
    return str(rng.choice(["", "assume_a='pos', ", "assume_a='sym', ", "assume_a='gen', "]))


def p_trans(rng, vals, p) -> str:
    """``trans`` of ``scipy.linalg.solve_triangular``."""
    return str(rng.choice(["", "trans=1, ", "trans='T', ", "trans=0, "]))


def p_fsize(rng, vals, p) -> str:
    """A filter's size."""
    return str(rng.choice(["3", "2", "1", "5"]))


def p_fmode(rng, vals, p) -> str:
    """A filter's boundary mode."""
    return str(rng.choice(["", "mode='constant', ", "mode='nearest', ", "mode='wrap', ", "mode='mirror', "]))


def p_sigma(rng, vals, p) -> str:
    """The ``sigma`` of a Gaussian filter."""
    return str(rng.choice(["1.0", "0.5", "2.0"]))


def p_weights(rng, vals, p) -> str:
    """The weights of ``scipy.ndimage.convolve1d``."""
    return str(rng.choice(["[1.0, 2.0, 1.0]", "np.array([0.25, 0.5, 0.25])", "[1.0, -1.0]", "[1, 2, 3, 4]"]))


def p_dtype_trend(rng, vals, p) -> str:
    """``type`` of ``scipy.signal.detrend``."""
    return str(rng.choice(["'linear'", "'constant'"]))


def p_fb(rng, vals, p) -> str:
    """The numerator of ``scipy.signal.lfilter`` (its denominator drawn with it)."""
    p["fa"] = str(rng.choice(["[1.0]", "[1.0, -0.5]", "[2.0, 0.5]"]))
    return str(rng.choice(["[1.0, 0.5]", "np.array([0.25, 0.5, 0.25])", "[1.0]"]))


def p_rank(rng, vals, p) -> str:
    """``method`` of ``scipy.stats.rankdata``."""
    return str(rng.choice(["'average'", "'min'", "'dense'", "'ordinal'", "'max'"]))


LEADERS = {"fa": "fb"}  # (drawn together)


# -- error bounds -------------------------------------------------------------------------------


def _wide(x) -> np.ndarray:
    return np.asarray(x).astype(np.float64)


def _out_rounding(out, ulps: float, n: int = 1) -> float:
    return ulps * errmodel.eps_of(out) * errmodel.mag_of(out) * min(n, 8.0 * math.sqrt(n))


def _gram(x, err: float, ridge: float) -> tuple[np.ndarray, float]:
    """``X @ X.T + r I`` in float64 and the error bound of the traced one (a product, then a sum)."""
    xa = np.asarray(x)
    xxt = xa @ xa.T
    k = xa.shape[1] if xa.ndim == 2 else 1
    e = errmodel.product(xa, xa.T, k, err, err, xxt)
    if e is None:
        return _wide(xxt) + ridge * np.eye(len(xa)), math.inf
    g = _wide(xxt) + ridge * np.eye(len(xa))
    gdtype = np.result_type(xxt, np.float64) if xxt.dtype.kind in "biu" else xxt.dtype
    return g, e + errmodel.eps_of(np.zeros((), gdtype)) * (errmodel.mag_of(g) + ridge)


def _linalg_err(op: Op, params: dict, x, err: float, out) -> float | None:
    """Solves and inverses of ``G = X X^T + r I``: ``|dx| <= |G^-1| (|db| + n |dG| |x|)`` plus
    the factorizations' own rounding, ``cond(G) n eps |x|``."""
    xa = np.asarray(x)
    if xa.ndim != 2 or not np.isfinite(_wide(xa)).all():
        return None
    n = xa.shape[0]
    g, e_g = _gram(xa, err, float(params.get("ridge", "1.0")))
    if not math.isfinite(e_g) or n == 0:
        return None if n else 0.0
    if op.name == "expm":
        e_a = e_g / n + 2.0 * errmodel.eps_of(out)  # (tanh is 1-Lipschitz; |A| <= 1: exp grows by e at most)
        mag = max(errmodel.mag_of(out), 1.0)
        return errmodel.finish_bound(math.e * n * e_a * mag + 64.0 * n * errmodel.eps_of(out) * mag, out)
    ginv = np.linalg.inv(g)
    norm_inv = float(np.abs(ginv).sum(axis=1).max())
    cond = norm_inv * float(np.abs(g).sum(axis=1).max())
    mag_x = errmodel.mag_of(out)
    e_b = 0.0 if op.name == "inv" else err
    data = norm_inv * (e_b + n * e_g * mag_x)
    own = 8.0 * cond * n * errmodel.eps_of(out) * mag_x
    if op.name.startswith("tri_solve"):
        own *= 4.0  # (a Cholesky factor's condition is sqrt(cond(G)); its triangular solve adds its own)
    return errmodel.finish_bound(data + own, out)


def _filter_gain(op: Op, params: dict, x) -> tuple[float, int]:
    """The sum of absolute weights of a filter and its number of taps (over all axes it runs)."""
    nd = max(np.ndim(x), 1)
    if op.name == "uniform_filter":
        size = int(params["fsize"])
        return 1.0, size * nd
    if op.name == "gaussian_filter1d":
        sigma = float(params["sigma"])
        return 1.0, 2 * int(4.0 * sigma + 0.5) + 1
    if op.name == "convolve1d":
        w = np.asarray(eval(params["weights"], {"np": np}), dtype=np.float64)  # noqa: S307 - our own literal
        return float(np.abs(w).sum()), len(w)
    if op.name == "detrend":
        return (2.0, 2) if "constant" in params["dtype_trend"] else (8.0, 8)
    if op.name == "lfilter":
        b = np.asarray(eval(params["fb"], {"np": np}), dtype=np.float64)  # noqa: S307
        a = np.asarray(eval(params["fa"], {"np": np}), dtype=np.float64)  # noqa: S307
        pole = abs(a[1] / a[0]) if len(a) > 1 else 0.0
        return float(np.abs(b).sum() / abs(a[0]) / (1.0 - pole)), len(b) + 2 * len(a)
    return 1.0, 1


def sci_err(op: Op, params: dict, values: list, errs: list, out) -> float | None:
    """Error bound of a ``rule="scipy"`` row's ``out`` given its operands' bounds."""
    if any(e is None for e in errs):
        return None
    err = max(errs, default=0.0)
    if not errmodel.inexact(out):
        return 0.0 if err == 0 else None
    x = values[0]
    if op.name == "rankdata":
        return 0.0 if err == 0 else None
    if op.name == "ttest":  # (a quotient by a standard deviation: compared where the data are exact)
        return _out_rounding(out, T, max(np.asarray(x).size, 1)) if err == 0 else None
    if op.name in LINALG or op.name == "expm":
        return _linalg_err(op, params, x, err, out)
    if not np.isfinite(_wide(x)).all():
        return None if err else _out_rounding(out, T)  # (NaN and infinity: only where exact)
    n = max(np.asarray(x).size, 1)
    if op.name == "median_filter":
        return errmodel.move(errs, out)
    if op.name == "hann":
        return errmodel.finish_bound(err + _out_rounding(out, 2.0), out)
    if op.name == "sp_logsumexp":  # max + log(sum(exp(x - max))): 1-Lipschitz in the max norm
        return errmodel.finish_bound(err + T * errmodel.eps_of(out) * (errmodel.mag_of(out) + math.log(n) + 1.0)
                                     * min(n, 8.0 * math.sqrt(n)), out)
    if op.name in ("sp_softmax", "sp_log_softmax"):
        scale = errmodel.mag_of(out) if op.name == "sp_softmax" else 1.0
        return errmodel.finish_bound(4.0 * err * scale + T * errmodel.eps_of(out) * max(errmodel.mag_of(out), 1.0)
                                     * min(n, 8.0 * math.sqrt(n)), out)
    if op.name == "zscore":  # (x - m) / s: |dz| <= (2 e + |z| e) / s, s the smallest standard deviation
        xa = _wide(x)
        axis = int(params.get("axis", "0"))
        std = np.std(xa, axis=axis)
        smallest = float(std.min()) if std.size else 0.0
        if smallest <= 1e-3 * max(errmodel.mag_of(xa), 1e-300):
            return None  # (a constant line: 0/0, or cancellation NumPy's order decides)
        m = xa.shape[axis]
        data = (2.0 + errmodel.mag_of(out)) * err / smallest
        own = 16.0 * errmodel.eps_of(out) * (errmodel.mag_of(xa) / smallest) * min(m, 8.0 * math.sqrt(m)) + \
            _out_rounding(out, 4.0)
        return errmodel.finish_bound(data + own, out)
    gain, taps = _filter_gain(op, params, x)
    own = 4.0 * gain * errmodel.eps_of(out) * errmodel.mag_of(x) * taps + _out_rounding(out, 2.0)
    if op.name == "detrend":
        m = np.shape(x)[int(params.get("axis", "0"))] if np.ndim(x) else 1
        own *= max(m, 1)
    return errmodel.finish_bound(gain * err + own, out)
