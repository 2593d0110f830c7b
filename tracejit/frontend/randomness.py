"""``numpy.random`` while tracing: drawn at run time as host calls, never baked into the program.

A draw made while tracing would run once, at trace time, and its numbers would become
constants of the program: every later call would return the same "random" numbers. So
converted code (``frontend/convert.py``) sees stand-ins for ``numpy.random`` (the module,
functions imported from it, generator objects read from globals and closures): calling
one while this thread traces records a host call (``frontend/hostcall.py``) that draws
at run time, on every call, from the same stream eager NumPy draws from (NumPy's global
``RandomState``, or the generator itself), so a seeded script gives the same numbers
jitted and eager; the trace-time evaluation that finds the result's shape restores every
stream it advanced. Making or seeding a generator, and any draw with
``tj.jit(fallback=False)``, raises :class:`~tracejit.errors.UnsupportedError` naming the
function and the user's line; outside a trace the stand-ins call NumPy's own. Generators the stand-ins cannot reach
(attributes of ``self`` and other static arguments, NumPy's legacy global
``RandomState``) are snapshotted before the trace (:class:`Snapshots`); one that
advanced during it fails the trace with the same error.
"""
from __future__ import annotations

import os
import sys
import types

import numpy as np

from tracejit.errors import ControlException, UnsupportedError, at, user_error
from tracejit.frontend.context import current_trace, location, user_location
from tracejit.frontend.hostcall import fallback_enabled, host_call
from tracejit.frontend.usercode import is_library_file

ADVICE = ("random numbers cannot be drawn inside jitted functions here (tj.jit(fallback=False), or a "
          "generator made or drawn from where tracejit cannot run it at run time); draw them outside and pass "
          "them as arguments")
# functions making generators or seeding: eagerly, each call makes a new one (not run as host calls)
_CONSTRUCTORS = frozenset({"numpy.random.default_rng", "numpy.random.seed", "numpy.random.set_state",
                           "numpy.random.get_state", "numpy.random.SeedSequence"})


def _random_module():
    return sys.modules.get("numpy.random")  # not imported: no generator can exist yet


def is_random(value: object) -> bool:
    """Whether ``value`` is part of ``numpy.random`` (a module, function, class or object)."""
    if _random_module() is None:
        return False
    if isinstance(value, types.ModuleType):
        return value.__name__ == "numpy.random" or value.__name__.startswith("numpy.random.")
    # (a str on most types; on Cython's function type under Python 3.10, numpy.random's methods
    # read from their class, a member descriptor)
    kind = getattr(type(value), "__module__", None)
    if isinstance(kind, str) and kind.startswith("numpy.random"):
        return True  # a Generator, RandomState, BitGenerator or SeedSequence
    module = getattr(value, "__module__", None) if callable(value) else None
    return isinstance(module, str) and module.startswith("numpy.random")


def attribute(obj: object, name: str) -> object:
    """``getattr(obj, name)`` for a stand-in: a missing attribute is the user's mistake
    (an AttributeError crossing the jitted call unchanged), not a tracejit bug."""
    try:
        return getattr(obj, name)
    except AttributeError as e:
        raise user_error(e) from None


def _refuse(name: str):
    raise UnsupportedError(f"{name}: {ADVICE}{at(user_location())}")


def _tracing() -> bool:
    return current_trace() is not None


class _Callable:
    """A function of ``numpy.random`` as converted code sees it: refused while tracing."""

    __slots__ = ("_real", "_name")

    def __init__(self, real, name: str):
        self._real, self._name = real, name

    def __call__(self, *args, **kwargs):
        args, kwargs, _ = captured_generators(args, kwargs)  # (Generator.random(G, n), G a global: G itself)
        if _tracing():
            if not fallback_enabled() or self._name in _CONSTRUCTORS:
                _refuse(self._name)
            return host_call(self._real, args, kwargs, "random numbers are drawn at run time", self._name)
        return self._real(*args, **kwargs)

    def __getattr__(self, attr: str):
        return attribute(self._real, attr)

    def __repr__(self) -> str:
        return f"<tracejit stand-in for {self._name}>"


class ObjectStandIn:
    """Base of the stand-ins for a ``numpy.random`` object (held as ``_real``): ``isinstance``
    with a stand-in class answers for the object."""

    __slots__ = ()


