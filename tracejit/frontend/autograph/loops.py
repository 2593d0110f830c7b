"""``for`` loops of converted code (``__tj_ag__.for_stmt`` / ``__tj_ag__.iterate``).

Placeholder with the interface of SPEC16 (owned by the ``forloops`` helper, who replaces
the bodies): every loop runs as the plain Python loop it was written as.
"""
from __future__ import annotations

from typing import Any, Callable


def iterate(fn: Callable, *args: Any, **kwargs: Any) -> object:
    """What a ``for`` header's literal call ``fn(*args, **kwargs)`` iterates over."""
    return fn(*args, **kwargs)


def for_stmt(iterated: object, extra_test: Callable[[], Any] | None, body: Callable[[Any], None],
             get_state: Callable[[], tuple], set_state: Callable[[tuple], None], names: tuple,
             opts: dict) -> None:
    """``for target in iterated: body`` (stopping once ``extra_test()`` is false: a ``break`` ran)."""
    if extra_test is None:
        for item in iterated:
            body(item)
        return
    if not extra_test():
        return
    for item in iterated:  # tested after each step: a `break` takes no further item from the iterator
        body(item)
        if not extra_test():
            break
