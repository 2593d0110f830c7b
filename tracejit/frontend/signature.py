"""Turning call arguments into a cache key and the list of arrays the compiled code reads.

Arrays (``ndarray`` and NumPy scalars) are traced: the key holds their shape, dtype and
layout (C-contiguous, or the exact strides). Everything else is static: Python scalars,
strings, None and the values named in ``static_argnames``/``static_argnums`` are part of
the key and fixed in the trace.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass

import numpy as np

from tracejit.compiler.dtypes import AVal, check_supported
from tracejit.compiler.layout import StridedView
from tracejit.frontend.tree import flatten


@dataclass(frozen=True)
class ArraySpec:
    """What the compiled code assumes about one array argument."""

    name: str
    aval: AVal
    strides: tuple[int, ...] | None  # element strides, None for C-contiguous
    scalar: bool = False  # a NumPy scalar (np.float32(2)), not a 0-d array

    def view(self) -> StridedView:
        if self.strides is None:
            return StridedView.contiguous(self.aval.shape)
        return StridedView(self.aval.shape, self.strides, 0)

    def key(self):
        return (self.aval.shape, self.aval.dtype.str, self.strides, self.scalar)


class NestedTrace(Exception):
    """Raised when a jitted function is called on tracers (from inside another trace)."""


class _Array:
    """Placeholder for a traced leaf inside the static part of the key."""

    __slots__ = ()

    def __repr__(self):
        return "<array>"


ARRAY = _Array()


def prepare_array(value, name: str) -> tuple[np.ndarray, ArraySpec]:
    """Check an array argument and bring it to a layout kernels can read: native byte
    order, aligned, strides a multiple of the item size (copying only when needed)."""
    arr = np.asarray(value)
    if arr.dtype.kind == "O":
        raise TypeError(f"argument '{name}': object arrays are not supported")
    check_supported(arr.dtype.newbyteorder("=") if arr.dtype.byteorder not in "=|" else arr.dtype,
                    f"argument '{name}'")
    if arr.dtype.byteorder not in "=|":
        arr = arr.astype(arr.dtype.newbyteorder("="))
    item = arr.dtype.itemsize
    if not arr.flags.aligned or any(s % item for s in arr.strides):
        arr = np.ascontiguousarray(arr)
    if arr.flags.c_contiguous or arr.size == 0:
        strides = None
    else:
        strides = StridedView(arr.shape, tuple(s // item for s in arr.strides)).normalized().strides
    return arr, ArraySpec(name, AVal(arr.shape, arr.dtype), strides, isinstance(value, np.generic))


def leaf_is_array(x) -> bool:
    return isinstance(x, (np.ndarray, np.generic))


def _check_hashable(value, name: str) -> None:
    try:
        hash(value)
    except TypeError:
        raise TypeError(f"argument '{name}' is static (not an array) and must be hashable, "
                        f"got {type(value).__name__}; pass arrays as NumPy arrays") from None


_NAN = ("nan",)


def static_key(value):
    """A cache-key part for a static value that tells apart what compares equal but
    traces differently: 1, 1.0 and True; 0.0 and -0.0; NaN (equal to nothing)."""
    t = type(value)
    if t is float:
        return (float, value.hex())
    if t in (tuple, list):
        return (t, tuple(static_key(v) for v in value))
    if t is frozenset:
        return (t, frozenset(static_key(v) for v in value))
    return (t, value)


def _leaf_name(base: str, treedef, index: int) -> str:
    return base if treedef.kind == "leaf" else f"{base}[{index}]"


@dataclass
class BoundCall:
    """A call split into its cache key, the arrays to pass and their specs."""

    key: tuple
    arrays: list
    specs: list
    static_args: dict  # name -> (static value, or the nest with ARRAY placeholders)


def bind(pysig: inspect.Signature, static: frozenset, args, kwargs) -> BoundCall:
    """Split ``args``/``kwargs`` of a call into static key parts and traced arrays."""
    bound = pysig.bind(*args, **kwargs)  # defaults stay with the function, like captured values
    key_parts, arrays, specs, statics = [], [], [], {}
    for name, value in bound.arguments.items():
        kind = pysig.parameters[name].kind
        if name in static:
            _check_hashable(value, name)
            key_parts.append((name, "static", static_key(value)))
            statics[name] = value
            continue
        if kind == inspect.Parameter.VAR_KEYWORD:
            value = dict(sorted(value.items()))
        leaves, treedef = flatten(value)
        leaf_keys = []
        for i, leaf in enumerate(leaves):
            leaf_name = _leaf_name(name, treedef, i)
            if type(leaf).__name__ == "Tracer" and type(leaf).__module__ == "tracejit.frontend.tracer":
                raise NestedTrace()
            if leaf_is_array(leaf):
                arr, spec = prepare_array(leaf, leaf_name)
                arrays.append(arr)
                specs.append(spec)
                leaf_keys.append(spec.key())
            else:
                _check_hashable(leaf, leaf_name)
                leaf_keys.append(("static", *static_key(leaf)))
        key_parts.append((name, treedef, tuple(leaf_keys)))
        statics[name] = (treedef, [ARRAY if leaf_is_array(x) else x for x in leaves])
    return BoundCall(tuple(key_parts), arrays, specs, statics)


def positional_fast_key(args, nparams: int):
    """The cache key of a call made only with positional C-contiguous arrays and Python
    scalars (the common case), without binding the signature; None to take the full path."""
    if len(args) != nparams:
        return None
    parts = []
    for x in args:
        t = type(x)
        if t is np.ndarray:
            flags = x.flags
            if not (flags.c_contiguous and flags.aligned and x.dtype.isnative) or x.dtype.kind == "O":
                return None
            parts.append((x.shape, x.dtype))
        elif t in (float, int, bool):
            parts.append(static_key(x))
        else:
            return None
    return tuple(parts)