class _Object(ObjectStandIn):
    """A ``numpy.random`` module or generator object: its attributes are stand-ins too."""

    __slots__ = ("_real", "_name")

    def __init__(self, real, name: str):
        self._real, self._name = real, name

    def __getattr__(self, attr: str):
        return stand_in(attribute(self._real, attr), f"{self._name}.{attr}")

    def __call__(self, *args, **kwargs):
        if _tracing():
            _refuse(self._name)
        return self._real(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<tracejit stand-in for {self._name}>"


class _ClassMeta(type):
    """Stand-ins of ``numpy.random`` classes: ``isinstance`` answers for the real class,
    constructing one while tracing is refused."""

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj._real if isinstance(obj, ObjectStandIn) else obj, cls._real)

    def __subclasscheck__(cls, sub) -> bool:
        return issubclass(sub, cls._real)

    def __call__(cls, *args, **kwargs):
        if _tracing():
            _refuse(cls._name)
        return cls._real(*args, **kwargs)

    def __getattr__(cls, attr: str):
        return stand_in(attribute(cls._real, attr), f"{cls._name}.{attr}")


def captured_generators(args: tuple, kwargs: dict) -> tuple[tuple, dict, bool]:
    """``args`` and ``kwargs`` with the stand-ins of generators read from globals or closures
    (bound by identity) replaced by the generators themselves, for a library function that
    draws from them (``random_state=rng``: run as a host call); whether there were any."""
    def real(value: object) -> object:
        return value._real if type(value) is _Object and is_generator(value._real) else value

    new_args, new_kwargs = tuple(real(a) for a in args), {k: real(v) for k, v in kwargs.items()}
    found = any(a is not b for a, b in zip(new_args, args)) or any(new_kwargs[k] is not v for k, v in kwargs.items())
    return new_args, new_kwargs, found


def draw_call(real: object, name: str) -> object:
    """A stand-in calling ``real`` (a draw): a host call while tracing, refused with ``fallback=False``."""
    return _Callable(real, name)


def stand_in(value: object, name: str | None = None) -> object:
    """What converted code sees for ``value``, a part of ``numpy.random`` (other values:
    themselves)."""
    if not is_random(value):
        return value
    if isinstance(value, types.ModuleType):
        return _Object(value, value.__name__ if name is None else name)
    if isinstance(value, type):
        shown = name or f"numpy.random.{value.__name__}"
        return _ClassMeta(value.__name__, (), {"_real": value, "_name": shown, "__module__": value.__module__})
    if callable(value):
        if name is None:
            owner = getattr(value, "__self__", None)
            legacy = getattr(getattr(_random_module(), "mtrand", None), "_rand", None)
            where = "" if owner is None or owner is legacy or isinstance(owner, types.ModuleType) \
                else f"{type(owner).__name__}."
            name = f"numpy.random.{where}{getattr(value, '__name__', 'function')}"
        return _Callable(value, name)
    shown = name or f"numpy.random.{type(value).__name__}"
    return _Object(value, shown)


def random_stand_in(value: object) -> object:
    """A generator argument as the function sees it: its stand-in (its draws become host
    calls); any other value: itself."""
    return stand_in(value) if is_generator(value) else value


def _bit_of(gen):
    return getattr(gen, "bit_generator", None) or getattr(gen, "_bit_generator", None) or gen


def _state_of(gen):
    """A comparable snapshot of a generator's state."""
    return _frozen(_bit_of(gen).state)


