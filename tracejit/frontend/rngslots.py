"""The generator arguments of the call running on this thread (``frontend/rngargs.py``).

A call's generators are pushed on a thread-local stack while it traces or runs (host calls
run on the calling thread: ``runtime/hostcalls.py``), so threads, and a jitted function
called from a host call of another, each see their own; host calls draw through
:class:`LateMethod` and :class:`LateArguments`, which read the stack when they run.
"""
from __future__ import annotations

import threading
from typing import Any

from tracejit.errors import user_error

_local = threading.local()


def _stack() -> list:
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


class IndexedStandIn:
    """Base of the stand-in of a generator argument (its number among the call's: ``generator_index``)."""

    __slots__ = ()


def current(index: int) -> object:
    """Generator argument number ``index`` of the call running on this thread."""
    stack = getattr(_local, "stack", None)
    if not stack:  # (an AttributeError: getattr(late, "__self__", None) is None then)
        raise user_error(AttributeError("no call of a jitted function taking generator arguments is running"))
    return stack[-1][index]


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


def run_with(run: Any, generators: CallGenerators, *inputs: Any) -> Any:
    """``run(*inputs)`` (a compiled call) with ``generators`` current on this thread."""
    if not generators.objects:
        return run(*inputs)
    with generators:
        return run(*inputs)


class GeneratorArg:
    """Placeholder of the ``index``-th generator argument among a bound call's static leaves."""

    __slots__ = ("index",)

    def __init__(self, index: int):
        self.index = index

    @property
    def __self__(self) -> object:
        """The generator it stands for now (whose stream a trace-time evaluation restores)."""
        return current(self.index)

    def __repr__(self) -> str:
        return f"<generator argument {self.index}>"


class LateMethod:
    """Method ``attr`` of the ``index``-th generator argument of the call running now."""

    __slots__ = ("index", "attr", "name")

    def __init__(self, index: int, attr: str, name: str):
        self.index, self.attr, self.name = index, attr, name

    @property
    def __self__(self) -> object:
        """The generator it draws from now (whose stream a trace-time evaluation restores)."""
        return current(self.index)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Draw from the generator this call was passed."""
        return getattr(current(self.index), self.attr)(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<{self.name} of generator argument {self.index}>"


class LateArguments:
    """A host call's function taking generator arguments (``random_state=rng``): the
    placeholders among its arguments become the generators of the call running now."""

    __slots__ = ("func",)

    def __init__(self, func: Any):
        self.func = func

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """``func`` on the arguments, with this call's generators."""
        args = tuple(current(a.index) if type(a) is GeneratorArg else a for a in args)
        kwargs = {k: current(v.index) if type(v) is GeneratorArg else v for k, v in kwargs.items()}
        return self.func(*args, **kwargs)


def takes_generator_arguments(args: tuple, kwargs: dict) -> bool:
    """Whether the stand-in of a generator argument is among ``args`` and ``kwargs``."""
    return any(isinstance(a, IndexedStandIn) for a in (*args, *kwargs.values()))


def late_generators(func: Any, args: tuple, kwargs: dict, leaves: list) -> tuple[Any, list]:
    """``func`` and the leaves of a host call ``func(*args, **kwargs)``, with generator
    arguments (stand-ins passed as arguments of the call itself) read from the call running
    at run time; a stand-in inside a list or dict stays as it is (and fails as before)."""
    found = sum(1 for leaf in leaves if isinstance(leaf, IndexedStandIn))
    if not found or found != sum(1 for a in (*args, *kwargs.values()) if isinstance(a, IndexedStandIn)):
        return func, leaves
    return LateArguments(func), [GeneratorArg(leaf.generator_index) if isinstance(leaf, IndexedStandIn) else leaf
                                 for leaf in leaves]
