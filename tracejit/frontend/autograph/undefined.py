"""The value of a variable of converted code that is not assigned (yet).

Before a converted ``if``/``while``/``for``, a state variable that may be unassigned is
given an :class:`Undefined` value (so the statement's ``get_state`` can read it); after a
branch on a traced condition that assigns a variable in only one branch, or a loop on a
traced condition whose body alone assigns it, the variable is an :class:`Undefined` that
says so. Any use of it raises :class:`UndefinedError` (an ``UnboundLocalError``, as
Python raises for an unassigned local) naming the variable and the statement's line; in
the second case an :class:`UndefinedAfterTraced` (also an ``UnsupportedError``: tracejit's
refusal, never deferred to run time as a branch's own errors are, ``frontend/controlchecks.py``).
"""
from __future__ import annotations

from tracejit.errors import UnsupportedError, user_error


class UndefinedError(UnboundLocalError):
    """A variable of converted code was used while it had no value."""


class UndefinedAfterTraced(UndefinedError, UnsupportedError):
    """A variable used after a branch or loop on a traced condition that leaves it
    unassigned on some paths: eagerly it depends on the data whether it has a value, which
    tracejit does not model (refused at compile time, naming the variable and the statement)."""


class Undefined:
    """The value of the variable ``name`` while it has none (``lineno``: the line of the
    statement that left it so; ``reason``: why, for the error message)."""

    __slots__ = ("name", "lineno", "reason")

    def __init__(self, name: str, lineno: int = 0, reason: str = ""):
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "lineno", lineno)
        object.__setattr__(self, "reason", reason)

    def error(self) -> UndefinedError:
        """The error a use of this value raises."""
        name = object.__getattribute__(self, "name")
        reason = object.__getattribute__(self, "reason")
        if reason:
            return user_error(UndefinedAfterTraced(f"'{name}' {reason}"))
        return user_error(UndefinedError(f"cannot access local variable '{name}' where it is not associated with "
                                         "a value"))

    def __repr__(self) -> str:
        return f"<undefined {object.__getattribute__(self, 'name')}>"

    def __getattr__(self, attr: str):
        raise object.__getattribute__(self, "error")()

    def __setattr__(self, attr: str, value: object) -> None:
        raise object.__getattribute__(self, "error")()

    __hash__ = object.__hash__


class ReturnUnset(Undefined):
    """The return value of converted code before a ``return`` ran."""

    __slots__ = ()


def _raising(self, *args, **kwargs):
    raise object.__getattribute__(self, "error")()


for _name in ("bool", "len", "iter", "next", "contains", "getitem", "setitem", "delitem", "call", "index", "int",
              "float", "complex", "neg", "pos", "abs", "invert", "array", "array_function", "array_ufunc",
              "eq", "ne", "lt", "le", "gt", "ge", "format", "round", "trunc", "floor", "ceil", "enter"):
    setattr(Undefined, f"__{_name}__", _raising)
for _name in ("add", "sub", "mul", "matmul", "truediv", "floordiv", "mod", "divmod", "pow", "lshift", "rshift",
              "and", "xor", "or"):
    for _form in ("__{}__", "__r{}__", "__i{}__"):
        setattr(Undefined, _form.format(_name), _raising)
