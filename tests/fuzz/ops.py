"""The operations the fuzzer composes, as data: one row per op.

A row names the op, its source template (``{0}``, ``{1}`` operands; ``{name}`` a
parameter drawn by ``tests/fuzz/params.py``), its arity, the dtype kinds its first
operand may have (``b`` bool, ``i``/``u`` ints, ``f`` float, ``c`` complex), how the other
operands are chosen (``pair``), its error rule (``tests/fuzz/errmodel.py``) and a weight.
To cover a new NumPy function, add a row.
"""
from __future__ import annotations

from tests.fuzz.libops import COMPLEX_LIBRARY, LIBRARY
from tests.fuzz.oprow import ALL, NUM, Op
from tests.fuzz.sciops import SCIPY


def _unary(name: str, kinds: str, ulps: float = 0.0, weight: float = 1.0, tmpl: str = "") -> Op:
    return Op(name, tmpl or f"np.{name}({{0}})", 1, kinds, "perturb", f"np.{name}", ulps, "unary", weight=weight)


def _binary(name: str, kinds: str, symbol: str = "", ulps: float = 0.0, weight: float = 1.0) -> Op:
    tmpl = f"{{0}} {symbol} {{1}}" if symbol else f"np.{name}({{0}}, {{1}})"
    return Op(name + ("_op" if symbol else ""), tmpl, 2, kinds, "perturb", f"np.{name}", ulps, "binary", weight=weight)


T = 8.0  # ulps allowed for transcendental functions (ours against NumPy's)

UNARY = [
    _unary("negative", "iufc", tmpl="-{0}"), _unary("negative", "iufc"), _unary("positive", "iufc", weight=0.3),
    _unary("absolute", ALL, tmpl="abs({0})"), _unary("absolute", ALL, tmpl="np.abs({0})"),
    _unary("fabs", "iuf", weight=0.3), _unary("square", "iufc"), _unary("sqrt", "iuf", 0.0, 1.5),
    _unary("reciprocal", "f"), _unary("exp", "iufc", T, 1.5), _unary("exp2", "iuf", T), _unary("expm1", "iuf", T),
    _unary("log", "iuf", T, 1.5), _unary("log2", "iuf", T), _unary("log10", "iuf", T), _unary("log1p", "iuf", T),
    _unary("sin", "iuf", T, 1.5), _unary("cos", "iuf", T), _unary("tan", "iuf", T, 0.5),
    _unary("arcsin", "iuf", T, 0.5), _unary("arccos", "iuf", T, 0.5), _unary("arctan", "iuf", T),
    _unary("sinh", "iuf", T, 0.5), _unary("cosh", "iuf", T, 0.5), _unary("tanh", "iuf", T, 1.5),
    _unary("arcsinh", "iuf", T, 0.5), _unary("arccosh", "iuf", T, 0.3), _unary("arctanh", "iuf", T, 0.3),
    _unary("cbrt", "iuf", T, 0.5), _unary("floor", "iuf"), _unary("ceil", "iuf"), _unary("trunc", "iuf", weight=0.5),
    _unary("rint", "iuf"), _unary("sign", "iuf"), _unary("signbit", "iuf", weight=0.5), _unary("isnan", ALL),
    _unary("isinf", ALL, weight=0.5), _unary("isfinite", ALL, weight=0.5), _unary("logical_not", NUM, weight=0.5),
    _unary("deg2rad", "iuf", weight=0.2), _unary("radians", "iuf", weight=0.1), _unary("rad2deg", "iuf", weight=0.2),
    _unary("degrees", "iuf", weight=0.1), _unary("invert", "biu", tmpl="~{0}"),
    _unary("conjugate", ALL, weight=0.3, tmpl="np.conj({0})"),
    _unary("conjugate", ALL, weight=0.3, tmpl="{0}.conj()"), _unary("angle", "fc", weight=0.3),
    Op("round", "np.round({0}, {decimals})", kinds="iuf", fn="lambda x: np.round(x, {decimals})", weight=0.7),
    Op("around", "{0}.round({decimals})", kinds="iuf", fn="lambda x: np.round(x, {decimals})", weight=0.3),
    Op("real", "{0}.real", kinds="fc", rule="move", weight=0.4),
    Op("imag", "{0}.imag", kinds="fc", rule="move", weight=0.4),
    Op("real_fn", "np.real({0})", kinds="fc", rule="move", weight=0.2),
    Op("clip_lit", "np.clip({0}, {lo}, {hi})", kinds="iuf", fn="lambda x: np.clip(x, {lo}, {hi})"),
    Op("clip_method", "{0}.clip({lo}, {hi})", kinds="iuf", fn="lambda x: np.clip(x, {lo}, {hi})", weight=0.4),
    Op("astype", "{0}.astype({dtype})", kinds=ALL, rule="astype", weight=2.0),
    Op("astype_guarded", "np.where(np.isnan({0}), 0, np.clip({0}, {ilo}, {ihi})).astype({idtype})", kinds="f",
       rule="astype", weight=1.0),
    Op("astype_same", "{0}.astype({0}.dtype, copy=False)", kinds=ALL, rule="move", weight=0.2),
    Op("copy", "{0}.copy()", kinds=ALL, rule="move", weight=0.4),
    Op("asarray", "np.asarray({0})", kinds=ALL, rule="move", weight=0.3),
    Op("array_copy", "np.array({0})", kinds=ALL, rule="move", weight=0.2),
    Op("ascontig", "np.ascontiguousarray({0})", kinds=ALL, rule="move", weight=0.2),
    Op("scalar_abs", "abs({0})", kinds="if", rule="perturb", fn="np.abs", weight=0.1),
]

