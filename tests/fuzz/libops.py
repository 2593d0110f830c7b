"""Rows of the op table for the library functions of issue 17 (``tests/fuzz/ops.py`` builds on them):
``take_along_axis``, ``ufunc.accumulate``, ``ufunc.at``, ``np.select``, ``np.put``, ``np.append``,
``np.kron``, ``np.ptp``, ``np.column_stack``, ``triu``/``tril`` of 1-d, ``cumsum(out=)``, bitwise
reduces, ``np.average``, ``np.trapezoid``, ``np.cov``/``np.corrcoef``, the nan-reductions,
``np.linspace``, ``np.searchsorted``, ``np.digitize``, ``np.interp``, ``np.histogram``, ``np.bincount``,
``np.percentile``/``np.quantile``, and complex ``sqrt``/``log``/``power``/trig, ordering and matmul.

In-place functions (``ufunc.at``, ``np.put``, ``out=``) are written as expressions on a copy:
``(lambda t: (np.put(t, ...), t)[1])(x.copy())``. Their rules are those of ``errmodel``;
``stat`` (``np.cov``/``np.corrcoef``) is :func:`stat_err`.
"""
from __future__ import annotations

import math

import numpy as np

from tests.fuzz import errmodel
from tests.fuzz.oprow import NUM, Op

T = 8.0  # ulps allowed for transcendental functions (as in ops.py)
XP = "np.array([-2.0, -0.5, 0.0, 1.0, 3.0])"
FP = "np.array([1.0, -1.0, 0.5, 2.0, 0.0])"


def _inplace(call: str) -> str:
    """An expression running ``call`` (which writes into ``t``) on a copy of operand 0, giving ``t``."""
    return f"(lambda t: ({call}, t)[1])({{0}}.copy())"


