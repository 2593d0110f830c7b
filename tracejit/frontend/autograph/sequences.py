"""What a converted ``for`` loop iterates over, as a sequence a traced index can address:
a range (static or traced bounds), an array's first axis, ``enumerate``/``zip``/``reversed``
of these (``frontend/autograph/loops.py`` rolls or unrolls them); and the loop target's
names, read from its source text.
"""
from __future__ import annotations

import ast
import functools
import linecache
from typing import Any, Callable

import numpy as np

from tracejit.errors import StaticNeeded, UnsupportedError, at, user_error
from tracejit.frontend.context import user_location
from tracejit.frontend.core import Tracer


class NotRollable(UnsupportedError):
    """A loop body that cannot be traced once for all steps (the reason is its message)."""


class Unrolled:
    """``tj.unroll(iterable)``: a converted loop over it runs unrolled; iterates as ``iterable``."""

    def __init__(self, iterable: Any):
        self.iterable = iterable

    def __iter__(self):
        return iter(self.iterable.python() if isinstance(self.iterable, Seq) else self.iterable)


def is_undefined(value: Any) -> bool:
    """Whether ``value`` is the converted code's ``Undefined`` (a name not assigned yet)."""
    return any(c.__name__ == "Undefined" and c.__module__.startswith("tracejit.frontend.autograph")
               for c in type(value).__mro__)


class Seq:
    """A sequence a loop can address by a (traced) index."""

    def length(self) -> Any:
        """The number of items: a Python int, or a traced int."""
        raise NotImplementedError

    def item(self, i: Any) -> Any:
        """Item ``i`` (a Python or traced int in ``[0, length)``)."""
        raise NotImplementedError

    def python(self) -> Any:
        """The iterable Python would loop over (static lengths only)."""
        raise NotImplementedError

    def describe(self) -> str:
        """How the loop header reads."""
        raise NotImplementedError


def _is_int(value: Any) -> bool:
    if isinstance(value, Tracer):
        return value.shape == () and value.dtype.kind in "iu"
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) or isinstance(value, bool)


