"""``try`` statements with handlers in converted code: errors raised after the compiled call.

An error that depends on the data (``np.linalg.inv`` of a singular matrix, an index out of
range) is a run-time check of the traced function (``frontend/checks.py``): the compiled code
records it and the runtime raises it after the call, outside the user's function, where no
``except`` of theirs can catch it. Eagerly, a ``try`` around such a line catches it and runs its
handler. So converted code runs each ``try`` that has handlers inside :class:`try_stmt`: when
its body recorded a check whose error one of the handlers catches, or a host call (Python run
at run time, ``frontend/hostcall.py``: whatever it raises leaves the compiled call too), the
function is refused (UnsupportedError naming the ``try``'s line: it then runs eagerly, or says
so with ``tj.jit(fallback=False)``). Not while a derivative is recorded (``tj.grad`` & co.): a
derivative has no eager form to fall back on, so the ``try`` stays as before (its handler does
not run for such errors).
"""
from __future__ import annotations

from typing import Callable

from tracejit.compiler.graph import Graph, SubGraph
from tracejit.errors import UnsupportedError, at
from tracejit.frontend.checks import pending
from tracejit.frontend.context import current_trace, differentiated, location, user_frame
from tracejit.frontend.refusals import root_trace


def host_calls(graph: Graph) -> int:
    """The host-call nodes of ``graph`` and of the loops and branches in it (their sub-graphs:
    a host call in a rolled loop inside the ``try`` raises after the call as well)."""
    count = 0
    for node in graph.nx.nodes:
        count += graph.op(node) == "host"
        count += sum(host_calls(v.graph) for v in graph.attrs(node).values() if isinstance(v, SubGraph))
    return count


class try_stmt:  # noqa: N801 - called by converted code as __tj_ag__.try_stmt, like the other statements
    """The context converted code runs a ``try`` with handlers in (see the module docstring):
    ``handlers`` gives the classes its ``except`` clauses name (None: a bare ``except:``)."""

    __slots__ = ("_handlers", "_lineno", "_trace", "_mark", "_hosts", "_loc")

    def __init__(self, handlers: Callable[[], tuple | None], lineno: int):
        self._handlers, self._lineno = handlers, lineno
        self._trace, self._mark, self._hosts, self._loc = None, 0, 0, None

    def __enter__(self) -> None:
        self._trace = current_trace()
        if self._trace is not None and differentiated(root_trace(self._trace)):
            self._trace = None  # (see the module docstring)
        if self._trace is not None:
            self._mark = len(pending(self._trace))
            self._hosts = host_calls(self._trace.graph)
            frame = user_frame()
            self._loc = location(frame.f_code.co_filename, self._lineno) if frame is not None else None

    def __exit__(self, kind, error, tb) -> bool:
        if kind is not None or self._trace is None:
            return False
        if host_calls(self._trace.graph) > self._hosts:
            raise UnsupportedError(f"a `try` around code run as a host call (Python at run time, whose errors "
                                   f"leave the compiled call where the `except` cannot run){at(self._loc)}: the "
                                   f"function runs eagerly instead")
        raised = [cls for check in pending(self._trace)[self._mark:] for cls, _ in check.cases
                  if isinstance(cls, type) and not issubclass(cls, Warning)]
        if not raised:
            return False
        caught = self._handlers()
        for cls in raised:
            if caught is None or issubclass(cls, caught):
                raise UnsupportedError(
                    f"a `try` catches {cls.__name__}, which its body raises depending on the data{at(self._loc)}: "
                    f"compiled code raises it after the call, where the `except` cannot run (the function runs "
                    f"eagerly instead)")
        return False
