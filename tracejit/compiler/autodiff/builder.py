"""The builder a differentiation rule receives: it appends ordinary ops to the graph being
differentiated, each at the user's source line of the primal node the rule is for.

Rules see nodes as graph node ids (ints) and build new ones only through this object, so
the op modules import nothing of the transform. ``None`` stands for a symbolic zero
wherever a tangent or cotangent is expected; the arithmetic helpers below propagate it
without materializing zeros.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from tracejit.compiler.dtypes import AVal
from tracejit.compiler.graph import Graph
from tracejit.compiler.ops import get_op

Node = int


def is_float(dtype: np.dtype) -> bool:
    """Whether values of ``dtype`` are differentiable (real floating point)."""
    return np.dtype(dtype).kind == "f"


class Builder:
    """Appends nodes to ``graph``; ``loc`` (set by the transform per primal node) is the
    user's line the new nodes carry."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.loc: str | None = None
        self._consts: dict[tuple, Node] = {}
        self.active: set[Node] | None = None  # set by a transform: the nodes it differentiates

    def needs(self, x: Node) -> bool:
        """Whether the transform needs a derivative for node ``x`` (rules may skip the others)."""
        return self.active is None or x in self.active

    # -- queries ---------------------------------------------------------------------------
    def aval(self, x: Node) -> AVal:
        """Shape and dtype of node ``x``."""
        return self.graph.aval(x)

    def shape(self, x: Node) -> tuple[int, ...]:
        """Shape of node ``x``."""
        return tuple(self.graph.aval(x).shape)

    def dtype(self, x: Node) -> np.dtype:
        """Dtype of node ``x``."""
        return np.dtype(self.graph.aval(x).dtype)

    # -- construction -------------------------------------------------------------------------
    def op(self, name: str, *nodes: Node, **attrs: Any) -> Node:
        """Apply op ``name`` to ``nodes``. Elementwise operands of different float dtypes are
        converted to the widest first (the ops' loops take one dtype)."""
        nodes = list(nodes)
        opdef = get_op(name)
        if opdef.kind == "elementwise" and name not in ("where", "convert") and len(nodes) > 1:
            dts = [self.dtype(n) for n in nodes]
            if len(set(dts)) > 1:
                target = np.result_type(*dts)
                nodes = [self.convert(n, target) for n in nodes]
        elif name == "where":
            dt = np.result_type(self.dtype(nodes[1]), self.dtype(nodes[2]))
            nodes = [nodes[0], self.convert(nodes[1], dt), self.convert(nodes[2], dt)]
        return self.graph.add(name, nodes, attrs=attrs, loc=self.loc)

    def const(self, value: float, like: Node | np.dtype) -> Node:
        """A 0-d constant ``value`` of the dtype of ``like`` (a node or a dtype)."""
        dtype = np.dtype(like) if not isinstance(like, (int, np.integer)) else self.dtype(like)
        key = (float(value), dtype.str)
        nid = self._consts.get(key)
        if nid is None or nid not in self.graph:
            nid = self._consts[key] = self.graph.add_constant(np.asarray(value, dtype=dtype), loc=self.loc)
        return nid

    def array(self, value: np.ndarray) -> Node:
        """A constant array."""
        return self.graph.add_constant(np.asarray(value), loc=self.loc)

    def broadcast(self, x: Node, shape: tuple[int, ...]) -> Node:
        """``x`` broadcast to ``shape`` (itself when it has that shape)."""
        shape = tuple(shape)
        return x if self.shape(x) == shape else self.op("broadcast_to", x, shape=shape)

    def zeros(self, shape: tuple[int, ...], dtype: np.dtype) -> Node:
        """A materialized zero array (a broadcast constant; only where an op needs an operand)."""
        return self.broadcast(self.const(0.0, np.dtype(dtype)), tuple(shape))

    def convert(self, x: Node, dtype: np.dtype) -> Node:
        """``x`` as ``dtype`` (itself when it is of that dtype)."""
        dtype = np.dtype(dtype)
        return x if self.dtype(x) == dtype else self.op("convert", x, dtype=dtype)

    def reshape(self, x: Node, shape: tuple[int, ...]) -> Node:
        """``x`` reshaped (itself when it has that shape)."""
        shape = tuple(shape)
        return x if self.shape(x) == shape else self.op("reshape", x, shape=shape)

    def sum(self, x: Node, axes: tuple[int, ...], keepdims: bool = False) -> Node:
        """Sum of ``x`` over ``axes`` (itself when there are none)."""
        axes = tuple(sorted(axes))
        return self.op("sum", x, axes=axes, keepdims=keepdims) if axes else x

    def unbroadcast(self, ct: Node | None, shape: tuple[int, ...], dtype: np.dtype | None = None) -> Node | None:
        """Sum ``ct`` (the cotangent of a broadcast result) back to an operand's ``shape``,
        and convert it to the operand's ``dtype`` (None: keep; a non-float dtype: None)."""
        if ct is None or (dtype is not None and not is_float(dtype)):
            return None
        shape = tuple(shape)
        have = self.shape(ct)
        if have != shape:
            lead = len(have) - len(shape)
            axes = tuple(range(lead)) + tuple(lead + d for d, n in enumerate(shape) if n == 1 and have[lead + d] != 1)
            ct = self.reshape(self.sum(ct, axes), shape)
        return ct if dtype is None else self.convert(ct, dtype)

    # -- arithmetic on possibly-zero (None) values ------------------------------------------
    def add(self, x: Node | dict | None, y: Node | dict | None) -> Node | dict | None:
        """``x + y`` where None is zero; dicts (a control node's per-result values) add by key."""
        if x is None:
            return y
        if y is None:
            return x
        if isinstance(x, dict):
            return {k: self.add(x.get(k), y.get(k)) for k in x.keys() | y.keys()}
        return self.op("add", x, y)

    def neg(self, x: Node | None) -> Node | None:
        """``-x`` where None is zero."""
        return None if x is None else self.op("negative", x)

    def mul(self, x: Node | None, y: Node | float | None) -> Node | None:
        """``x * y`` where None is zero and a Python float ``y`` is a constant (1 and -1 add no multiply)."""
        if x is None or y is None:
            return None
        if isinstance(y, float):  # (node ids are ints)
            if y == 1:
                return x
            if y == -1:
                return self.op("negative", x)
            y = self.const(y, x)
        return self.op("multiply", x, y)

    def div(self, x: Node | None, y: Node) -> Node | None:
        """``x / y`` where None is zero."""
        return None if x is None else self.op("divide", x, y)

    def swap_last(self, x: Node) -> Node:
        """``x`` with its last two axes swapped."""
        n = len(self.shape(x))
        perm = tuple(range(n - 2)) + (n - 1, n - 2)
        return self.op("transpose", x, perm=perm)