BINARY = [
    _binary("add", ALL, "+", weight=3), _binary("subtract", "iufc", "-", weight=2),
    _binary("multiply", ALL, "*", weight=3), _binary("divide", ALL, "/", weight=1.5), _binary("add", ALL),
    _binary("multiply", ALL), _binary("subtract", "iufc"), _binary("floor_divide", "iuf", "//"),
    _binary("remainder", "iuf", "%"), _binary("power", "iuf", "**", T), _binary("power", "iuf", "", T, 0.5),
    _binary("maximum", NUM), _binary("minimum", NUM), _binary("fmax", NUM, weight=0.5),
    _binary("fmin", NUM, weight=0.5), _binary("arctan2", "iuf", ulps=T, weight=0.5),
    _binary("hypot", "iuf", ulps=T, weight=0.5), _binary("logaddexp", "iuf", ulps=T, weight=0.5),
    _binary("copysign", "iuf", weight=0.5), _binary("heaviside", "iuf", weight=0.3),
    _binary("fmod", "iuf", weight=0.5), _binary("greater", NUM, ">"),
    _binary("less", NUM, "<"), _binary("greater_equal", NUM, ">=", weight=0.5),
    _binary("less_equal", NUM, "<=", weight=0.5), _binary("equal", ALL, "=="),
    _binary("not_equal", ALL, "!=", weight=0.5), _binary("logical_and", NUM, weight=0.5),
    _binary("logical_or", NUM, weight=0.5), _binary("logical_xor", NUM, weight=0.3), _binary("bitwise_and", "biu", "&"),
    _binary("bitwise_or", "biu", "|"), _binary("bitwise_xor", "biu", "^", weight=0.5),
    _binary("left_shift", "iu", "<<", weight=0.5), _binary("right_shift", "iu", ">>", weight=0.5),
    Op("isclose", "np.isclose({0}, {1})", 2, NUM, fn="np.isclose", group="binary", weight=0.4),
    Op("clip_arr", "np.clip({0}, {1}, {2})", 3, "iuf", fn="np.clip", group="binary", weight=0.5),
    Op("where", "np.where({0}, {1}, {2})", 3, "b", fn="np.where", group="binary", pair="where", weight=2.0),
    Op("allclose", "np.allclose({0}, {1})", 2, NUM, rule="discrete", group="binary", weight=0.2),
    Op("py_max", "max({0}, {1})", 2, "if", rule="move", group="scalar", pair="scalar", weight=0.2),
]

