"""Fuzz harness: build a program's inputs from specs, run it eagerly and jitted, compare.

Standalone on purpose (NumPy, tracejit and the standard library only): its source is
embedded in every generated program, so a repro file runs alone with ``python FILE``.

Comparison rules (few false positives, documented in docs/design.md "Fuzzer"):
- structure (tuple/list/dict nesting), then per leaf its kind (Python scalar, NumPy
  scalar, ndarray), dtype (byte order ignored) and shape must be equal;
- values: each leaf has an error bound ``err`` computed by the generator from the ops
  that produced it (``tests/fuzz/errmodel.py``): 0 means bit-exact (NaN equal to NaN, the
  sign of zero ignored), a float means ``|jit - eager| <= err + 4 eps |eager|`` where both
  are finite (NaN and infinity positions must match), None means "not comparable"
  (a discrete decision on an inexact value); dtype and shape are still compared;
- arguments are compared after every call the same way (in-place updates);
- results of earlier calls are compared again after the last call (outputs reused
  or overwritten by a later call).
"""
from __future__ import annotations

import math
import traceback
import warnings

import numpy as np

CLASSES = ("crash", "hang", "internal-error", "wrong-exception", "wrong-shape", "wrong-dtype",
           "wrong-value", "wrong-mutation", "unsupported", "ok")

# -- inputs -----------------------------------------------------------------------------------


def _edges(dtype: np.dtype) -> list:
    """Edge values of a dtype: NaN, infinities, -0.0, extremes, subnormals, int limits."""
    if dtype.kind == "f":
        info = np.finfo(dtype)
        return [np.nan, np.inf, -np.inf, -0.0, 0.0, info.max, -info.max, info.smallest_subnormal,
                info.tiny, {2: 1e4, 4: 1e30}.get(dtype.itemsize, 1e300), 0.5, -1.0]
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return [info.min, info.max, 0, 1, info.max - 1] + ([-1, info.min + 1] if dtype.kind == "i" else [])
    return [True, False]


def fill_values(rng, dtype: np.dtype, n: int, fill: str, edges: float) -> np.ndarray:
    """``n`` values of ``dtype``: ``fill`` picks the distribution, ``edges`` the fraction
    of edge values mixed in."""
    if dtype.kind == "c":
        part = np.dtype(f"f{dtype.itemsize // 2}")
        return (fill_values(rng, part, n, fill, edges) + 1j * fill_values(rng, part, n, fill, edges)).astype(dtype)
    if dtype.kind == "b":
        values = rng.random(n) < 0.5
    elif dtype.kind in "iu":
        info = np.iinfo(dtype)
        if fill == "wide":
            values = rng.integers(info.min, info.max, n, endpoint=True, dtype=dtype)
        else:
            values = rng.integers(0 if dtype.kind == "u" else -9, 10, n).astype(dtype)
    elif fill == "int":
        values = rng.integers(-9, 10, n).astype(dtype)
    elif fill == "unit":
        values = rng.uniform(0.05, 0.95, n).astype(dtype)
    elif fill == "wide":
        values = (rng.standard_normal(n) * 10.0 ** rng.integers(-6, 7, n)).astype(dtype)
    else:
        values = rng.standard_normal(n).astype(dtype)
    if edges and n:
        where = rng.random(n) < edges
        pool = np.array(_edges(dtype), dtype=dtype)
        values[where] = pool[rng.integers(0, len(pool), int(where.sum()))]
    return values


def make_array(spec: dict) -> np.ndarray:
    """The array a spec describes: dtype, shape, fill and memory layout."""
    dtype, shape = np.dtype(spec["dtype"]), tuple(spec["shape"])
    rng = np.random.default_rng(spec["seed"])
    values = fill_values(rng, dtype, math.prod(shape), spec.get("fill", "normal"), spec.get("edges", 0.0))
    base = values.reshape(shape)
    layout = spec.get("layout", "C")
    if layout == "C":
        out = base.copy()
    elif layout == "F":
        out = np.asfortranarray(base)
    elif layout == "T":  # a transposed view of a C array
        out = np.ascontiguousarray(base.T).T
    elif layout == "neg":  # every axis reversed
        flip = (slice(None, None, -1),) * base.ndim
        out = base[flip].copy()[flip]
    elif layout == "step":  # every other element of a larger array, on the last axis
        big = np.zeros(shape[:-1] + (2 * shape[-1] + 1,), dtype) if shape else np.zeros((), dtype)
        out = big[..., 1::2] if shape else big
        out[...] = base
    elif layout == "mis":  # data pointer not aligned to the item size
        raw = np.zeros(base.nbytes + dtype.itemsize + 1, np.uint8)
        out = raw[1:1 + base.nbytes].view(dtype).reshape(shape)
        out[...] = base
    elif layout == "ro":
        out = base.copy()
        out.flags.writeable = False
    elif layout == "be":
        out = base.astype(dtype.newbyteorder(">"))
    elif layout == "bcast":  # row 0 broadcast along axis 0 (read-only, stride 0)
        out = np.broadcast_to(base[:1] if base.ndim else base, shape)
    else:
        raise ValueError(f"unknown layout {layout!r}")
    return out


