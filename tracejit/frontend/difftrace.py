"""Differentiating inside a trace: a function recorded inline into the trace being built on
fresh alias nodes of its differentiated arguments, and the derivative's nodes added to the
same graph by the transforms of ``compiler/autodiff/`` (so the gradient program is optimized
and fused with the rest of the traced function).

A complex leaf (argument, result, tangent or cotangent) is its two real parts, as everywhere
in the frontend. The conventions are JAX's: a tangent ``t`` is ``(Re t, Im t)``; a cotangent
``c`` enters the real transform as ``(Re c, -Im c)`` and the real cotangents ``(gx, gy)`` of an
argument's parts come back as ``gx - 1j * gy``, so ``vjp`` is linear in the cotangent,
``grad`` of a real function of ``z`` is ``df/dx - 1j * df/dy`` and a holomorphic ``f`` has
``vjp(c) = c * f'(z)``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from tracejit.compiler.autodiff import Builder, is_float, jvp_graph, vjp_graph
from tracejit.errors import at, user_error
from tracejit.frontend.arraylike import complex_support, is_complex_value
from tracejit.frontend.context import current_trace, recording_derivative, user_location
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
        if is_complex_value(leaf):
            return leaf._trace
    return None


def _is_python_scalar(leaf: Any) -> bool:
    return isinstance(leaf, ScalarTracer) or (isinstance(leaf, (float, int)) and not isinstance(leaf, bool))


def is_complex_leaf(leaf: Any) -> bool:
    """A complex value, traced or concrete."""
    return is_complex_value(leaf) or (not isinstance(leaf, Tracer) and np.iscomplexobj(leaf))


def check_differentiable(leaf: Any, what: str) -> np.dtype:
    """The dtype of ``leaf``, a value differentiated against; TypeError unless floating or complex."""
    dtype = np.dtype(leaf.dtype if hasattr(leaf, "dtype") else np.asarray(leaf).dtype)
    if not (is_float(dtype) or dtype.kind == "c"):
        raise user_error(TypeError(f"{what} must be floating point (real or complex) to be differentiated, "
                                   f"got {dtype} (integer and boolean values have no derivative)"
                                   f"{at(user_location())}"))
    return dtype


@dataclass
class Recorded:
    """A function recorded into ``trace`` on alias nodes of its differentiated arguments.
    Node lists hold one node per real leaf and two (real, imaginary part) per complex leaf."""

    trace: Trace
    wrt: list[int]  # the alias nodes
    wrt_parts: list[int]  # per differentiated argument leaf: 1 (real) or 2 (complex)
    wrt_scalar: list[bool]  # per leaf: stands for a Python scalar
    wrt_trees: list[TreeDef]  # the structure of each differentiated argument
    out: Any  # what the function returned (without aux)
    out_tree: TreeDef
    out_nodes: list[int]
    out_parts: list[int]  # per result leaf: 1 or 2
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

    def tracer(self, nid: int | None, like: int, scalar: bool = False) -> Tracer:
        """The tracer of ``nid``; a zero array of ``like``'s shape and dtype for None."""
        b = self.builder()
        if nid is None:
            b.loc = user_location()
            nid = b.zeros(b.shape(like), b.dtype(like))
        return Tracer(self.trace, nid, scalar=scalar and len(b.shape(nid)) == 0)

    def leaves(self, nodes: Sequence[int | None], like: Sequence[int], parts: Sequence[int],
               scalar: Sequence[bool], conjugate: bool) -> list[Any]:
        """Per leaf: the tracer of its node, or the complex value of its two (``conjugate``:
        ``re - 1j * im``)."""
        out, k = [], 0
        for n, sc in zip(parts, scalar):
            if n == 1:
                out.append(self.tracer(nodes[k], like[k], sc))
            else:
                re, im = (self.tracer(nodes[k + j], like[k + j]) for j in range(2))
                out.append(complex_support().join(re, -im if conjugate else im))
            k += n
        return out

    def shaped(self, leaves: Sequence[Any]) -> list[Any]:
        """One value per differentiated argument leaf -> one nest per differentiated argument."""
        out, k = [], 0
        for tree in self.wrt_trees:
            out.append(unflatten(tree, leaves[k:k + tree.num_leaves]))
            k += tree.num_leaves
        return out


def _alias(trace: Trace, part: Any, loc: str | None, weak: bool) -> Tracer:
    """A fresh ``copy`` node of ``part`` (the value the function is differentiated at)."""
    source = part if isinstance(part, Tracer) else np.asarray(part, dtype=np.result_type(part))
    origin = trace.node_of(source, loc)
    t = Tracer(trace, trace.graph.add("copy", [origin], loc=trace.graph.loc(origin)), scalar=weak)
    if weak:
        t._weak = float
        t = as_python_scalar(t)
    return t


def _parts(leaf: Any) -> tuple:
    """A value as its real parts: (itself,) or (real, imaginary)."""
    return tuple(complex_support().split(leaf)) if is_complex_leaf(leaf) else (leaf,)


