"""Differentiating inside a trace: a function recorded inline into the trace being built on
fresh alias nodes of its differentiated arguments, and the derivative's nodes added to the
same graph by the transforms of ``compiler/autodiff/`` (so the gradient program is optimized
and fused with the rest of the traced function).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from tracejit.compiler.autodiff import Builder, is_float, jvp_graph, vjp_graph
from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend.arraylike import is_complex_value
from tracejit.frontend.context import current_trace, user_location
from tracejit.frontend.convert import converted
from tracejit.frontend.core import ScalarTracer, Trace, Tracer, as_python_scalar
from tracejit.frontend.tree import TreeDef, flatten, unflatten


def trace_of(values: Sequence[Any]) -> Trace | None:
    """The trace to record into: the active one, else that of a traced value among ``values``."""
    active = current_trace()
    if active is not None:
        return active
    for leaf in values:
        if isinstance(leaf, Tracer):
            return leaf._trace
    return None


def _is_python_scalar(leaf: Any) -> bool:
    return isinstance(leaf, ScalarTracer) or (isinstance(leaf, (float, int)) and not isinstance(leaf, bool))


def check_differentiable(leaf: Any, what: str) -> np.dtype:
    """The dtype of ``leaf``, a value differentiated against; TypeError unless real floating."""
    if is_complex_value(leaf) or np.iscomplexobj(leaf) and not isinstance(leaf, Tracer):
        raise UnsupportedError(f"{what}: differentiating complex values is not supported yet{at(user_location())}")
    dtype = leaf.dtype if isinstance(leaf, Tracer) else np.asarray(leaf).dtype
    if not is_float(dtype):
        raise user_error(TypeError(f"{what} must be real floating point to be differentiated, got {dtype} "
                                   f"(integer and boolean values have no derivative){at(user_location())}"))
    return np.dtype(dtype)


@dataclass
class Recorded:
    """A function recorded into ``trace`` on alias nodes of its differentiated arguments."""

    trace: Trace
    wrt: list[int]  # the alias nodes, argument leaf by leaf
    wrt_scalar: list[bool]  # which stand for Python scalars
    wrt_trees: list[TreeDef]  # the structure of each differentiated argument
    out: Any  # what the function returned (without aux)
    out_tree: TreeDef
    out_nodes: list[int]
    aux: Any = None

    def release(self) -> None:
        """After the last derivative of this recording: the function's nodes read the
        arguments again instead of their alias copies (which then only serve tracers that
        hold them), so no copy is left in the compiled program."""
        graph = self.trace.graph
        for w in self.wrt:
            graph.replace_uses(w, graph.operands(w)[0])

    def builder(self) -> Builder:
        """A builder adding nodes to the trace's graph."""
        return Builder(self.trace.graph)

    def tracers(self, nodes: Sequence[int | None], like: Sequence[int], scalar: Sequence[bool]) -> list[Tracer]:
        """Tracers of ``nodes``, a zero array of ``like``'s shape and dtype for None."""
        b, out = self.builder(), []
        for nid, ref, sc in zip(nodes, like, scalar):
            if nid is None:
                b.loc = user_location()
                nid = b.zeros(b.shape(ref), b.dtype(ref))
            out.append(Tracer(self.trace, nid, scalar=sc and len(b.shape(nid)) == 0))
        return out

    def grads(self, nodes: Sequence[int | None]) -> list[Any]:
        """The cotangents of the differentiated arguments, shaped as the arguments."""
        return self.shaped(self.tracers(nodes, self.wrt, self.wrt_scalar))

    def shaped(self, leaves: Sequence[Any]) -> list[Any]:
        """One value per differentiated argument leaf -> one nest per differentiated argument."""
        out, k = [], 0
        for tree in self.wrt_trees:
            out.append(unflatten(tree, leaves[k:k + tree.num_leaves]))
            k += tree.num_leaves
        return out