def _frozen(value):
    if isinstance(value, dict):
        return tuple((k, _frozen(v)) for k, v in value.items())
    if isinstance(value, np.ndarray):
        return ("array", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    return value


def generator_types() -> tuple:
    """NumPy's generator classes (none before ``numpy.random`` is imported)."""
    random = _random_module()
    if random is None:
        return ()
    return (random.Generator, random.RandomState, random.MT19937, random.PCG64, random.PCG64DXSM,
            random.Philox, random.SFC64)


def is_generator(value: object) -> bool:
    """A Generator, RandomState or BitGenerator (whose state a draw advances)."""
    random = _random_module()
    if random is None:
        return False
    return isinstance(value, (random.Generator, random.RandomState, random.BitGenerator))


class Snapshots:
    """States of the generators reachable by code the stand-ins do not cover."""

    def __init__(self):
        self._taken: dict[int, tuple] = {}  # id -> (what, generator, state, its bit generator's state)
        random = _random_module()
        legacy = getattr(getattr(random, "mtrand", None), "_rand", None) if random is not None else None
        if legacy is not None:
            self.add(legacy, "numpy.random's global generator (np.random.seed/rand/normal...)")

    def add(self, gen: object, what: str) -> None:
        """Remember ``gen``'s state now (the first time it is seen)."""
        if id(gen) not in self._taken:
            try:
                raw = _bit_of(gen).state
                self._taken[id(gen)] = (what, gen, _frozen(raw), raw)
            except Exception:  # noqa: BLE001 - a generator whose state cannot be read: not checked
                pass

    def advanced(self) -> list[str]:
        """What each generator that advanced since its snapshot is."""
        return [what for what, gen, state, _ in self._taken.values() if _state_of(gen) != state]

    def check(self, function: str, attempts: tuple = (), loc: str | None = None) -> None:
        """Raise if any generator advanced while ``function`` was traced, after putting its state
        back as the earliest of ``attempts`` (the snapshots of this function's earlier traces, this
        one's included) saw it: the refused function then runs eagerly, or is called again, on the
        stream the caller left. ``loc``: the user's line that drew (:class:`DrawLocator`)."""
        moved = self.advanced()
        undo_draws(attempts + (self,))
        if moved:
            raise UnsupportedError(
                f"random numbers were drawn while tracing {function} (from {', '.join(moved)}; code tracejit "
                f"does not convert, such as methods reached through an object, draws them when it is traced, "
                f"and the numbers would be constants of the compiled program){at(loc)}: {ADVICE}")


_USER_NAMES = ("<string>", "<stdin>", "<ipython-input")  # code the user compiled without a file


class DrawLocator:
    """While a function whose trace drew random numbers is traced again: the user's line where a
    generator first advanced (``loc``), for the refusal's message. A draw through code tracejit
    does not convert (a method reached through an object) runs in NumPy's C code, out of sight; so
    this follows the user's frames line by line (``sys.settrace``, this thread, this trace only)
    and compares the generators' states (the last of ``attempts``: this trace's
    :class:`Snapshots`) after each line: the line after which one moved drew."""

    def __init__(self, attempts: list):
        self.loc: str | None = None
        self._attempts = attempts
        self._last: dict = {}  # frame -> its last line run
        self._previous = None

    def __enter__(self) -> DrawLocator:
        self._previous = sys.gettrace()
        sys.settrace(self._call)
        return self

    def __exit__(self, *exc) -> None:
        sys.settrace(self._previous)
        self._last.clear()

    def _call(self, frame, event: str, arg):
        name = frame.f_code.co_filename
        if self.loc is not None or is_library_file(name) or (name.startswith("<") and not name.startswith(_USER_NAMES)):
            return None  # (library frames, tracejit's and code libraries generate included: not followed)
        return self._line

    def _line(self, frame, event: str, arg):
        if self.loc is not None:
            return None
        line = self._last.get(frame) if event == "line" else frame.f_lineno if event == "return" else None
        if line is not None and self._attempts and self._attempts[-1].advanced():
            self.loc = location(frame.f_code.co_filename, line)
        if event == "line":
            self._last[frame] = frame.f_lineno
        return self._line


def undo_draws(attempts: tuple) -> None:
    """Put every generator the traces of ``attempts`` (their :class:`Snapshots`, oldest first) saw
    advance back in the state the earliest of them saw: a refused function then runs eagerly (or
    raises, with ``fallback=False``) on the streams its caller left."""
    earliest: dict[int, tuple] = {}
    for snapshots in attempts:
        for key, (_, gen, state, raw) in snapshots._taken.items():
            earliest.setdefault(key, (gen, state, raw))  # (snapshots keep their generators alive: ids unique)
    for gen, state, raw in earliest.values():
        try:
            if _state_of(gen) != state:
                _bit_of(gen).state = raw
        except Exception:  # noqa: BLE001 - a generator whose state cannot be set: left as it is
            pass


_OWN_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # tracejit/
STAND_IN = "<tracejit stand-in for "  # how every stand-in's repr starts (rngargs.ArgGenerator's too)


def leaked_stand_in(error: BaseException) -> UnsupportedError | None:
    """The refusal for ``error`` when it is code tracejit does not convert rejecting a generator's
    stand-in (``scipy.stats.qmc.Sobol(d, seed=rng)``: NumPy's 'cannot be used to seed' names its
    repr), so that the function runs eagerly (or says so, with ``fallback=False``); else None."""
    if isinstance(error, (UnsupportedError, ControlException)) or STAND_IN not in str(error):
        return None
    loc, tb = None, error.__traceback__
    while tb is not None:  # (the user's innermost line the error passed)
        name = tb.tb_frame.f_code.co_filename
        if not name.startswith(_OWN_DIR) and not is_library_file(name) and not name.startswith("<"):
            loc = location(name, tb.tb_lineno)
        tb = tb.tb_next
    return UnsupportedError(f"a generator was given to code tracejit does not run at run time, which "
                            f"rejected its stand-in ({type(error).__name__}: {error}){at(loc)}: {ADVICE}")