class RangeSeq(Seq):
    """``range(start, stop, step)``; ``start``/``stop`` Python or traced ints, ``step`` a nonzero Python int."""

    def __init__(self, start: Any, stop: Any, step: int):
        self.start, self.stop, self.step = start, stop, step

    def length(self) -> Any:
        """The number of items."""
        if not isinstance(self.start, Tracer) and not isinstance(self.stop, Tracer):
            return len(range(int(self.start), int(self.stop), self.step))
        span = self.stop - self.start if self.step > 0 else self.start - self.stop
        step = abs(self.step)
        return np.maximum((span + (step - 1)) // step, 0)

    def item(self, i: Any) -> Any:
        """Item ``i``."""
        return self.start + i * self.step if self.step != 1 else self.start + i

    def python(self) -> range:
        """The Python iterable."""
        return range(int(self.start), int(self.stop), self.step)

    def describe(self) -> str:
        """How the header reads."""
        static = [str(v) if not isinstance(v, Tracer) else "<traced>" for v in (self.start, self.stop)]
        return f"range({static[0]}, {static[1]}" + (f", {self.step})" if self.step != 1 else ")")


class ArraySeq(Seq):
    """The first axis of a traced array: ``x[i]``."""

    def __init__(self, x: Tracer):
        self.x = x

    def length(self) -> int:
        """The number of items."""
        return self.x.shape[0]

    def item(self, i: Any) -> Any:
        """Item ``i``."""
        return self.x[i]

    def python(self) -> Any:
        """The Python iterable."""
        return iter(self.x)

    def describe(self) -> str:
        """How the header reads."""
        return f"an array of shape {self.x.shape}"


class EnumerateSeq(Seq):
    """``enumerate(inner, start)``."""

    def __init__(self, inner: Seq, start: int):
        self.inner, self.start = inner, start

    def length(self) -> Any:
        """The number of items."""
        return self.inner.length()

    def item(self, i: Any) -> Any:
        """Item ``i``."""
        return (self.start + i, self.inner.item(i))

    def python(self) -> Any:
        """The Python iterable."""
        return enumerate(self.inner.python(), self.start)

    def describe(self) -> str:
        """How the header reads."""
        return f"enumerate({self.inner.describe()})"


class ZipSeq(Seq):
    """``zip(*inners)``: as long as the shortest."""

    def __init__(self, inners: list[Seq]):
        self.inners = inners

    def length(self) -> Any:
        """The number of items."""
        lengths = [s.length() for s in self.inners]
        if all(isinstance(n, int) for n in lengths):
            return min(lengths)
        return functools.reduce(np.minimum, lengths)

    def item(self, i: Any) -> Any:
        """Item ``i``."""
        return tuple(s.item(i) for s in self.inners)

    def python(self) -> Any:
        """The Python iterable."""
        return zip(*(s.python() for s in self.inners))

    def describe(self) -> str:
        """How the header reads."""
        return f"zip({', '.join(s.describe() for s in self.inners)})"


class ReversedSeq(Seq):
    """``reversed(inner)``."""

    def __init__(self, inner: Seq):
        self.inner = inner

    def length(self) -> Any:
        """The number of items."""
        return self.inner.length()

    def item(self, i: Any) -> Any:
        """Item ``i``."""
        return self.inner.item(self.inner.length() - 1 - i)

    def python(self) -> Any:
        """The Python iterable."""
        return reversed(list(self.inner.python()))

    def describe(self) -> str:
        """How the header reads."""
        return f"reversed({self.inner.describe()})"


def as_seq(value: Any) -> Seq | None:
    """``value`` as a sequence a loop can roll (None: iterate it as Python does)."""
    if isinstance(value, Seq):
        return value
    if isinstance(value, range):
        return RangeSeq(value.start, value.stop, value.step)
    if isinstance(value, Tracer) and value.ndim >= 1 and type(value).__name__ == "Tracer":
        return ArraySeq(value)
    return None


def _range_seq(args: tuple) -> RangeSeq | None:
    if not 1 <= len(args) <= 3 or not all(_is_int(a) for a in args):
        return None
    start, stop, step = (0, args[0], 1) if len(args) == 1 else (args[0], args[1], args[2] if len(args) == 3 else 1)
    if isinstance(step, Tracer):
        if step._origins:  # a Python int argument (a batch size): traced again with it static
            raise StaticNeeded(step._origins, "the step of a range()", user_location())
        raise UnsupportedError(f"range() with a traced step{at(user_location())}: the step must be a Python int")
    if int(step) == 0:
        raise user_error(ValueError(f"range() arg 3 must not be zero{at(user_location())}"))
    return RangeSeq(start if isinstance(start, Tracer) else int(start), stop if isinstance(stop, Tracer) else int(stop),
                    int(step))


def of_call(fn: Callable, args: tuple, kwargs: dict) -> Seq | None:
    """The sequence ``fn(*args, **kwargs)`` in a ``for`` header stands for (None: a plain call)."""
    if fn is range and not kwargs:
        return _range_seq(args)
    if fn is enumerate:
        start = kwargs.get("start", args[1] if len(args) > 1 else 0)
        inner = as_seq(args[0]) if args else None
        if inner is None or isinstance(start, Tracer) or set(kwargs) - {"start"}:
            return None
        return EnumerateSeq(inner, int(start))
    if fn is zip and args and not kwargs:
        inners = [as_seq(a) for a in args]
        return None if any(s is None for s in inners) else ZipSeq(inners)
    if fn is reversed and len(args) == 1 and not kwargs:
        inner = as_seq(args[0])
        return None if inner is None else ReversedSeq(inner)
    return None


# -- the loop target ------------------------------------------------------------------------------
def target_names(text: str) -> tuple | None:
    """The loop target's structure: a name, or a (nested) tuple of such; None: other targets."""
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return None

    def walk(n):
        if isinstance(n, ast.Name):
            return n.id
        if isinstance(n, (ast.Tuple, ast.List)) and not any(isinstance(e, ast.Starred) for e in n.elts):
            parts = [walk(e) for e in n.elts]
            return None if any(p is None for p in parts) else tuple(parts)
        return None

    out = walk(node)
    return None if out is None else (out,)


def bind(target: tuple, value: Any) -> dict:
    """The names of ``target`` (from :func:`target_names`) bound to ``value`` as ``for`` assigns them."""
    out: dict = {}

    def assign(t, v):
        if isinstance(t, str):
            out[t] = v
            return
        items = list(v) if not isinstance(v, tuple) else v
        if len(items) != len(t):
            raise user_error(ValueError(f"cannot unpack {len(items)} values into {len(t)} names{at(user_location())}"))
        for tt, vv in zip(t, items):
            assign(tt, vv)

    assign(target[0], value)
    return out


def flat_names(target: tuple) -> list[str]:
    """Every name the target assigns."""
    out = []
    for t in target:
        out.extend([t] if isinstance(t, str) else flat_names(t))
    return out


# -- names read after a loop ----------------------------------------------------------------------
@functools.lru_cache(maxsize=64)
def _module_ast(source: str) -> ast.Module | None:  # (keyed by the text: a rewritten file is parsed again)
    try:
        return ast.parse(source) if source else None
    except SyntaxError:
        return None


def _loop_node(opts: dict) -> tuple:
    """(the ``for`` statement at ``opts["lineno"]`` of ``opts["filename"]``, its function); Nones: unknown."""
    filename, lineno = opts.get("filename"), opts.get("lineno")
    if not filename or not lineno:
        return None, None
    tree = _module_ast("".join(linecache.getlines(filename)))
    if tree is None:
        return None, None
    loop, function = None, None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.lineno <= lineno <= node.end_lineno:
            if function is None or node.lineno >= function.lineno:
                function = node
        if isinstance(node, (ast.For, ast.AsyncFor)) and node.lineno == lineno:
            loop = node
    return loop, function


HEAVY_CALLS = frozenset({"dot", "matmul", "einsum", "tensordot", "inner", "outer", "solve", "inv", "vdot", "kron",
                         "convolve", "correlate", "sort", "argsort", "cumsum", "cumprod"})
LIGHT_NODES = 120  # AST nodes of a body light enough to repeat when unrolled


def light_body(opts: dict) -> bool:
    """Whether the loop's body is light to unroll: no loop inside, no matrix product or sort
    (their kernels are what compile time goes to; repeated, they do not fuse), no ``append``
    an ``if`` or a jump may skip (rolled, a traced test can take it), a short body.
    Unknown source: assumed light."""
    loop, _ = _loop_node(opts)
    if loop is None:
        return True
    count, appends, branches = 0, False, False
    for stmt in loop.body:
        for node in ast.walk(stmt):
            count += 1
            if isinstance(node, (ast.For, ast.While, ast.AsyncFor)):
                return False
            appends = appends or isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "append"
            branches = branches or isinstance(node, (ast.If, ast.Break, ast.Continue, ast.Return))
            if isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, ast.MatMult):
                return False
            if isinstance(node, ast.Call):
                fn = node.func
                name = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else ""
                if name in HEAVY_CALLS:
                    return False
    return count <= LIGHT_NODES and not (appends and branches)  # (an append a traced test may skip: rolled)


