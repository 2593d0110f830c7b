"""Turning call arguments into a cache key and the list of arrays the compiled code reads.

Arrays (``ndarray`` and NumPy scalars) are traced: the key holds their shape, dtype and
layout (C-contiguous, or the exact strides). Python ``float``, ``int`` (within int64)
and ``bool`` arguments are traced too, as NumPy 2 weak scalars (the key holds only their
type, so a new learning rate does not retrace); one whose value the function needs
(``if``, a shape, an index) is made static by ``tj.jit`` from then on. Everything else is
static: strings, None, other objects and the values named in ``static_argnames``/
``static_argnums`` are part of the key and fixed in the trace. NumPy random generators are
run-time operands keyed by type (``frontend/rngargs.py``).
"""
from __future__ import annotations

import dataclasses
import inspect
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from tracejit.compiler.dtypes import AVal, check_supported
from tracejit.compiler.layout import StridedView
from tracejit.errors import ControlException, user_error
from tracejit.frontend.complex.boundary import pair_view
from tracejit.frontend.randomness import is_generator
from tracejit.frontend.rngargs import ArgGenerator, generator_key
from tracejit.frontend.rngslots import NO_GENERATORS, CallGenerators, GeneratorArg
from tracejit.frontend.tree import flatten


@dataclass(frozen=True)
class ArraySpec:
    """What the compiled code assumes about one array argument."""

    name: str
    aval: AVal
    strides: tuple[int, ...] | None  # element strides, None for C-contiguous
    scalar: bool = False  # a NumPy scalar (np.float32(2)), not a 0-d array
    weak: type | None = None  # a Python float, int or bool argument (traced as a weak scalar)
    complex_dtype: np.dtype | None = None  # a complex array, passed as its float pair view (complex/boundary.py)

    def view(self) -> StridedView:
        """The argument's layout as the compiled code reads it."""
        if self.strides is None:
            return StridedView.contiguous(self.aval.shape)
        return StridedView(self.aval.shape, self.strides, 0)

    def key(self) -> tuple:
        """The argument's part of the cache key: shape, dtype, strides, scalar and weak type."""
        if self.complex_dtype is not None:  # keyed (and shown in retrace logs) as the complex array
            return (self.aval.shape[:-1], self.complex_dtype.str, self.strides, self.scalar, self.weak)
        return (self.aval.shape, self.aval.dtype.str, self.strides, self.scalar, self.weak)


class NestedTrace(ControlException):
    """Raised when a jitted function is called on tracers (from inside another trace)."""


class _Array:
    """Placeholder for a traced leaf inside the static part of the key."""

    __slots__ = ()

    def __repr__(self):
        return "<array>"


ARRAY = _Array()