REDUCE = [
    Op("sum", "{0}.sum({raxes}{keepdims}{sumdtype})", rule="reduce:sum", group="reduce", kinds=ALL, weight=3),
    Op("np_sum", "np.sum({0}, {raxes}{keepdims}{sumdtype})", rule="reduce:sum", group="reduce", kinds=ALL),
    Op("mean", "{0}.mean({raxes}{keepdims})", rule="reduce:mean", group="reduce", kinds=ALL, weight=1.5),
    Op("prod", "{0}.prod({raxes}{keepdims}{sumdtype})", rule="reduce:prod", group="reduce", weight=0.7),
    Op("max", "{0}.max({raxes}{keepdims})", rule="reduce:extreme", group="reduce", weight=1.5),
    Op("min", "np.min({0}, {raxes}{keepdims})", rule="reduce:extreme", group="reduce"),
    Op("amax", "np.amax({0}, {raxes})", rule="reduce:extreme", group="reduce", weight=0.3),
    Op("nanmax", "np.nanmax({0}, {raxes}{keepdims})", rule="reduce:extreme", group="reduce", kinds="iuf", weight=0.4),
    Op("nanmin", "np.nanmin({0}, {raxes}{keepdims})", rule="reduce:extreme", group="reduce", kinds="iuf", weight=0.3),
    Op("argmax", "{0}.argmax({raxis}{keepdims})", rule="reduce:arg", group="reduce", weight=0.7),
    Op("argmin", "np.argmin({0}, {raxis})", rule="reduce:arg", group="reduce", weight=0.7),
    Op("any", "{0}.any({raxes}{keepdims})", rule="reduce:any", group="reduce", weight=0.5),
    Op("all", "np.all({0}, {raxes}{keepdims})", rule="reduce:any", group="reduce", weight=0.5),
    Op("var", "{0}.var({raxes}{ddof}{keepdims})", rule="reduce:var", group="reduce", kinds="iuf", weight=0.7),
    Op("std", "np.std({0}, {raxes}{ddof})", rule="reduce:std", group="reduce", kinds="iuf", weight=0.7),
    Op("add_reduce", "np.add.reduce({0}, {raxis})", rule="reduce:sum", group="reduce", weight=0.3),
    Op("max_reduce", "np.maximum.reduce({0}, {raxis})", rule="reduce:extreme", group="reduce", weight=0.3),
    Op("norm", "np.linalg.norm({0})", rule="reduce:norm", group="reduce", kinds="iuf", weight=0.5),
    Op("norm1", "np.linalg.norm({0}, {normord})", rule="reduce:sum", group="reduce", kinds="iuf", weight=0.3,
       min_ndim=1),
    Op("trace", "np.trace({0})", rule="reduce:sum", group="reduce", weight=0.3, min_ndim=2),
    Op("median", "np.median({0}, {raxis})", rule="linear", group="reduce", kinds="iuf", weight=0.6),
    Op("mask_sum", "{0}[{1}].sum()", 2, rule="reduce:sum", group="mask", pair="mask", kinds=ALL),
    Op("mask_max", "{0}[{1}].max()", 2, rule="reduce:extreme", group="mask", pair="mask", weight=0.5),
    Op("mask_mean", "{0}[{1}].mean()", 2, rule="reduce:mean", group="mask", pair="mask", weight=0.5),
    Op("mask_size", "{0}[{1}].size", 2, rule="discrete", group="mask", pair="mask", weight=0.3),
    Op("mask_any", "{0}[{1}].any()", 2, rule="reduce:any", group="mask", pair="mask", weight=0.2),
    Op("mask_sel", "{0}[{1}]", 2, rule="move", group="mask", pair="mask", weight=0.7, kinds=ALL),
]