def read_after(opts: dict, names: list[str]) -> bool:
    """Whether the function holding the ``for`` at ``opts["lineno"]`` of ``opts["filename"]``
    reads one of ``names`` outside that loop (unknown source: assumed so)."""
    names = [name for name in names if not name.startswith("__tj_continue_")]  # (cleared at each step's start)
    if not names:
        return False
    if any(name.startswith("__tj_") for name in names):  # the converted code's own state
        return True
    loop, function = _loop_node(opts)
    if loop is None or function is None:
        return True
    inside = {id(n) for n in ast.walk(loop)}
    wanted = set(names)
    augmented = {id(n.target) for n in ast.walk(function) if isinstance(n, ast.AugAssign)}  # (``v -= 1`` reads v)
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and (isinstance(node.ctx, ast.Load) or id(node) in augmented) \
                and node.id in wanted and id(node) not in inside:
            return True
    return False


def rebinds_target(opts: dict) -> bool:
    """Whether the body of the ``for`` at ``opts["lineno"]`` assigns its target name(s) (``i = f(i)``)
    and the function reads them after the loop: then, as in Python, they hold the body's last
    value after it, not the last item (unknown source: assumed not)."""
    names = set(flat_names(target_names(opts.get("target", "")) or ()))
    loop, function = _loop_node(opts)
    if not names or loop is None or function is None:
        return False
    own = {id(n) for n in ast.walk(loop.target)}
    assigned = {n.id for stmt in loop.body for n in ast.walk(stmt)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id in names and id(n) not in own}
    return bool(assigned) and read_after(opts, sorted(assigned))