def build_args(specs: list) -> list:
    """The arguments of one call, built fresh (two builds are equal, aliasing included)."""
    args: list = []
    for spec in specs:
        kind = spec["kind"]
        if kind == "array":
            args.append(make_array(spec))
        elif kind == "py":
            args.append({"float": float, "int": int, "bool": lambda s: s == "True"}[spec["type"]](spec["value"]))
        elif kind == "npscalar":
            args.append(np.dtype(spec["dtype"]).type(spec["value"]))
        elif kind == "same":
            args.append(args[spec["of"]])
        elif kind == "view":
            args.append(eval("x" + spec["index"], {"x": args[spec["of"]], "np": np}))  # noqa: S307
        elif kind == "generator":  # a fresh np.random.Generator per build (so eager and jit draw alike)
            args.append(np.random.default_rng(spec["seed"]))
        elif kind == "generators":  # a list of them (a pytree argument)
            args.append([np.random.default_rng(s) for s in spec["seeds"]])
        elif kind == "captured":  # not an argument: a module global generator, reset before each run
            continue
        else:
            raise ValueError(f"unknown argument kind {kind!r}")
    return args


# -- comparison -------------------------------------------------------------------------------


def flatten(value, path: str = "out") -> tuple[list, list]:
    """Leaves and the structure of nested tuples/lists/dicts, depth first."""
    if isinstance(value, (tuple, list)):
        leaves, shape = [], []
        for i, item in enumerate(value):
            sub_leaves, sub_shape = flatten(item, f"{path}[{i}]")
            leaves += sub_leaves
            shape.append(sub_shape)
        return leaves, [type(value).__name__, shape]
    if isinstance(value, dict):
        leaves, shape = [], []
        for key in value:
            sub_leaves, sub_shape = flatten(value[key], f"{path}[{key!r}]")
            leaves += sub_leaves
            shape.append((key, sub_shape))
        return leaves, ["dict", shape]
    return [(path, value)], "leaf"


def _kind(x) -> str:
    if isinstance(x, np.ndarray):
        return "ndarray"
    if isinstance(x, np.generic):
        return "numpy scalar"
    if isinstance(x, (bool, int, float, complex)):
        return "Python " + type(x).__name__
    return type(x).__name__


def _eps(dtype: np.dtype) -> float:
    if dtype.kind == "c":
        dtype = np.dtype(f"f{dtype.itemsize // 2}")
    return float(np.finfo(dtype).eps) if dtype.kind == "f" else 0.0


def _values_differ(a: np.ndarray, e: np.ndarray, err: float) -> str | None:
    """Why values ``a`` (jit) and ``e`` (eager) differ beyond ``err``, or None."""
    if e.dtype.kind == "c":
        return _values_differ(a.real, e.real, err) or _values_differ(a.imag, e.imag, err)
    if e.dtype.kind != "f":
        bad = a != e
    else:
        a64, e64 = a.astype(np.float64), e.astype(np.float64)
        nan_a, nan_e = np.isnan(a64), np.isnan(e64)
        bad = nan_a != nan_e
        both = ~nan_a & ~nan_e
        if err:
            finite = np.isfinite(a64) & np.isfinite(e64)
            with np.errstate(all="ignore"):
                close = np.abs(a64 - e64) <= err + 4 * _eps(e.dtype) * np.abs(e64)
            bad |= both & ~((a64 == e64) | (finite & close))
        else:
            bad |= both & (a64 != e64)
    if not np.any(bad):
        return None
    bad = np.asarray(bad)
    first = tuple(int(i) for i in np.argwhere(bad)[0]) if bad.ndim else ()
    return (f"{int(bad.sum())} of {bad.size} elements differ (tolerance {err:g}); first at {first}: "
            f"jit {np.asarray(a)[first]!r} vs eager {np.asarray(e)[first]!r}")


