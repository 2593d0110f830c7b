"""Reporting retraces of a jitted function (``frontend/api.py``): what changed in the
signature (``TRACEJIT_LOG=retrace``), and a warning once a function keeps being traced again."""
from __future__ import annotations

import warnings
from typing import Callable


def describe_change(old_key: tuple, new_key: tuple) -> str:
    """What differs between cache keys ``old_key`` and ``new_key``, one ``name: before -> after`` per part."""
    old = {part[0]: part for part in old_key or ()}  # (None: only refused signatures before)
    changes = []
    for part in new_key:
        name = part[0]
        before = old.get(name)
        if before != part:
            changes.append(f"{name}: {_fmt_key(before)} -> {_fmt_key(part)}")
    return "; ".join(changes) or "no previous signature"


RETRACE_WARNING = 8  # retraces of one function before a warning says so (once)


def warn_retraces(fun: Callable, change: str) -> None:
    """Say once that ``fun`` keeps being traced again, what changed last, and the fixes."""
    warnings.warn(
        f"tracejit: {fun.__qualname__} was traced {RETRACE_WARNING + 1} times, once per new signature "
        f"(last change: {change}). Each new shape, dtype, layout or static value traces again "
        "(and compiles, unless only sizes changed and code of that structure is loaded). "
        "Python numbers are traced unless the function needs their value (if, a shape, an "
        "index): then they are static, and each new value traces again; pass such a value "
        "through an array computation instead, or keep it fixed; if shapes vary, pad them to a "
        "few sizes; keep static_argnames for values that rarely change. A number read from a global or "
        "closure traces again when it changes, an array read from one when its shape or dtype changes: "
        "pass such values as arguments instead. "
        "TRACEJIT_LOG=retrace logs every retrace with its reason.", RuntimeWarning, stacklevel=4)


def _fmt_key(part) -> str:
    if part is None:
        return "absent"
    if part[1] == "static":
        return f"static {_static_value(part[2])!r}"
    if part[1] == "aliases":
        return "the same array passed as " + ", ".join(f"arrays {i} and {j}" for i, j in part[2])
    shown = []
    for leaf in part[2]:
        if leaf[0] == "static":
            shown.append(repr(_static_value(leaf[1:])))
        else:
            shape, dtype, strides, scalar, weak = leaf
            if weak is not None:
                shown.append(f"Python {weak.__name__}")
                continue
            shown.append(("scalar " if scalar else "") + f"{dtype}{list(shape)}"
                         + (f" strides {strides}" if strides else ""))
    return ", ".join(shown)


def _static_value(key):
    """The value a static cache-key part (see signature.static_key) stands for."""
    t, v = key
    if t is float:
        return float.fromhex(v)
    if t in (tuple, list):
        return t(_static_value(k) for k in v)
    return v
