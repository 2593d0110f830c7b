"""``tj.grad``, ``value_and_grad``, ``vjp``, ``jvp`` (Jacobians: ``frontend/jacobians.py``).

Inside a trace (under ``tj.jit``, or inside another transform) a transform records the
function inline and adds its derivative to the same graph (``frontend/difftrace.py``), so
``jit(grad(f))``, ``grad(jit(f))`` and ``grad(grad(f))`` are one program. Called on plain
arrays it compiles itself: a cached internal ``jit`` of its traced form (one compilation per
signature); under ``tj.config.disable_jit`` it traces the same program and evaluates it with
the ops' NumPy references (``compiler/interpreter.py``).
"""
from __future__ import annotations

import functools
import inspect
import weakref
from typing import Any, Callable, Sequence

import numpy as np

from tracejit.compiler.autodiff import STOP
from tracejit.compiler.interpreter import evaluate
from tracejit.config import config
from tracejit.errors import StaticNeeded, at, user_error
from tracejit.frontend.api import JitFunction
from tracejit.frontend.arraylike import complex_support, is_complex_value
from tracejit.frontend.complex.boundary import as_complex
from tracejit.frontend.context import user_location
from tracejit.frontend.core import Tracer
from tracejit.frontend.difftrace import Recorded, backward, check_differentiable, forward, record, trace_of
from tracejit.frontend.pickling import by_value
from tracejit.frontend.signature import bind
from tracejit.frontend.traced_function import trace_function
from tracejit.frontend.tree import flatten, unflatten


def argnums_of(argnums: int | Sequence[int]) -> tuple[tuple[int, ...], bool]:
    """The argument indices to differentiate and whether results come as a tuple of them."""
    if isinstance(argnums, int):
        return (argnums,), False
    return tuple(argnums), True


def _run_eagerly(fun: Callable, args: tuple, kwargs: dict) -> Any:
    """``fun`` (a transform's traced form) traced for these arguments and evaluated with NumPy."""
    pysig = inspect.signature(fun)
    fixed: frozenset = frozenset()
    while True:
        call = bind(pysig, frozenset(), args, kwargs, fixed)
        try:
            traced = trace_function(fun, pysig, frozenset(), call, getattr(fun, "__name__", "fn"), freeze=True)
            break
        except StaticNeeded as need:
            fixed |= need.names
    outs = evaluate(traced.graph, call.arrays)
    leaves = []
    for leaf in traced.out_leaves:
        if leaf.index is None:
            leaves.append(leaf.value)
            continue
        value = outs[leaf.index]
        if leaf.mask is not None:  # a boolean selection: compacted here
            value = value[outs[leaf.mask]]
        if leaf.complex_dtype is not None:  # a complex result: its float pairs
            value = as_complex(value, leaf.complex_dtype)
        leaves.append(leaf.python(value[()]) if leaf.python is not None else value[()] if leaf.scalar else value)
    return unflatten(traced.out_tree, leaves)


class Transformed:
    """A transform of a function: runs inline inside a trace, else compiled (or eagerly with
    ``disable_jit``). ``lower()`` shows the compiled program."""

    def __init__(self, traced: Callable, like: Callable, name: str, argnums: tuple[int, ...] = (),
                 recipe: tuple | None = None):
        functools.update_wrapper(self, like)  # (inspect.signature and tj.jit see the function's own)
        self._traced = traced
        self._recipe = recipe  # (transform, args, kwargs) that made it: how it pickles
        self._argnums = argnums  # checked on the caller's arrays first: errors name the caller's line
        self._name = name
        self._jitted: JitFunction | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        leaves = [leaf for a in (args, kwargs) for leaf in flatten(a)[0]]
        if trace_of(leaves) is not None:
            return self._traced(*args, **kwargs)
        for i in self._argnums:
            if -len(args) <= i < len(args):
                for leaf in flatten(args[i])[0]:
                    check_differentiable(leaf, f"argument {i}")
        if config.disable_jit:
            return _run_eagerly(self._inline, args, kwargs)
        return self.jitted(*args, **kwargs)

    def _inline(self, *args: Any, **kwargs: Any) -> Any:
        return self._traced(*args, **kwargs)

    @property
    def jitted(self) -> JitFunction:
        """The compiled form (made on first use)."""
        if self._jitted is None:
            traced, evaluated = self._traced, self._inline

            def inline(*args, **kwargs):
                if trace_of([leaf for a in (args, kwargs) for leaf in flatten(a)[0]]) is None:
                    # jit's whole-function fallback (a signature it refused to compile) runs this on
                    # arrays: the derivative is then traced again and evaluated with NumPy
                    return _run_eagerly(evaluated, args, kwargs)
                return traced(*args, **kwargs)

            inline.__name__ = inline.__qualname__ = f"{self._name}_{getattr(self.__wrapped__, '__name__', 'fn')}"
            try:  # the function's own parameters: positional calls take jit's fast path
                inline.__signature__ = inspect.signature(self.__wrapped__)
            except (TypeError, ValueError):
                pass
            self._jitted = JitFunction(inline)
        return self._jitted

    def lower(self, *args: Any, **kwargs: Any) -> Any:
        """The compiled program for these arguments (see ``JitFunction.lower``)."""
        return self.jitted.lower(*args, **kwargs)

    def cache_info(self) -> Any:
        """The compiled form's cache statistics."""
        return self.jitted.cache_info()

    def __reduce__(self) -> tuple:
        """Pickled as the transform of the function that made it (``frontend/pickling.py``)."""
        if self._recipe is None:
            raise TypeError(f"cannot pickle {self!r}: only the transforms tj.grad, value_and_grad, jacfwd, "
                            "jacrev and hessian return pickle")
        return by_value(self, *self._recipe)

    def __repr__(self) -> str:
        return f"<tracejit.{self._name} of {getattr(self.__wrapped__, '__qualname__', self.__wrapped__)!r}>"