SCAN = [
    Op("cumsum", "np.cumsum({0}, {saxis}{sumdtype})", rule="reduce:cumsum", group="scan", weight=1.0),
    Op("cumsum_m", "{0}.cumsum({saxis})", rule="reduce:cumsum", group="scan", weight=0.5),
    Op("cumprod", "np.cumprod({0}, {saxis})", rule="reduce:cumprod", group="scan", weight=0.5),
    Op("accumulate", "np.add.accumulate({0}, {aaxis})", rule="reduce:cumsum", group="scan", weight=0.3, min_ndim=1),
    # NumPy's default sort kind is not stable (ties in any order: -0.0 and 0.0 too); ours
    # always is (README): floats are sorted with kind='stable', ties of ints and bools are equal
    Op("sort", "np.sort({0}, {saxis}kind='stable')", rule="move", group="scan"),
    Op("sort_default", "np.sort({0}, {saxis})", rule="move", group="scan", kinds="biu", weight=0.3),
    Op("argsort", "np.argsort({0}, {saxis}kind='stable')", rule="reduce:arg", group="scan", weight=0.7),
    Op("argsort_m", "{0}.argsort(kind='stable')", rule="reduce:arg", group="scan", weight=0.3),
]

VIEW = [
    Op(n, t, rule="move", group="view", kinds=ALL, min_ndim=d, weight=w) for n, t, d, w in [
        ("rev", "{0}[::-1]", 1, 2), ("rev1", "{0}[:, ::-1]", 2, 1), ("step", "{0}[..., ::2]", 1, 1),
        ("tail", "{0}[1:]", 1, 1), ("head", "{0}[:-1]", 1, 0.5), ("rstep", "{0}[::-2]", 1, 0.5),
        ("new0", "{0}[None]", 0, 0.7), ("new1", "{0}[:, None]", 1, 0.7), ("newl", "{0}[..., None]", 0, 0.5),
        ("T", "{0}.T", 0, 2), ("transpose", "{0}.transpose({perm})", 2, 0.7),
        ("swapaxes", "np.swapaxes({0}, {axis}, {axis2})", 2, 0.5),
        ("moveaxis", "np.moveaxis({0}, {axis}, {axis2})", 2, 0.4), ("flat", "{0}.reshape(-1)", 0, 1),
        ("ravel", "{0}.ravel()", 0, 0.5), ("rows", "{0}.reshape({0}.shape[0], -1)", 1, 0.7),
        ("cols", "{0}.reshape(-1, {0}.shape[-1])", 1, 0.5), ("unit", "{0}.reshape({0}.shape + (1,))", 0, 0.4),
        ("merge", "{0}.reshape(({0}.shape[0] * {0}.shape[1],) + {0}.shape[2:])", 2, 0.4),
        ("split", "{0}.reshape((1,) + {0}.shape)", 0, 0.3), ("expand", "np.expand_dims({0}, {newaxis})", 0, 0.5),
        ("squeeze", "np.squeeze({0})", 0, 0.4), ("squeeze_m", "{0}.squeeze()", 0, 0.2),
        ("bcast", "np.broadcast_to({0}, ({bsize},) + {0}.shape)", 0, 0.7), ("index", "{0}[{bindex}]", 1, 2),
        ("ell", "{0}[..., {bint}]", 1, 0.5), ("atleast2d", "np.atleast_2d({0})", 0, 0.3),
        ("atleast1d", "np.atleast_1d({0})", 0, 0.2), ("diagonal", "np.diagonal({0})", 2, 0.4),
        ("flipax", "np.flip({0}, {axis})", 1, 0.6), ("flipall", "np.flip({0})", 0, 0.3),
        ("fliplr", "np.fliplr({0})", 2, 0.3), ("flipud", "np.flipud({0})", 1, 0.3),
    ]
]