def record(fun: Callable, args: tuple, kwargs: dict, argnums: tuple[int, ...], has_aux: bool,
           trace: Trace | None = None) -> Recorded:
    """Run ``fun`` into the current trace with the arguments ``argnums`` replaced by aliases."""
    trace = trace or trace_of([leaf for a in args for leaf in flatten(a)[0]])
    if trace is None:
        raise RuntimeError("record() needs a trace")
    loc = user_location()
    args = list(args)
    wrt, wrt_scalar, trees = [], [], []
    for i in argnums:
        if not -len(args) <= i < len(args):
            raise user_error(ValueError(f"argnums {i} is out of range for {len(args)} positional arguments"))
        leaves, tree = flatten(args[i])
        fresh = []
        for leaf in leaves:
            check_differentiable(leaf, f"argument {i}")
            source = leaf if isinstance(leaf, Tracer) else np.asarray(leaf, dtype=np.result_type(leaf))
            origin = trace.node_of(source, loc)
            node = trace.graph.add("copy", [origin], loc=trace.graph.loc(origin))
            t = Tracer(trace, node, scalar=_is_python_scalar(leaf))
            if _is_python_scalar(leaf):
                t._weak = float
                t = as_python_scalar(t)
            wrt.append(node)
            wrt_scalar.append(_is_python_scalar(leaf))
            fresh.append(t)
        args[i] = unflatten(tree, fresh)
        trees.append(tree)
    result = converted(fun)(*args, **kwargs)
    aux = None
    if has_aux:
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            raise user_error(TypeError("with has_aux=True the function must return a pair (output, aux), "
                                       f"got {type(result).__name__}{at(loc)}"))
        result, aux = result
    leaves, out_tree = flatten(result)
    nodes = []
    for leaf in leaves:
        if is_complex_value(leaf):
            raise UnsupportedError(f"differentiating a complex result is not supported yet{at(loc)}")
        nodes.append(trace.node_of(leaf if isinstance(leaf, Tracer) else np.asarray(leaf), loc))
    return Recorded(trace, wrt, wrt_scalar, trees, result, out_tree, nodes, aux)


def backward(rec: Recorded, cotangents: Sequence[Any], flat: bool = False) -> list[Any]:
    """The vector-Jacobian product: cotangent leaves of the outputs (None: zero) -> one per
    differentiated argument (``flat``: one per differentiated argument leaf)."""
    b = rec.builder()
    loc = user_location()
    cts = []
    for leaf, nid in zip(cotangents, rec.out_nodes):
        if leaf is None:
            cts.append(None)
            continue
        ct = rec.trace.node_of(leaf if isinstance(leaf, Tracer) else np.asarray(leaf, dtype=b.dtype(nid)), loc)
        if b.shape(ct) != b.shape(nid):
            raise user_error(ValueError(f"vjp: a cotangent of shape {b.shape(ct)} for an output of shape "
                                        f"{b.shape(nid)}{at(loc)}"))
        cts.append(b.convert(ct, b.dtype(nid)) if is_float(b.dtype(nid)) else None)
    nodes = vjp_graph(b, rec.wrt, rec.out_nodes, cts)
    return rec.tracers(nodes, rec.wrt, rec.wrt_scalar) if flat else rec.grads(nodes)


def forward(rec: Recorded, tangents: Sequence[Any]) -> list[Tracer]:
    """The Jacobian-vector product: tangent leaves of the differentiated arguments (None: zero)
    -> one per output leaf."""
    b = rec.builder()
    loc = user_location()
    tans = []
    for leaf, nid in zip(tangents, rec.wrt):
        if leaf is None:
            tans.append(None)
            continue
        t = rec.trace.node_of(leaf if isinstance(leaf, Tracer) else np.asarray(leaf, dtype=b.dtype(nid)), loc)
        if b.shape(t) != b.shape(nid):
            raise user_error(ValueError(f"jvp: a tangent of shape {b.shape(t)} for a primal of shape "
                                        f"{b.shape(nid)}{at(loc)}"))
        tans.append(b.convert(t, b.dtype(nid)))
    outs = jvp_graph(b, rec.wrt, tans, rec.out_nodes)
    return rec.tracers(outs, rec.out_nodes, [False] * len(outs))