def compare_leaf(a, e, err) -> tuple[str, str] | None:
    """(class, message) when jit leaf ``a`` differs from eager leaf ``e``, else None."""
    ka, ke = _kind(a), _kind(e)
    if {ka[:6], ke[:6]} == {"Python", "numpy "}:  # documented: a traced scalar comes back as a NumPy scalar
        py, other = (a, e) if ka.startswith("Python") else (e, a)
        if isinstance(py, int) and not isinstance(py, bool) and not -2**63 <= py < 2**64:
            return "wrong-value", f"{a!r} vs eager {e!r} (a Python int beyond 64 bits)"
        if np.asarray(py).dtype != other.dtype:
            return "wrong-dtype", f"{ka} {a!r} where NumPy returns a {ke} {e!r}"
        ka = ke = "numpy scalar"
        a, e = np.asarray(a)[()], np.asarray(e)[()]
    if ka != ke:
        if {ka, ke} == {"numpy scalar", "ndarray"}:
            return "wrong-shape", f"{ka} where NumPy returns a {ke}"
        if ka.startswith("Python") or ke.startswith("Python"):
            return "wrong-dtype", f"{ka} where NumPy returns a {ke} ({a!r} vs {e!r})"
        return "wrong-shape", f"{ka} where NumPy returns {ke}"
    if ke.startswith("Python"):
        if err is not None and not _values_close_scalar(a, e, err):
            return "wrong-value", f"{a!r} vs eager {e!r}"
        return None
    if ke not in ("ndarray", "numpy scalar"):
        return None if a == e else ("wrong-value", f"{a!r} vs eager {e!r}")
    a_arr, e_arr = np.asarray(a), np.asarray(e)
    if a_arr.dtype.newbyteorder("=") != e_arr.dtype.newbyteorder("="):
        return "wrong-dtype", f"dtype {a_arr.dtype} vs eager {e_arr.dtype}"
    if a_arr.shape != e_arr.shape:
        return "wrong-shape", f"shape {a_arr.shape} vs eager {e_arr.shape}"
    if err is None:
        return None
    why = _values_differ(a_arr, e_arr, err)
    return ("wrong-value", why) if why else None


def _values_close_scalar(a, e, err: float) -> bool:
    if isinstance(e, float) and isinstance(a, float):
        return _values_differ(np.array(a), np.array(e), err) is None
    if isinstance(e, complex) and isinstance(a, complex):
        return _values_differ(np.array(a), np.array(e), err) is None
    return a == e


def compare_results(actual, expected, errs: list) -> tuple[str, str] | None:
    """(class, message) for the first difference between two results, else None."""
    a_leaves, a_tree = flatten(actual)
    e_leaves, e_tree = flatten(expected)
    if a_tree != e_tree:
        return "wrong-shape", f"result structure {a_tree} vs eager {e_tree}"
    for (path, a), (_, e), err in zip(a_leaves, e_leaves, list(errs) + [None] * len(e_leaves)):
        found = compare_leaf(a, e, err)
        if found:
            return found[0], f"{path}: {found[1]}"
    return None


# -- exceptions -------------------------------------------------------------------------------

_FAMILIES = (IndexError, KeyError, ValueError, TypeError, ArithmeticError, NotImplementedError,
             AttributeError)


def related_exceptions(jit_error: BaseException, eager_error: BaseException) -> bool:
    """Whether the jit's exception is of a type related to eager's (same family)."""
    if isinstance(jit_error, type(eager_error)) or isinstance(eager_error, type(jit_error)):
        return True
    return any(isinstance(jit_error, fam) and isinstance(eager_error, fam) for fam in _FAMILIES)


def _describe(error: BaseException) -> str:
    return f"{type(error).__module__}.{type(error).__qualname__}: {str(error)[:400]}"


def _tail(error: BaseException) -> str:
    return "".join(traceback.format_exception(type(error), error, error.__traceback__)[-12:])[-3000:]


def classify_exceptions(tj, e_exc, j_exc) -> dict | None:
    """A verdict when either side raised, else None (results to compare)."""
    allowed = (tj.UnsupportedError, tj.TracerConversionError)
    if e_exc is None and j_exc is None:
        return None
    if e_exc is None:
        if isinstance(j_exc, allowed):  # "located": the message names the user's line
            return {"class": "unsupported", "message": _describe(j_exc), "located": "(at " in str(j_exc)}
        return {"class": "internal-error", "message": _describe(j_exc), "traceback": _tail(j_exc)}
    if j_exc is None:
        return {"class": "wrong-exception", "message": f"eager raised {_describe(e_exc)}; jit returned"}
    if related_exceptions(j_exc, e_exc):
        return {"class": "ok", "message": f"both raised {type(e_exc).__name__}"}
    if isinstance(j_exc, tj.UnsupportedError):
        return {"class": "unsupported", "message": _describe(j_exc)}
    return {"class": "wrong-exception", "traceback": _tail(j_exc),
            "message": f"eager raised {_describe(e_exc)}; jit raised {_describe(j_exc)}"}


