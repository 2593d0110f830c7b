"""Recording a trace: where ops come from (the user's source line) and how values
(tracers, arrays, scalars) become graph nodes."""
from __future__ import annotations

import hashlib
import os
import sys

import numpy as np

import tracejit
from tracejit.compiler.dtypes import check_supported
from tracejit.compiler.graph import Graph
from tracejit.errors import TraceError, UnsupportedError, at, with_location
from tracejit.frontend.mutation import refresh

_PACKAGE = os.path.dirname(tracejit.__file__)
_SKIP_PREFIXES = tuple(os.path.join(_PACKAGE, sub) + os.sep for sub in ("frontend", "compiler", "runtime")) + (
    os.path.dirname(np.__file__) + os.sep,)


def user_frame():
    """The innermost frame outside tracejit and NumPy (None: none)."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_SKIP_PREFIXES) and not filename.startswith("<frozen"):
            return frame
        frame = frame.f_back
    return None


def user_location() -> str | None:
    """``file:line`` of the innermost frame outside tracejit and NumPy."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_SKIP_PREFIXES) and not filename.startswith("<frozen"):
            return f"{_shown(filename)}:{frame.f_lineno}"
        frame = frame.f_back
    return None


_shown_names: dict[tuple[str, str], str] = {}


def _shown(filename: str) -> str:
    """``filename`` relative to the working directory when inside it (cached: traces
    ask for every op)."""
    key = (filename, os.getcwd())
    shown = _shown_names.get(key)
    if shown is None:
        rel = os.path.relpath(filename) if os.path.isabs(filename) else filename
        shown = _shown_names[key] = filename if rel.startswith("..") else rel
    return shown



def content_digest(value: np.ndarray) -> bytes:
    """A digest of ``value``'s elements (in C order): whether an array was written since."""
    return hashlib.blake2b(np.ascontiguousarray(value).view(np.uint8).reshape(-1), digest_size=16).digest()

class Trace:
    """One tracing session: the graph being built and its constants."""

    def __init__(self, name: str, parent: "Trace | None" = None, n_args: int = 0):
        self.graph = Graph(name)
        self._constants: dict = {}
        self._keepalive: list = []
        # A loop body or branch (frontend/control.py): traced inside ``parent``; its first
        # ``n_args`` inputs are its arguments, the others values of enclosing traces it reads.
        self.parent = parent
        self.n_args = n_args
        self.captured: dict[int, int] = {}  # parent node -> input node here
        self.closed = False  # a sub-trace whose function has returned
        # Arrays the function reached from outside its arguments become captured inputs
        # of the outermost trace instead of constants (frontend/capture.py).
        self.capturer = parent.capturer if parent is not None else None

    def encloses(self, other: "Trace") -> bool:
        """Whether ``other`` is this trace or one this trace runs inside."""
        t = self
        while t is not None:
            if t is other:
                return True
            t = t.parent
        return False

    def _capture(self, x, loc: str | None) -> int:
        """The input node standing for ``x``, a value of an enclosing trace."""
        if self.parent is None or not self.parent.encloses(x._home):
            raise TraceError("a traced value from another trace was used (a tracer leaked "
                             f"out of its jitted function, loop body or branch, e.g. through a global){at(loc)}")
        outer = self.parent.node_of(x, loc)
        nid = self.captured.get(outer)
        if nid is None:
            aval = self.parent.graph.aval(outer)
            index = self.n_args + len(self.captured)
            nid = self.captured[outer] = self.graph.add_input(index, f"captured{index}", aval, loc=loc)
        return nid

    def apply(self, op: str, operands: list, attrs: dict | None = None, scalar: bool = False):
        """Record ``op`` applied to ``operands`` (tracers or arrays); returns a Tracer."""
        from tracejit.frontend.tracer import Tracer
        loc = user_location()
        if self.closed:
            raise TraceError(f"a traced value of a loop body or branch was used after it returned{at(loc)}")
        nodes = [self.node_of(x, loc) for x in operands]
        try:
            nid = self.graph.add(op, nodes, attrs=attrs, loc=loc)
        except (ValueError, TypeError, IndexError) as e:
            raise with_location(e, loc) from e
        aval = self.graph.aval(nid)
        return Tracer(self, nid, scalar=scalar and len(aval.shape) == 0)

    def node_of(self, x, loc: str | None = None) -> int:
        """The graph node holding ``x``: a tracer's own node, or a constant for an array."""
        from tracejit.frontend.tracer import Tracer
        if isinstance(x, Tracer):
            if x._home is not self:
                return self._capture(x, loc)
            if x._storage is not None:  # a view of an array written since: read its new version
                refresh(x)
            return x._node
        if isinstance(x, (np.ndarray, np.generic)):
            return self.constant(np.asarray(x), loc)
        raise UnsupportedError(f"cannot use a value of type {type(x).__name__} as an array "
                               f"operand{at(loc)}")

    def constant(self, value: np.ndarray, loc: str | None = None) -> int:
        """A constant node for ``value``; the same array object or scalar maps to one node.
        An array the function reached from outside (``self.W``) is a captured input instead."""
        if self.capturer is not None and type(value) is np.ndarray:
            from tracejit.frontend.tracer import Tracer
            found = self.capturer.constant(value)
            if isinstance(found, Tracer):
                return self.node_of(found, loc)
        if value.dtype.byteorder not in "=|":  # captured big-endian data: native copy
            value = value.astype(value.dtype.newbyteorder("="))
        check_supported(value.dtype, f"constant array{at(loc)}")
        if value.size <= 1:
            key = ("scalar", value.dtype.str, value.shape, value.tobytes())
        else:  # the same object, unless it was written since (a NumPy array the function made)
            key = ("array", id(value), value.dtype.str, value.shape, content_digest(value))
            self._keepalive.append(value)  # ids stay unique while the trace lives
        nid = self._constants.get(key)
        if nid is None:
            nid = self._constants[key] = self.graph.add_constant(value, loc=loc)
        return nid

    def weak_scalar(self, value, dtype: np.dtype):
        """A Python scalar as a constant of the dtype NumPy 2 promotion gave it."""
        from tracejit.frontend.tracer import Tracer
        loc = user_location()
        try:
            arr = np.asarray(value, dtype=dtype)
        except OverflowError as e:
            raise with_location(e, loc) from e
        return Tracer(self, self.constant(arr, loc))