def _scalar_output(rec: Recorded, what: str) -> None:
    b = rec.builder()
    if len(rec.out_parts) != 1 or rec.out_tree.kind != "leaf":
        raise user_error(TypeError(f"{what} requires a function with one scalar output, got a "
                                   f"{rec.out_tree.kind} of {len(rec.out_parts)}{at(user_location())}"))
    if rec.out_parts[0] != 1:
        raise user_error(TypeError(f"{what} requires a real output, got a complex one (use tj.vjp)"
                                   f"{at(user_location())}"))
    nid = rec.out_nodes[0]
    if b.shape(nid) != ():
        raise user_error(TypeError(f"{what} requires a scalar output, got shape {b.shape(nid)}; use "
                                   f"tj.vjp or tj.jacrev for other outputs{at(user_location())}"))
    if b.dtype(nid).kind != "f":
        raise user_error(TypeError(f"{what} requires a real floating-point output, got {b.dtype(nid)}"
                                   f"{at(user_location())}"))


def value_and_grad(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Transformed:
    """``fun``'s value and its gradient with respect to the arguments ``argnums`` (pytrees of
    float arrays): ``(value, grad)``, or ``((value, aux), grad)`` with ``has_aux``; a tuple of
    gradients when ``argnums`` is a tuple. ``fun`` must return a float scalar.

    >>> import numpy as np, tracejit as tj
    >>> value, gradient = tj.value_and_grad(lambda x: (x ** 2).sum())(np.arange(3.0))
    >>> print(value, gradient)
    5.0 [0. 2. 4.]
    """
    nums, several = argnums_of(argnums)

    def traced(*args, **kwargs):
        rec = record(fun, args, kwargs, nums, has_aux)
        _scalar_output(rec, "grad")
        one = np.ones((), dtype=rec.builder().dtype(rec.out_nodes[0]))
        grads = backward(rec, [one])
        rec.release()
        grads = tuple(grads) if several else grads[0]
        return ((rec.out, rec.aux) if has_aux else rec.out), grads

    return Transformed(traced, fun, "value_and_grad", nums,
                       (value_and_grad, (fun,), {"argnums": argnums, "has_aux": has_aux}))


def grad(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Transformed:
    """The gradient of ``fun`` (a float scalar) with respect to the arguments ``argnums``:
    shaped as those arguments (a tuple of them when ``argnums`` is a tuple); with ``has_aux``,
    ``(grad, aux)``. Compiled like ``jit`` (inline when called inside a jitted function).

    >>> import numpy as np, tracejit as tj
    >>> print(tj.grad(lambda w, x: np.tanh(x @ w).sum())(np.zeros(2), np.ones((3, 2))))
    [3. 3.]
    >>> print(tj.grad(lambda a, b: (a * b).sum(), argnums=(0, 1))(np.ones(2), np.full(2, 3.0)))
    (array([3., 3.]), array([1., 1.]))
    """
    inner = value_and_grad(fun, argnums, has_aux)._traced
    nums, _ = argnums_of(argnums)

    def traced(*args, **kwargs):
        value, grads = inner(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    return Transformed(traced, fun, "grad", nums, (grad, (fun,), {"argnums": argnums, "has_aux": has_aux}))


_TRANSFORMS: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()


def _cached(fun: Callable, kind: str, make: Callable[[], Transformed]) -> Transformed:
    """One compiled transform per function and kind, so repeated ``tj.jvp(f, ...)`` calls compile once."""
    try:
        per = _TRANSFORMS.setdefault(fun, {})
    except TypeError:  # not weakly referenceable
        return make()
    found = per.get(kind)
    if found is None:
        found = per[kind] = make()
    return found


def jvp(fun: Callable, primals: Sequence[Any], tangents: Sequence[Any], has_aux: bool = False) -> tuple:
    """``(fun(*primals), J @ tangents)``: the forward-mode derivative along ``tangents``
    (one pytree per primal, of the primals' structure); with ``has_aux`` (``fun`` returns
    ``(out, aux)``): ``(out, tangent, aux)``.

    >>> import numpy as np, tracejit as tj
    >>> out, tangent = tj.jvp(lambda x: x ** 2, (np.arange(3.0),), (np.ones(3),))
    >>> print(out, tangent)
    [0. 1. 4.] [0. 2. 4.]
    """
    def traced(primals, tangents):
        primals, tangents = tuple(primals), tuple(tangents)
        if len(primals) != len(tangents):
            raise user_error(ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents"))
        rec = record(fun, primals, {}, tuple(range(len(primals))), has_aux)
        t_leaves = []
        for p, t in zip(primals, tangents):
            pl, pt = flatten(p)
            tl, tt = flatten(t)
            if pt != tt:
                raise user_error(ValueError("jvp: a tangent's structure differs from its primal's"))
            t_leaves.extend(tl)
        outs = forward(rec, t_leaves)
        rec.release()
        return (rec.out, unflatten(rec.out_tree, outs)) + ((rec.aux,) if has_aux else ())

    kind = "jvp_aux" if has_aux else "jvp"
    return _cached(fun, kind, lambda: Transformed(traced, traced, "jvp"))(tuple(primals), tuple(tangents))


def vjp(fun: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """``(fun(*primals), vjp_fn)``: ``vjp_fn(cotangent)`` (of the output's structure) returns
    the tuple of cotangents of the primals; with ``has_aux`` (``fun`` returns ``(out, aux)``):
    ``(out, vjp_fn, aux)``.

    >>> import numpy as np, tracejit as tj
    >>> out, vjp_fn = tj.vjp(lambda x: x ** 2, np.arange(3.0))
    >>> print(out, vjp_fn(np.ones(3)))
    [0. 1. 4.] (array([0., 2., 4.]),)
    """
    def traced_pullback(primals, ct):
        rec = record(fun, primals, {}, tuple(range(len(primals))), has_aux)
        grads = tuple(backward(rec, _match_tree(rec, ct)))
        rec.release()
        return grads

    leaves = [leaf for p in primals for leaf in flatten(p)[0]]
    if trace_of(leaves) is not None:
        rec = record(fun, primals, {}, tuple(range(len(primals))), has_aux)
        pull = lambda ct: tuple(backward(rec, _match_tree(rec, ct)))  # noqa: E731
        return (rec.out, pull, rec.aux) if has_aux else (rec.out, pull)
    forward_run = _cached(fun, "forward", lambda: Transformed(lambda *p: fun(*p), fun, "vjp"))
    pullback = _cached(fun, "pullback_aux" if has_aux else "pullback",
                       lambda: Transformed(traced_pullback, traced_pullback, "vjp"))
    out = forward_run(*primals)
    if has_aux:
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise user_error(TypeError("with has_aux=True the function must return a pair (output, aux), "
                                       f"got {type(out).__name__}"))
        return out[0], lambda ct: pullback(tuple(primals), ct), out[1]
    return out, lambda ct: pullback(tuple(primals), ct)


def _match_tree(rec: Recorded, ct: Any) -> list:
    leaves, tree = flatten(ct)
    if tree != rec.out_tree:
        raise user_error(ValueError("vjp: the cotangent's structure differs from the output's"))
    return leaves


def stop_gradient(x: Any) -> Any:
    """``x`` itself, as a constant for every derivative taken of it (a pytree of arrays): the
    transforms do not differentiate through it (``jax.lax.stop_gradient``).

    >>> import numpy as np, tracejit as tj
    >>> print(tj.grad(lambda x: (x * tj.stop_gradient(x)).sum())(np.arange(3.0)))
    [0. 1. 2.]
    """
    leaves, tree = flatten(x)
    out = []
    for leaf in leaves:
        parts = complex_support().split(leaf) if is_complex_value(leaf) else (leaf,)
        stopped = []
        for part in parts:
            if isinstance(part, Tracer):
                trace = part._trace
                nid = trace.graph.add("copy", [trace.node_of(part)], loc=user_location())
                trace.graph.data(nid)[STOP] = True
                part = Tracer(trace, nid, scalar=part._scalar)
            stopped.append(part)
        out.append(stopped[0] if len(stopped) == 1 else complex_support().join(*stopped))
    return unflatten(tree, out)


__all__ = ["grad", "value_and_grad", "jvp", "vjp", "stop_gradient", "Transformed", "argnums_of"]