def prepare_array(value: Any, name: str) -> tuple[np.ndarray, ArraySpec]:
    """Check an array argument and bring it to a layout kernels can read: native byte
    order, aligned, strides a multiple of the item size (copying only when needed). A
    ``np.matrix`` or masked array is refused: their operations differ from ndarray's."""
    masked = sys.modules.get("numpy.ma")  # (not imported: no masked array exists)
    if isinstance(value, np.matrix) or (masked is not None and isinstance(value, masked.MaskedArray)):
        raise user_error(TypeError(f"argument '{name}' is a {type(value).__module__}.{type(value).__name__}, "
                                   "whose operations differ from ndarray's (tracejit compiles ndarray's): "
                                   f"pass np.asarray({name}) or run the function eagerly"))
    arr = np.asarray(value)
    if arr.dtype.kind == "c":
        return _prepare_complex(value, arr, name)
    if arr.dtype.kind == "O":
        raise user_error(TypeError(f"argument '{name}': object arrays are not supported"))
    check_supported(arr.dtype.newbyteorder("=") if arr.dtype.byteorder not in "=|" else arr.dtype,
                    f"argument '{name}'")
    if arr.dtype.byteorder not in "=|":
        arr = arr.astype(arr.dtype.newbyteorder("="))
    item = arr.dtype.itemsize
    if not arr.flags.aligned or any(s % item for s in arr.strides):
        arr = arr.copy(order="C")  # aligned; np.ascontiguousarray would make a 0-d array 1-d
    if arr.flags.c_contiguous or arr.size == 0:
        strides = None
    else:
        strides = StridedView(arr.shape, tuple(s // item for s in arr.strides)).normalized().strides
    return arr, ArraySpec(name, AVal(arr.shape, arr.dtype), strides, isinstance(value, np.generic))


def _prepare_complex(value, arr: np.ndarray, name: str) -> tuple[np.ndarray, ArraySpec]:
    """A complex argument as its float pair view (``frontend/complex/boundary.py``), no copy."""
    if arr.dtype.byteorder not in "=|":
        arr = arr.astype(arr.dtype.newbyteorder("="))
    if arr.dtype not in (np.dtype(np.complex64), np.dtype(np.complex128)):
        raise user_error(TypeError(f"argument '{name}': dtype {arr.dtype} is not supported by tracejit "
                                   "(complex64 and complex128 are)"))
    pairs, spec = prepare_array(pair_view(arr), name)
    return pairs, dataclasses.replace(spec, scalar=isinstance(value, np.generic), complex_dtype=arr.dtype)


def leaf_is_array(x: Any) -> bool:
    """Whether ``x`` is traced as an array (an ``ndarray`` or a NumPy scalar)."""
    return isinstance(x, (np.ndarray, np.generic))


_INT64 = np.iinfo(np.int64)
_SCALAR_DTYPES = {float: np.dtype(np.float64), int: np.dtype(np.int64), bool: np.dtype(np.bool_)}


def traced_scalar_type(x: Any) -> type | None:
    """``float``, ``int`` or ``bool`` for a Python scalar traced as a weak scalar (ints
    beyond int64 stay static: NumPy would not make them int64 either), else None."""
    t = type(x)
    if t is float or t is bool or (t is int and _INT64.min <= x <= _INT64.max):
        return t
    return None


def scalar_array(x: Any, t: type) -> np.ndarray:
    """The 0-d array a traced Python scalar is passed as."""
    return np.array(x, dtype=_SCALAR_DTYPES[t])


def _check_hashable(value, name: str) -> None:
    try:
        hash(value)
    except (TypeError, ValueError):  # (a writable memoryview raises ValueError)
        raise user_error(TypeError(f"argument '{name}' is static (not an array) and must be hashable, "
                                   f"got {type(value).__name__}; pass arrays as NumPy arrays")) from None


_NAN = ("nan",)


def static_key(value: Any) -> Any:
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
    originals: list = None  # the caller's objects behind ``arrays`` (written back into)
    aliases: dict = None  # array index -> the first index holding the same array object
    generators: CallGenerators = NO_GENERATORS  # generator arguments: drawn from at run time (rngargs.py)

    def inputs(self, captured: tuple | None) -> tuple[list, list]:
        """The arrays to run on and the caller's objects behind them, with ``captured`` ones."""
        if captured is None:
            return self.arrays, self.originals
        return self.arrays + captured[0], self.originals + captured[1]


def bind(pysig: inspect.Signature, static: frozenset, args: tuple, kwargs: dict,
         fixed_scalars: frozenset = frozenset()) -> BoundCall:
    """Split ``args``/``kwargs`` of a call into static key parts and traced arrays.
    Python scalars in the arguments named in ``fixed_scalars`` are static (their values
    are needed by the trace) instead of traced."""
    bound = pysig.bind(*args, **kwargs)  # defaults stay with the function, like captured values
    key_parts, arrays, specs, statics, originals, first_of, generators = [], [], [], {}, [], {}, []
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
        leaf_keys, placeholders = [], []
        for i, leaf in enumerate(leaves):
            leaf_name = _leaf_name(name, treedef, i)
            if type(leaf).__module__ in ("tracejit.frontend.core", "tracejit.frontend.complex.value") \
                    and type(leaf).__name__ in ("Tracer", "ComplexTracer"):
                raise NestedTrace()
            weak = traced_scalar_type(leaf) if name not in fixed_scalars else None
            if leaf_is_array(leaf) or weak is not None:
                if weak is not None:
                    arr = scalar_array(leaf, weak)
                    spec = ArraySpec(leaf_name, AVal((), arr.dtype), None, True, weak)
                else:
                    arr, spec = prepare_array(leaf, leaf_name)
                arrays.append(arr)
                specs.append(spec)
                originals.append(leaf)
                first_of.setdefault(id(leaf), len(arrays) - 1)
                leaf_keys.append(spec.key())
                placeholders.append(ARRAY)
            elif is_generator(leaf):  # a run-time operand keyed by its type (frontend/rngargs.py)
                leaf_keys.append(generator_key(leaf))
                placeholders.append(GeneratorArg(len(generators)))
                generators.append(leaf)
            else:
                if isinstance(leaf, ArgGenerator):
                    raise NestedTrace()  # a generator argument of a function being traced: inline
                _check_hashable(leaf, leaf_name)
                leaf_keys.append(("static", *static_key(leaf)))
                placeholders.append(leaf)
        key_parts.append((name, treedef, tuple(leaf_keys)))
        statics[name] = (treedef, placeholders)
    aliases = {i: first_of[id(x)] for i, x in enumerate(originals)
               if first_of[id(x)] != i and isinstance(x, np.ndarray)}
    if aliases:  # the same array passed twice: writes through one reach the other
        key_parts.append(("(aliases)", "aliases", tuple(sorted(aliases.items()))))
    return BoundCall(tuple(key_parts), arrays, specs, statics, originals, aliases,
                     CallGenerators(tuple(generators)) if generators else NO_GENERATORS)