GATHER = [
    Op("gather", "{0}[{glist}]", rule="move", group="gather", kinds=ALL, min_ndim=1, weight=2),
    Op("gather1", "{0}[:, {glist1}]", rule="move", group="gather", kinds=ALL, min_ndim=2),
    Op("take", "np.take({0}, {glist}, axis=0)", rule="move", group="gather", min_ndim=1),
    Op("take_flat", "{0}.take({gflat})", rule="move", group="gather", min_ndim=0, weight=0.5),
    Op("gather2", "{0}[{glist}, {glist1}]", rule="move", group="gather", min_ndim=2, weight=0.5),
    Op("gather_var", "{0}[{1}]", 2, rule="move", group="gather", pair="index", min_ndim=1),
    Op("nonzero", "np.flatnonzero({0})", rule="reduce:arg", group="gather", kinds="biuf", weight=0.3),
    Op("argwhere", "np.argwhere({0})", rule="reduce:arg", group="gather", kinds="biuf", weight=0.2, min_ndim=1),
    Op("nonzero0", "np.nonzero({0})[0]", rule="reduce:arg", group="gather", kinds="biuf", weight=0.2, min_ndim=1),
]

COMPOSITE = [
    Op("roll", "np.roll({0}, {shift}, axis={axis})", rule="move", group="composite", kinds=ALL, min_ndim=1),
    Op("roll_flat", "np.roll({0}, {shift})", rule="move", group="composite", weight=0.4),
    Op("tile", "np.tile({0}, {reps})", rule="move", group="composite", weight=0.6),
    Op("repeat", "np.repeat({0}, {nrep}, axis={axis})", rule="move", group="composite", min_ndim=1, weight=0.6),
    Op("repeat_flat", "np.repeat({0}, {nrep})", rule="move", group="composite", weight=0.3),
    Op("pad", "np.pad({0}, {padw}, mode={padmode})", rule="move", group="composite", min_ndim=1, weight=0.7),
    Op("pad_const", "np.pad({0}, {padw}, constant_values={lit})", rule="move", group="composite", min_ndim=1,
       weight=0.3),
    Op("diag1", "np.diag({0})", rule="move", group="composite", min_ndim=1, weight=0.5),
    Op("diag_k", "np.diag({0}, {diagk})", rule="move", group="composite", min_ndim=1, weight=0.3),
    Op("diff", "np.diff({0}, axis={axis})", rule="linear", factor=2, group="composite", min_ndim=1),
    Op("diff2", "np.diff({0}, n=2)", rule="linear", factor=4, group="composite", min_ndim=1, weight=0.3),
    Op("triu", "np.triu({0}, {diagk})", rule="move", group="composite", min_ndim=2, weight=0.4),
    Op("tril", "np.tril({0})", rule="move", group="composite", min_ndim=2, weight=0.4),
    Op("concat", "np.concatenate([{0}, {1}], axis={axis})", 2, ALL, "move", group="composite", pair="concat",
       min_ndim=1),
    Op("concat3", "np.concatenate([{0}, {1}, {0}])", 2, ALL, "move", group="composite", pair="concat0", min_ndim=1,
       weight=0.3),
    Op("stack", "np.stack([{0}, {1}], axis={newaxis})", 2, ALL, "move", group="composite", pair="same"),
    Op("array_list", "np.array([{0}, {1}])", 2, ALL, "move", group="composite", pair="same", weight=0.4),
    Op("hstack", "np.hstack([{0}, {1}])", 2, NUM, "move", group="composite", pair="concatl", min_ndim=1, weight=0.3),
    Op("vstack", "np.vstack([{0}, {1}])", 2, NUM, "move", group="composite", pair="concat0", min_ndim=1, weight=0.3),
    Op("meshgrid", "np.meshgrid({0}, {1})[{bit}]", 2, NUM, "move", group="composite", pair="vec", min_ndim=1,
       weight=0.2),
]