# -- running ----------------------------------------------------------------------------------


def _run(fn, args):
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            warnings.filterwarnings("always", message="tracejit: the native handler of")
            return fn(*args), None
    except Exception as error:  # noqa: BLE001 - every exception is data here
        return None, error


def _run_jit(fn, args):
    """``_run`` of the jitted function, and the message of a handler failure tracejit
    warned about (``frontend/handlerfail.py``: run as a host call, still a bug), or None."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result, error = _run(fn, args)
    failed = [str(w.message) for w in caught if str(w.message).startswith("tracejit: the native handler of")]
    return result, error, (failed[0] if failed else None)


def _quietly(fn, args):
    """``fn(*args)``, or None when it raises."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return fn(*args)
    except Exception:  # noqa: BLE001 - only asked what the call ran
        return None


def reset_captured(f, specs: list) -> None:
    """Put the module global generators ``f`` reads (``captured`` specs) in their call's state."""
    for spec in specs:
        if spec["kind"] == "captured":
            fresh = np.random.default_rng(spec["seed"]).bit_generator.state
            f.__globals__[spec["name"]].bit_generator.state = fresh


def generator_states(args: list, f=None, specs: list = ()) -> list:
    """The states of the generators among ``args`` (and in lists there), then of ``f``'s captured ones."""
    found = [a for a in args if isinstance(a, np.random.Generator)]
    found += [g for a in args if isinstance(a, list) for g in a if isinstance(g, np.random.Generator)]
    found += [f.__globals__[s["name"]] for s in specs if s["kind"] == "captured"]
    return [repr(g.bit_generator.state) for g in found]


def _compare_args(j_args: list, e_args: list, errs: list) -> tuple[str, str] | None:
    for i, (a, e) in enumerate(zip(j_args, e_args)):
        if not isinstance(e, np.ndarray):
            continue
        err = errs[i] if i < len(errs) else None
        found = compare_leaf(a, e, err)
        if found:
            return "wrong-mutation", f"argument {i} after the call: {found[1]}"
    return None


def run_check(f, specs: list, expect: list) -> dict:
    """Run ``f`` eagerly and under ``tj.jit`` for every call's inputs; the verdict."""
    import tracejit as tj
    from tracejit.frontend.eagerfallback import EagerFallback
    g = tj.jit(f)
    kept = []
    for call, (call_specs, exp) in enumerate(zip(specs, expect)):
        e_args, j_args = build_args(call_specs), build_args(call_specs)
        reset_captured(f, call_specs)
        e_res, e_exc = _run(f, e_args)
        e_states = generator_states(e_args, f, call_specs)
        reset_captured(f, call_specs)
        j_res, j_exc, handler_failure = _run_jit(g, j_args)
        j_states = generator_states(j_args, f, call_specs)
        verdict = classify_exceptions(tj, e_exc, j_exc)
        found = None
        if j_exc is None and verdict is None:  # (compared before lower() traces again)
            found = compare_results(j_res, e_res, exp["out"]) or _compare_args(j_args, e_args, exp["args"])
            if not found and j_states != e_states:
                found = ("wrong-mutation", "a generator's state after the call differs from eager's")
        if j_exc is None and verdict is None and not found:  # refused, so run eagerly (eagerfallback.py): unsupported
            lowered = _quietly(g.lower, j_args) if hasattr(g, "lower") else None
            if isinstance(lowered, EagerFallback):
                verdict = {"class": "unsupported", "message": lowered.fallbacks[0][2][:400],
                           "located": lowered.loc is not None}
        if handler_failure and (verdict is None or verdict["class"] == "ok"):
            verdict = {"class": "internal-error", "message": handler_failure}
        if verdict is None:
            verdict = {"class": found[0], "message": found[1]} if found else {"class": "ok"}
            kept.append((call, j_res, e_res, exp["out"]))
        if verdict["class"] != "ok":
            return dict(verdict, call=call)
    for call, j_res, e_res, errs in kept:
        found = compare_results(j_res, e_res, errs)
        if found:
            return {"class": "wrong-value", "call": call,
                    "message": f"result of call {call} changed by a later call: {found[1]}"}
    return {"class": "ok"}


def main(f, specs: list, expect: list) -> None:
    """Entry point of a repro file: run the check, print the verdict, exit 1 on a bug."""
    import sys
    warnings.simplefilter("ignore")
    verdict = run_check(f, specs, expect)
    print(verdict.get("class"), "call", verdict.get("call"), verdict.get("message", ""))
    if verdict.get("traceback"):
        print(verdict["traceback"])
    sys.exit(0 if verdict["class"] in ("ok", "unsupported") else 1)
