"""Generator arguments: run-time operands, drawn from as the caller passed them in this call.

A ``np.random.Generator``, ``RandomState`` or ``BitGenerator`` passed as an argument (or a
leaf of a pytree argument) is not static: the cache key holds its type and its bit
generator's type (:func:`generator_key`), not its identity, so ``sim(np.random.default_rng(s),
n)`` for many seeds ``s`` traces and compiles once. In the trace the argument is a stand-in
(:class:`ArgGenerator`) whose draws record host calls of a late-bound method
(``frontend/rngslots.py``): at run time it draws from generator number ``index`` of the call
now running on this thread, so the numbers and the generator's state after the call are
those of eager NumPy; a library function given it (``random_state=rng``) gets that
generator too. Generators named static (``static_argnums``) and those read
from globals or closures stay bound by identity (``frontend/randomness.py``).
"""
from __future__ import annotations

from tracejit.frontend.randomness import ObjectStandIn, attribute, draw_call, stand_in
from tracejit.frontend.rngslots import GeneratorArg, IndexedStandIn, LateMethod


def generator_key(value: object) -> tuple:
    """A generator's part of the cache key: its type and its bit generator's type."""
    bit = getattr(value, "bit_generator", None) or getattr(value, "_bit_generator", None)
    return ("static", GeneratorArg, (type(value).__name__, type(bit).__name__ if bit is not None else None,
                                     type(value), type(bit)))


class ArgGenerator(ObjectStandIn, IndexedStandIn):
    """A generator argument as the traced function sees it: its methods record host calls
    drawing from the generator passed in at run time; other attributes are read now."""

    __slots__ = ("generator_index", "_real", "_name")

    def __init__(self, index: int, traced: object, name: str):
        self.generator_index, self._real, self._name = index, traced, name

    def __getattr__(self, attr: str) -> object:
        value = attribute(self._real, attr)
        shown = f"{self._name}.{attr}"
        if callable(value) and getattr(value, "__self__", None) is self._real:
            return draw_call(LateMethod(self.generator_index, attr, shown), shown)
        return stand_in(value, shown)

    def __repr__(self) -> str:
        return f"<tracejit stand-in for generator argument {self._name}>"


def argument_stand_in(leaf: object, real: object) -> object:
    """What the function sees for a generator argument's placeholder ``leaf`` (``real``:
    the generator of the call traced); other leaves: None."""
    if type(leaf) is not GeneratorArg:
        return None
    return ArgGenerator(leaf.index, real, f"numpy.random.{type(real).__name__}")