LINALG = [
    Op("matmul", "{0} @ {1}", 2, NUM, "product", group="linalg", pair="matmul", min_ndim=1, weight=2),
    Op("dot", "np.dot({0}, {1})", 2, NUM, "product", group="linalg", pair="matmul", min_ndim=1),
    Op("matmul_fn", "np.matmul({0}, {1})", 2, NUM, "product", group="linalg", pair="matmul", min_ndim=1, weight=0.5),
    Op("outer", "np.outer({0}, {1})", 2, NUM, "product", group="linalg", pair="any", weight=0.4),
    Op("ufunc_outer", "np.multiply.outer({0}, {1})", 2, NUM, "product", group="linalg", pair="vec", min_ndim=1,
       weight=0.2),
    Op("einsum2", "np.einsum({esub2}, {0}, {1})", 2, NUM, "product", group="linalg", pair="einsum", min_ndim=1),
    Op("einsum1", "np.einsum({esub1}, {0})", 1, NUM, "product", group="linalg", min_ndim=1, weight=0.7),
]

CREATE = [
    Op("zeros_like", "np.zeros_like({0})", rule="move", group="create", kinds=ALL, weight=0.5),
    Op("ones_like", "np.ones_like({0}, dtype={dtype})", rule="move", group="create", kinds=ALL, weight=0.5),
    Op("full_like", "np.full_like({0}, {lit})", rule="move", group="create", weight=0.5),
    Op("zeros", "np.zeros({0}.shape, {dtype})", rule="move", group="create", kinds=ALL, weight=0.5),
    Op("ones", "np.ones({0}.shape[-1:])", rule="move", group="create", kinds=ALL, weight=0.3),
    Op("full", "np.full({0}.shape, {lit}, dtype={dtype})", rule="move", group="create", kinds=ALL, weight=0.3),
    Op("arange_n", "np.arange({0}.shape[0])", rule="move", group="create", kinds=ALL, min_ndim=1, weight=0.4),
    Op("arange_like", "np.arange({0}.size, dtype={dtype}).reshape({0}.shape)", rule="move", group="create", kinds=ALL,
       weight=0.4),
    Op("arange", "np.arange({alo}, {ahi}, {astep})", 0, rule="move", group="create", pair="none", weight=0.3),
    Op("const", "np.ones(({bsize}, {bsize}))", 0, rule="move", group="create", pair="none", weight=0.1),
]

ALL_OPS = UNARY + BINARY + REDUCE + SCAN + VIEW + GATHER + COMPOSITE + LINALG + CREATE + LIBRARY + SCIPY

GROUP_WEIGHTS = {"unary": 2.0, "binary": 3.0, "reduce": 1.6, "mask": 0.5, "scan": 0.5, "view": 1.2, "gather": 0.6,
                 "composite": 0.8, "linalg": 0.6, "create": 0.25, "scalar": 0.1, "library": 0.7,
                 "complex": 0.5}
if SCIPY:  # SciPy calls (tests/fuzz/sciops.py): weight 0 keeps the default mix's programs as they were
    GROUP_WEIGHTS["scipy"] = 0.0

# kinds of elements complex values support (README: the rest raises UnsupportedError)
COMPLEX_OK = {"negative", "positive", "absolute", "square", "exp", "isnan", "isinf", "isfinite", "conjugate", "angle",
              "real", "imag", "real_fn", "astype", "astype_same", "copy", "add", "subtract", "multiply", "divide",
              "add_op", "subtract_op", "multiply_op", "divide_op", "equal_op", "not_equal_op", "where", "sum", "np_sum",
              "mean", "mask_sum", "mask_sel", "zeros_like", "ones_like", "zeros", "full", "concat", "concat3", "stack"}
COMPLEX_OK |= {op.name for op in VIEW} - {"flipax", "flipall", "fliplr", "flipud"}
COMPLEX_OK |= {"asarray", "array_copy", "ascontig", "array_list"}
COMPLEX_OK |= {"gather", "gather1", "gather_var", "arange_like"}
COMPLEX_OK |= COMPLEX_LIBRARY