LIBRARY = [
    Op("take_along", "np.take_along_axis({0}, np.argsort({0}, {aaxis}, kind='stable'), {aaxis})", rule="discrete",
       group="library", min_ndim=1),
    Op("max_accumulate", "np.maximum.accumulate({0}, {aaxis})", rule="move", group="library", min_ndim=1),
    Op("min_accumulate", "np.minimum.accumulate({0}, {aaxis})", rule="move", group="library", min_ndim=1, weight=0.5),
    Op("mul_accumulate", "np.multiply.accumulate({0}, {aaxis})", rule="reduce:cumprod", group="library", min_ndim=1,
       weight=0.5),
    Op("xor_accumulate", "np.bitwise_xor.accumulate({0}, {aaxis})", kinds="biu", rule="discrete", group="library",
       min_ndim=1, weight=0.3),
    Op("add_at", _inplace("np.add.at(t, {glist}, {lit})"), rule="linear", factor=6.0, group="library", min_ndim=1),
    Op("max_at", _inplace("np.maximum.at(t, {glist}, {lit})"), rule="move", group="library", min_ndim=1, weight=0.5),
    Op("select", "np.select([{0} > 0, {0} < -1], [{0}, {0} * 2], {lit})", kinds="iuf", rule="discrete",
       group="library"),
    Op("put", _inplace("np.put(t, {gflat}, {lit})"), rule="move", group="library", min_ndim=1, weight=0.5),
    Op("append", "np.append({0}, {1})", 2, "biufc", "move", group="library", pair="any", weight=0.5),
    Op("kron", "np.kron({0}, {1})", 2, NUM, "product", group="library", pair="any", weight=0.4),
    Op("ptp", "np.ptp({0}, {raxis}{keepdims})", kinds="iuf", rule="linear", factor=2.0, group="library"),
    Op("column_stack", "np.column_stack([{0}, {1}])", 2, "biufc", "move", group="library", pair="same",
       weight=0.4),
    Op("triu1", "np.triu({0}, {diagk})", rule="move", group="library", kinds="biufc", min_ndim=1, weight=0.4),
    Op("tril1", "np.tril({0})", rule="move", group="library", kinds="biufc", min_ndim=1, weight=0.3),
    Op("cumsum_out", "(lambda t: (np.cumsum({0}, {aaxis}, out=t), t)[1])(np.zeros_like({0}))",
       rule="reduce:cumsum", group="library", min_ndim=1, weight=0.4),
    Op("xor_reduce", "np.bitwise_xor.reduce({0}, {raxis})", kinds="biu", rule="discrete", group="library",
       weight=0.4),
    Op("or_reduce", "np.bitwise_or.reduce({0}, {raxis})", kinds="biu", rule="discrete", group="library",
       weight=0.3),
    Op("and_reduce", "np.bitwise_and.reduce({0}, {raxis})", kinds="biu", rule="discrete", group="library",
       weight=0.3),
    Op("average", "np.average({0}, {raxis})", rule="reduce:mean", group="library", kinds="biufc", weight=0.5),
    Op("average_w", "np.average({0}, axis={axis}, weights=np.arange({0}.shape[{axis}]) % 3 + 1.0)",
       rule="stat", group="library", kinds="iuf", min_ndim=1, weight=0.4),
    Op("trapezoid", "np.trapezoid({0}, {aaxis})", rule="reduce:sum", group="library", kinds="iufc", min_ndim=1,
       weight=0.4),
    Op("cov", "np.cov({0})", rule="stat", group="library", kinds="iuf", min_ndim=1, weight=0.3),
    Op("corrcoef", "np.corrcoef({0})", rule="stat", group="library", kinds="iuf", min_ndim=1, weight=0.2),
    Op("nansum", "np.nansum({0}, {raxes}{keepdims})", rule="reduce:sum", group="library", kinds="iufc", weight=0.5),
    Op("nanmean", "np.nanmean({0}, {raxes})", rule="reduce:mean", group="library", kinds="iuf", weight=0.4),
    Op("nanprod", "np.nanprod({0}, {raxis})", rule="reduce:prod", group="library", kinds="iuf", weight=0.2),
    Op("nanvar", "np.nanvar({0}, {raxis}{ddof})", rule="reduce:var", group="library", kinds="iuf", weight=0.3),
    Op("nanstd", "np.nanstd({0}, {raxis})", rule="reduce:std", group="library", kinds="iuf", weight=0.2),
    Op("nanargmin", "np.nanargmin({0}, {raxis})", rule="reduce:arg", group="library", kinds="iuf", weight=0.3),
    Op("nancumsum", "np.nancumsum({0}, {saxis})", rule="reduce:cumsum", group="library", kinds="iuf", weight=0.3),
    Op("linspace", "np.linspace({0}, {lit}, {num})", kinds="iuf", rule="perturb", ulps=4.0,
       fn="lambda x: np.linspace(x, {lit}, {num})", group="library", weight=0.4),
    Op("searchsorted", "np.searchsorted(np.sort({0}, axis=None, kind='stable'), {1})", 2, "iuf", "discrete",
       group="library", pair="any", weight=0.4),
    Op("digitize", "np.digitize({0}, np.array([-1.0, 0.0, 0.5, 2.0]))", kinds="iuf", rule="discrete",
       group="library", weight=0.3),
    Op("interp", f"np.interp({{0}}, {XP}, {FP})", kinds="iuf", rule="perturb", ulps=4.0,
       fn=f"lambda x: np.interp(x, {XP}, {FP})", group="library", weight=0.4),
    Op("histogram", "np.histogram({0}, bins={nbins}, range=(-2.0, 2.0))[0]", kinds="iuf", rule="discrete",
       group="library", weight=0.3),
    Op("histogram_e", "np.histogram({0}, bins=np.array([-1.0, 0.0, 0.5, 3.0]))[0]", kinds="iuf",
       rule="discrete", group="library", weight=0.2),
    Op("bincount", "np.bincount(({0}.ravel() % 7).astype(np.intp), minlength={nbins})", kinds="biu",
       rule="discrete", group="library", weight=0.3),
    Op("percentile", "np.percentile({0}, {q}, {raxis})", kinds="iuf", rule="linear", factor=2.0, group="library",
       weight=0.3),
    Op("quantile", "np.quantile({0}, [0.25, 0.5], {raxis})", kinds="iuf", rule="linear", factor=2.0,
       group="library", weight=0.2),
    # complex values: the functions issue 17 makes native
    Op("to_complex", "{0} * (1 + 0.5j)", kinds="iuf", fn="lambda x: x * (1 + 0.5j)", group="complex", weight=1.5),
    Op("csqrt", "np.sqrt({0})", kinds="c", fn="np.sqrt", ulps=T, group="complex", weight=1.0),
    Op("clog", "np.log({0})", kinds="c", fn="np.log", ulps=T, group="complex", weight=1.0),
    Op("csin", "np.sin({0})", kinds="c", fn="np.sin", ulps=T, group="complex", weight=1.0),
    Op("ctanh", "np.tanh({0})", kinds="c", fn="np.tanh", ulps=T, group="complex", weight=1.0),
    Op("cpower", "{0} ** {1}", 2, "c", fn="np.power", ulps=T, group="complex", weight=1.0),
    Op("cmaximum", "np.maximum({0}, {1})", 2, "c", "move", group="complex", weight=1.0),
    Op("cclip", "np.clip({0}, {lit}, None)", kinds="c", rule="move", group="complex", weight=1.0),
    Op("csort", "np.sort({0}, {saxis}kind='stable')", kinds="c", rule="discrete", group="complex", weight=1.0),
    Op("cmatmul", "{0} @ {1}", 2, "c", "product", group="complex", pair="matmul", min_ndim=1, weight=1.0),
]