def record(fun: Callable, args: tuple, kwargs: dict, argnums: tuple[int, ...], has_aux: bool,
           trace: Trace | None = None) -> Recorded:
    """Run ``fun`` into the current trace with the arguments ``argnums`` replaced by aliases."""
    trace = trace or trace_of([leaf for a in args for leaf in flatten(a)[0]])
    if trace is None:
        raise RuntimeError("record() needs a trace")
    loc = user_location()
    args = list(args)
    wrt, wrt_parts, wrt_scalar, trees = [], [], [], []
    for i in argnums:
        if not -len(args) <= i < len(args):
            raise user_error(ValueError(f"argnums {i} is out of range for {len(args)} positional arguments"))
        leaves, tree = flatten(args[i])
        fresh = []
        for leaf in leaves:
            check_differentiable(leaf, f"argument {i}")
            weak = _is_python_scalar(leaf) or type(leaf) is complex
            aliases = [_alias(trace, p, loc, weak) for p in _parts(leaf)]
            wrt.extend(a._node for a in aliases)
            wrt_parts.append(len(aliases))
            wrt_scalar.append(weak)
            fresh.append(aliases[0] if len(aliases) == 1 else complex_support().join(*aliases))
        args[i] = unflatten(tree, fresh)
        trees.append(tree)
    with recording_derivative(trace, wrt):  # (generalized loops on the differentiated path unroll: probe.py)
        result = converted(fun)(*args, **kwargs)
    aux = None
    if has_aux:
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            raise user_error(TypeError("with has_aux=True the function must return a pair (output, aux), "
                                       f"got {type(result).__name__}{at(loc)}"))
        result, aux = result
    leaves, out_tree = flatten(result)
    nodes, parts = [], []
    for leaf in leaves:
        pieces = _parts(leaf)
        nodes.extend(trace.node_of(p if isinstance(p, Tracer) else np.asarray(p), loc) for p in pieces)
        parts.append(len(pieces))
    return Recorded(trace, wrt, wrt_parts, wrt_scalar, trees, result, out_tree, nodes, parts, aux)


def _part_nodes(rec: Recorded, leaf: Any, like: Sequence[int], what: str, conjugate: bool) -> list[int | None]:
    """The nodes of a (co)tangent ``leaf`` for a leaf whose nodes are ``like`` (None: zeros)."""
    if leaf is None:
        return [None] * len(like)
    b, loc = rec.builder(), user_location()
    pieces = list(_parts(leaf))
    if len(pieces) > len(like):
        raise user_error(TypeError(f"{what}: a complex value for a real one{at(loc)}"))
    pieces += [None] * (len(like) - len(pieces))  # (a real value for a complex one: no imaginary part)
    out = []
    for j, (p, nid) in enumerate(zip(pieces, like)):
        if p is None or not is_float(b.dtype(nid)):
            out.append(None)
            continue
        node = rec.trace.node_of(p if isinstance(p, Tracer) else np.asarray(p, dtype=b.dtype(nid)), loc)
        if b.shape(node) != b.shape(nid):
            raise user_error(ValueError(f"{what} of shape {b.shape(node)} for a value of shape {b.shape(nid)}"
                                        f"{at(loc)}"))
        node = b.convert(node, b.dtype(nid))
        b.loc = loc
        out.append(b.op("negative", node) if conjugate and j == 1 else node)
    return out


def backward(rec: Recorded, cotangents: Sequence[Any], flat: bool = False) -> list[Any]:
    """The vector-Jacobian product: cotangent leaves of the outputs (None: zero) -> one per
    differentiated argument (``flat``: one per differentiated argument leaf)."""
    cts, k = [], 0
    for leaf, n in zip(cotangents, rec.out_parts):
        cts.extend(_part_nodes(rec, leaf, rec.out_nodes[k:k + n], "vjp: a cotangent", conjugate=True))
        k += n
    nodes = vjp_graph(rec.builder(), rec.wrt, rec.out_nodes, cts)
    leaves = rec.leaves(nodes, rec.wrt, rec.wrt_parts, rec.wrt_scalar, conjugate=True)
    return leaves if flat else rec.shaped(leaves)


def forward(rec: Recorded, tangents: Sequence[Any]) -> list[Any]:
    """The Jacobian-vector product: tangent leaves of the differentiated arguments (None: zero)
    -> one per output leaf."""
    tans, k = [], 0
    for leaf, n in zip(tangents, rec.wrt_parts):
        tans.extend(_part_nodes(rec, leaf, rec.wrt[k:k + n], "jvp: a tangent", conjugate=False))
        k += n
    outs = jvp_graph(rec.builder(), rec.wrt, tans, rec.out_nodes)
    return rec.leaves(outs, rec.out_nodes, rec.out_parts, [False] * len(rec.out_parts), conjugate=False)
