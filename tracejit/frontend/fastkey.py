"""Cache keys of calls made without binding the signature: the fast path of ``tj.jit``.

:func:`positional_fast_key` walks the positional arguments once -- arrays, Python scalars,
generators and the nests of dicts, lists, tuples and namedtuples that hold them (a model's
parameters and optimizer state) -- and returns a key, the arrays the compiled program reads
and the generator arguments. The key is not :func:`~tracejit.frontend.signature.bind`'s key;
it lives in its own cache (``JitFunction._fast_cache``) and is made so that the same fast key
means the same bound key and the same arrays in the same order:

* a nest is keyed by its structure as it is walked: a dict by its keys in their order (the
  same equality ``TreeDef`` has), a list, tuple or namedtuple class by its length, each part
  before its children, so two different nests never give the same sequence of parts;
* an array leaf by its shape and dtype; only C-contiguous, aligned arrays of a native
  byte order are keyed here (any other layout: None, the general path binds and copies);
  an array met earlier in the call (the same object twice, anywhere in the nests) by the
  position where it was first met, as ``bind`` keys aliasing;
* a Python float, int or bool by its type (a weak scalar, passed as a 0-d array) or, in an
  argument made static (``static_positions``), by its value; None and strings by value;
* anything else (NumPy scalars, other objects, dict subclasses, SciPy's tuple bunches,
  tracers): None.

The arrays are the caller's objects (complex ones: their float pair views), so writes the
compiled function makes into an argument reach the caller's arrays, inside nests too.
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from tracejit.frontend.randomness import is_generator
from tracejit.frontend.rngargs import generator_key
from tracejit.frontend.rngslots import NO_GENERATORS, CallGenerators
from tracejit.frontend.signature import scalar_array, static_key, traced_scalar_type

_PART_OF = {"F": np.dtype(np.float32), "D": np.dtype(np.float64)}  # complex64/128 -> their parts' dtype
_NONE_KEY = static_key(None)
# the dtypes a nest's array leaf is keyed inline for: native bool, integer and real float (one set
# lookup instead of ``isnative`` and ``kind``; any other dtype takes :meth:`_Walk.array`)
_PLAIN = frozenset(np.dtype(c) for c in "?" + np.typecodes["AllInteger"] + "efdg")


class _Walk:
    """The parts, arrays, generators and array objects met so far in one call's arguments."""

    __slots__ = ("parts", "arrays", "generators", "seen")

    def __init__(self):
        self.parts: list = []
        self.arrays: list = []
        self.generators: list = []
        self.seen: dict = {}  # id of an array leaf -> the order in which it was first met

    def array(self, x: np.ndarray) -> bool:
        """Key array ``x``; False for a layout or dtype the general path must bind (and copy)."""
        flags = x.flags
        dtype = x.dtype
        if not (flags.c_contiguous and flags.aligned and dtype.isnative) or dtype.kind == "O":
            return False
        seen = self.seen
        n = len(seen)
        if seen.setdefault(id(x), n) != n:  # the same array again: writes through one reach the other
            self.parts.append(("same as", seen[id(x)]))
        self.parts.append((x.shape, dtype))
        if dtype.kind == "c":  # its float pair view, as prepare_array makes it (complex/boundary.py)
            part = _PART_OF.get(dtype.char)
            if part is None or not x.ndim:
                return False
            x = x.view(part).reshape(x.shape + (2,))
        self.arrays.append(x)
        return True

    def children(self, values: Iterable, static: bool) -> bool:
        """Key the children of a nest: plain arrays (the common leaf: a model's parameters)
        inline, as :meth:`array` keys them, anything else through :meth:`add`."""
        parts, arrays, seen = self.parts, self.arrays, self.seen
        setdefault, append, keep, plain = seen.setdefault, parts.append, arrays.append, _PLAIN
        for v in values:
            if type(v) is np.ndarray:
                flags = v.flags
                dtype = v.dtype
                if dtype in plain and flags.c_contiguous and flags.aligned:
                    n = len(seen)
                    if setdefault(id(v), n) != n:  # the same array again
                        append(("same as", seen[id(v)]))
                    append((v.shape, dtype))
                    keep(v)
                    continue
            if not self.add(v, static):
                return False
        return True

    def add(self, x: Any, static: bool) -> bool:
        """Key ``x`` (a leaf or a nest; ``static``: its Python scalars keyed by value); False
        where the general path must bind the call."""
        t = type(x)
        parts = self.parts
        if t is np.ndarray:
            return self.array(x)
        elif t is dict:
            parts.append((dict, tuple(x)))
            return self.children(x.values(), static)
        elif t is float or t is int or t is bool:
            weak = None if static else traced_scalar_type(x)
            if weak is None:
                parts.append(static_key(x))
            else:
                parts.append(("weak", weak))
                self.arrays.append(scalar_array(x, weak))
        elif t is list or t is tuple or (isinstance(x, tuple) and hasattr(t, "_fields")
                                          and not getattr(x, "__dict__", None)):
            parts.append((t, len(x)))  # (a namedtuple: its class; one with attributes is a bunch)
            return self.children(x, static)
        elif x is None:
            parts.append(_NONE_KEY)
        elif t is str:
            parts.append((str, x))
        elif not static and is_generator(x):  # (as bind keys it: frontend/rngargs.py)
            parts.append(generator_key(x))
            self.generators.append(x)
        else:
            return False
        return True


def positional_fast_key(args: tuple, nparams: int, static_positions: frozenset = frozenset()) -> tuple | None:
    """The cache key of a call made only with positional arguments (arrays, Python scalars,
    generators and nests of them: see the module's docstring), without binding the
    signature, the arrays to pass (traced Python scalars as 0-d arrays) and its generator
    arguments; None to take the full path. Scalars in the arguments at ``static_positions``
    are keyed by value. Parameters left to their defaults are in neither, as
    :func:`~tracejit.frontend.signature.bind` leaves them (the function's own constants)."""
    if len(args) > nparams:
        return None
    walk = _Walk()
    add = walk.add
    for i, x in enumerate(args):
        if not add(x, i in static_positions):
            return None
    generators = walk.generators
    return tuple(walk.parts), walk.arrays, CallGenerators(tuple(generators)) if generators else NO_GENERATORS


def keyword_fast_key(args: tuple, kwargs: dict, positions: dict,
                     static_positions: frozenset = frozenset()) -> tuple | None:
    """A cache key of a call with keyword arguments, made as :func:`positional_fast_key` makes
    one (``positions``: parameter name -> index, for parameters that may be passed either way),
    or None. The same key means the same signature (names and what each is keyed as); its
    arrays are in call order, not the parameter order ``bind`` uses: it serves only
    signatures that take no arrays from it (those run eagerly, ``frontend/eagerfallback.py``)."""
    n = len(args)
    static = set()
    for k, name in enumerate(kwargs):
        i = positions.get(name)
        if i is None or i < n:  # not such a parameter, or given twice: bind raises eager's TypeError
            return None
        if i in static_positions:
            static.add(n + k)
    fast = positional_fast_key(args + tuple(kwargs.values()), len(positions),
                               frozenset(static) | frozenset(i for i in static_positions if i < n))
    return None if fast is None else (("keywords", fast[0], tuple(kwargs)),) + fast[1:]  # (a part is never a str)