COMPLEX_LIBRARY = {"csqrt", "clog", "csin", "ctanh", "cpower", "cmaximum", "cclip", "csort", "cmatmul", "append",
                   "column_stack", "triu1", "tril1", "average", "trapezoid", "nansum"}


def p_num(rng, vals, p) -> str:
    """The ``num`` of ``np.linspace``."""
    return str(rng.choice(["5", "1", "0", "7", "50"], p=[.4, .15, .05, .3, .1]))


def p_nbins(rng, vals, p) -> str:
    """A number of bins (``np.histogram``), a ``minlength`` (``np.bincount``)."""
    return str(rng.choice(["4", "1", "10", "0"], p=[.5, .15, .3, .05]))


def p_q(rng, vals, p) -> str:
    """Percentiles: one, or a list."""
    return str(rng.choice(["50", "0", "100", "[10, 90]", "37.5"]))


def stat_err(op: Op, values: list, errs: list, out) -> float | None:
    """Error bound of ``np.cov``/``np.corrcoef``/a weighted ``np.average`` of ``values[0]``:
    sums of products over ``n`` observations, compared where the inputs are exact."""
    if any(e != 0 for e in errs) or not errmodel.inexact(out):
        return None if any(e != 0 for e in errs) else 0.0
    x = np.asarray(values[0])
    if x.dtype.kind in "fc" and not np.isfinite(x).all():
        return None  # (which NaN or infinity comes out depends on the order of the terms)
    n = max(x.shape[-1] if x.ndim else 1, 1)
    mag = errmodel.mag_of(x)
    eps = errmodel.eps_of(out)
    if op.name == "average_w":
        return errmodel.rounding(out, 4.0) + 4.0 * eps * mag * min(n, 8.0 * math.sqrt(n))
    if op.name == "cov":
        return 8.0 * eps * mag * mag * (min(n, 8.0 * math.sqrt(n)) + 4)
    out_a = np.asarray(out)  # corrcoef: a quotient of such sums; comparable where the variances are not tiny
    var = np.var(np.atleast_2d(x).astype(np.float64), axis=-1)
    if var.size == 0 or not np.all(var > 1e-3 * mag * mag):
        return None
    return 64.0 * n * eps * max(errmodel.mag_of(out_a), 1.0)
