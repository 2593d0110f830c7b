"""Generator arguments: run-time operands, drawn from as the caller passed them in this call.

A ``np.random.Generator``, ``RandomState`` or ``BitGenerator`` passed as an argument (or a
leaf of a pytree argument) is not static: the cache key holds its type and its bit
generator's type (:func:`generator_key`), not its identity, so ``sim(np.random.default_rng(s),
n)`` for many seeds ``s`` traces and compiles once. In the trace the argument is a stand-in
(:class:`ArgGenerator`) whose draws record host calls of a late-bound method
(:class:`LateMethod`): at run time it draws from generator number ``index`` of the call now
running on this thread, so the numbers and the generator's state after the call are those
of eager NumPy. The call's generators (:class:`CallGenerators`) are pushed on a
thread-local stack while the call traces or runs (host calls run on the calling thread:
``runtime/hostcalls.py``), so threads and a jitted function called from a host call of
another each see their own. Generators named static (``static_argnums``) and those read
from globals or closures stay bound by identity (``frontend/randomness.py``).
"""
from __future__ import annotations

import threading
from typing import Any

from tracejit.frontend.randomness import ObjectStandIn, attribute, draw_call, stand_in

_local = threading.local()


def _stack() -> list:
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


class CallGenerators:
    """The generator arguments of one call, in the order of its leaves; while entered (the
    call traces or runs), what its host calls draw from on this thread."""

    __slots__ = ("objects",)

    def __init__(self, objects: tuple):
        self.objects = objects

    def __enter__(self) -> CallGenerators:
        if self.objects:
            _stack().append(self.objects)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.objects:
            _local.stack.pop()

    def real(self, leaf: object) -> object:
        """The generator behind a placeholder of this call's leaves (other leaves: themselves)."""
        return self.objects[leaf.index] if type(leaf) is GeneratorArg else leaf


NO_GENERATORS = CallGenerators(())


class GeneratorArg:
    """Placeholder of the ``index``-th generator argument among a bound call's static leaves."""

    __slots__ = ("index",)

    def __init__(self, index: int):
        self.index = index

    def __repr__(self) -> str:
        return f"<generator argument {self.index}>"


def generator_key(value: object) -> tuple:
    """A generator's part of the cache key: its type and its bit generator's type."""
    bit = getattr(value, "bit_generator", None) or getattr(value, "_bit_generator", None)
    return ("static", GeneratorArg, (type(value).__name__, type(bit).__name__ if bit is not None else None,
                                     type(value), type(bit)))


class LateMethod:
    """Method ``attr`` of the ``index``-th generator argument of the call running now."""

    __slots__ = ("index", "attr", "name")

    def __init__(self, index: int, attr: str, name: str):
        self.index, self.attr, self.name = index, attr, name

    @property
    def __self__(self) -> object:
        """The generator it draws from now (whose stream a trace-time evaluation restores)."""
        stack = getattr(_local, "stack", None)
        if not stack:
            raise AttributeError("__self__: no call of its jitted function is running")
        return stack[-1][self.index]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Draw from the generator this call was passed."""
        stack = getattr(_local, "stack", None)
        if not stack:
            raise RuntimeError(f"tracejit: {self.name} ran outside a call of its jitted function")
        return getattr(stack[-1][self.index], self.attr)(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<{self.name} of generator argument {self.index}>"


class ArgGenerator(ObjectStandIn):
    """A generator argument as the traced function sees it: its methods record host calls
    drawing from the generator passed in at run time; other attributes are read now."""

    __slots__ = ("_index", "_real", "_name")

    def __init__(self, index: int, traced: object, name: str):
        self._index, self._real, self._name = index, traced, name

    def __getattr__(self, attr: str) -> object:
        value = attribute(self._real, attr)
        shown = f"{self._name}.{attr}"
        if callable(value) and getattr(value, "__self__", None) is self._real:
            return draw_call(LateMethod(self._index, attr, shown), shown)
        return stand_in(value, shown)

    def __repr__(self) -> str:
        return f"<tracejit stand-in for generator argument {self._name}>"


def argument_stand_in(leaf: object, real: object) -> object:
    """What the function sees for a generator argument's placeholder ``leaf`` (``real``:
    the generator of the call traced); other leaves: None."""
    if type(leaf) is not GeneratorArg:
        return None
    return ArgGenerator(leaf.index, real, f"numpy.random.{type(real).__name__}")
