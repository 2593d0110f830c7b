"""The Graph IR: a ``networkx.MultiDiGraph`` of op applications.

Each node is one op application with data ``op`` (registry name), ``shape``, ``dtype``,
``attrs`` (static parameters), ``loc`` (the user's ``file:line``) and, for constants,
``value``. An edge ``u -> v`` with key ``k`` says ``u`` is operand ``k`` of ``v`` (so
``x * x`` has two edges). Inputs, constants and outputs are nodes too.
"""
from __future__ import annotations

import hashlib
import heapq
from typing import Any, Iterable

import networkx as nx
import numpy as np

from tracejit.compiler.dtypes import AVal, short_name
from tracejit.compiler.ops import get_op


class GraphError(ValueError):
    """A broken graph invariant (raised by :meth:`Graph.verify`)."""


class Graph:
    """A traced program: ops as nodes, operands as keyed edges."""

    def __init__(self, name: str = "fn"):
        self.name = name
        self.nx = nx.MultiDiGraph()
        self._next_id = 0

    # -- construction ------------------------------------------------------------------
    def add(self, op: str, operands: Iterable[int] = (), attrs: dict | None = None,
            loc: str | None = None, aval: AVal | None = None, value: np.ndarray | None = None) -> int:
        """Append a node applying ``op`` to ``operands``; its shape and dtype come from
        the op's rule unless ``aval`` is given (sources). Returns the node id."""
        operands = list(operands)
        attrs = dict(attrs or {})
        opdef = get_op(op)
        if aval is None:
            aval = opdef.infer(tuple(self.aval(u) for u in operands), **attrs)
        nid = self._next_id
        self._next_id += 1
        self.nx.add_node(nid, op=op, shape=tuple(aval.shape), dtype=np.dtype(aval.dtype),
                         attrs=attrs, loc=loc, value=value)
        for k, u in enumerate(operands):
            self.nx.add_edge(u, nid, key=k)
        return nid

    def add_input(self, index: int, name: str, aval: AVal, strides: tuple[int, ...] | None = None,
                  loc: str | None = None) -> int:
        """Argument ``index``; ``strides`` (in elements) when it is not C-contiguous."""
        return self.add("input", attrs={"index": index, "name": name, "shape": aval.shape,
                                        "dtype": aval.dtype, "strides": strides}, aval=aval, loc=loc)

    def add_constant(self, value: np.ndarray, loc: str | None = None) -> int:
        """Append a constant node holding a read-only C-ordered copy of ``value``; returns its id."""
        value = np.array(value, copy=True, order="C")
        value.flags.writeable = False
        aval = AVal(value.shape, value.dtype)
        return self.add("constant", attrs={"shape": value.shape, "dtype": value.dtype},
                        aval=aval, value=value, loc=loc)

    def add_output(self, index: int, node: int) -> int:
        """Append output ``index`` reading ``node`` (at ``node``'s location); returns its id."""
        return self.add("output", [node], attrs={"index": index}, loc=self.loc(node))

    def copy(self) -> "Graph":
        """An independent copy (own networkx graph and attrs dicts; constant values are shared)."""
        g = Graph(self.name)
        g.nx = self.nx.copy()
        for nid in g.nx.nodes:  # node data dicts are copied shallowly; attrs must not be shared
            g.nx.nodes[nid]["attrs"] = dict(g.nx.nodes[nid]["attrs"])
        g._next_id = self._next_id
        return g

    # -- queries -------------------------------------------------------------------------
    def __contains__(self, nid: int) -> bool:
        return nid in self.nx

    def __len__(self) -> int:
        return self.nx.number_of_nodes()

    def data(self, nid: int) -> dict[str, Any]:
        """The node's data dict (op, shape, dtype, attrs, loc, value), not a copy."""
        return self.nx.nodes[nid]

    def op(self, nid: int) -> str:
        """The registry name of the node's op."""
        return self.nx.nodes[nid]["op"]

    def attrs(self, nid: int) -> dict[str, Any]:
        """The node's static parameters, not a copy."""
        return self.nx.nodes[nid]["attrs"]

    def loc(self, nid: int) -> str | None:
        """The user's ``file:line`` that created the node, if known."""
        return self.nx.nodes[nid]["loc"]

    def aval(self, nid: int) -> AVal:
        """The node's shape and dtype."""
        d = self.nx.nodes[nid]
        return AVal(d["shape"], d["dtype"])

    # The queries below read networkx's adjacency dicts directly (``_pred``/``_succ``:
    # node -> neighbour -> edge key -> data): its edge views cost ~10x more per call, and
    # large unrolled traces make hundreds of thousands of these calls.
    def operands(self, nid: int) -> list[int]:
        """Operand node ids of ``nid`` in operand order."""
        pairs = [(k, u) for u, keys in self.nx._pred[nid].items() for k in keys]
        if len(pairs) > 1:
            pairs.sort()
        return [u for _, u in pairs]

    def users(self, nid: int) -> list[tuple[int, int]]:
        """``(user, operand index)`` pairs of every use of ``nid``."""
        return [(v, k) for v, keys in self.nx._succ[nid].items() for k in keys]

    def nodes_with_op(self, op: str) -> list[int]:
        """Ids of the nodes applying ``op``, in insertion order."""
        return [n for n, d in self.nx.nodes(data=True) if d["op"] == op]

    @property
    def inputs(self) -> list[int]:
        """Input node ids ordered by argument index."""
        return sorted(self.nodes_with_op("input"), key=lambda n: self.attrs(n)["index"])

    @property
    def outputs(self) -> list[int]:
        """Output node ids ordered by output index."""
        return sorted(self.nodes_with_op("output"), key=lambda n: self.attrs(n)["index"])

    def topo_order(self) -> list[int]:
        """Nodes in a deterministic topological order: among the nodes whose operands are
        all placed, the smallest id first (Kahn's algorithm with a heap)."""
        pred, succ = self.nx._pred, self.nx._succ
        waiting = {n: sum(len(keys) for keys in pred[n].values()) for n in pred}
        ready = [n for n, count in waiting.items() if count == 0]
        heapq.heapify(ready)
        order = []
        while ready:
            n = heapq.heappop(ready)
            order.append(n)
            for v, keys in succ[n].items():
                waiting[v] -= len(keys)
                if waiting[v] == 0:
                    heapq.heappush(ready, v)
        if len(order) != len(pred):
            raise GraphError(f"graph {self.name} has a cycle")
        return order

    # -- rewriting -----------------------------------------------------------------------
    def replace_uses(self, old: int, new: int) -> None:
        """Make every user of ``old`` use ``new`` instead (same operand positions)."""
        for v, k in self.users(old):
            self.nx.remove_edge(old, v, key=k)
            self.nx.add_edge(new, v, key=k)

    def remove(self, nid: int) -> None:
        """Delete node ``nid`` and its edges (its users are not rewired)."""
        self.nx.remove_node(nid)

    # -- invariants -----------------------------------------------------------------------
    def verify(self) -> None:
        """Check acyclicity, operand arity and order, and every node's shape and dtype
        against its op's rule. Raises :class:`GraphError`."""
        if not nx.is_directed_acyclic_graph(self.nx):
            raise GraphError(f"graph {self.name} has a cycle")
        seen_outputs = set()
        for nid in self.nx.nodes:
            d = self.data(nid)
            where = f"node %{nid} ({d['op']}){' at ' + d['loc'] if d['loc'] else ''}"
            opdef = get_op(d["op"])
            keys = sorted(k for _, _, k in self.nx.in_edges(nid, keys=True))
            if keys != list(range(len(keys))):
                raise GraphError(f"{where}: operand positions {keys} are not 0..n-1")
            if opdef.arity is not None and len(keys) != opdef.arity:
                raise GraphError(f"{where}: takes {opdef.arity} operands, has {len(keys)}")
            if opdef.kind == "source":
                value = d["value"]
                if d["op"] == "constant" and (value is None or value.shape != d["shape"]
                                             or value.dtype != d["dtype"]):
                    raise GraphError(f"{where}: constant value does not match {self.aval(nid)}")
                continue
            if opdef.kind == "output":
                if self.users(nid):
                    raise GraphError(f"{where}: an output has users")
                index = d["attrs"]["index"]
                if index in seen_outputs:
                    raise GraphError(f"{where}: output index {index} appears twice")
                seen_outputs.add(index)
            try:
                expect = opdef.infer(tuple(self.aval(u) for u in self.operands(nid)), **d["attrs"])
            except Exception as e:  # noqa: BLE001 - reported as a graph error
                raise GraphError(f"{where}: its op rule rejects the operands: {e}") from e
            if tuple(expect.shape) != d["shape"] or np.dtype(expect.dtype) != d["dtype"]:
                raise GraphError(f"{where}: is {self.aval(nid)} but its op rule gives {expect}")

    # -- dumps -----------------------------------------------------------------------------
    def node_text(self, nid: int) -> str:
        """One dump line: ``%id = op[attrs] operands : aval`` (constants show a scalar value)."""
        d = self.data(nid)
        hidden = ("shape", "dtype") if d["op"] in ("input", "constant") else ()
        attrs = {k: v for k, v in d["attrs"].items() if k not in hidden and not (k == "strides" and v is None)}
        if d["op"] == "constant":
            v = d["value"]
            body = f"constant {v.item()!r}" if v.size == 1 else f"constant <{self.aval(nid)}>"
        else:
            shown = ", ".join(f"{k}={_fmt_attr(v)}" for k, v in attrs.items())
            body = d["op"] + (f"[{shown}]" if shown else "")
            if self.operands(nid):
                body += " " + ", ".join(f"%{u}" for u in self.operands(nid))
        return f"%{nid} = {body} : {self.aval(nid)}"

    def as_text(self, annotate: dict[int, str] | None = None) -> str:
        """One op a line, in topological order, with the user's source line;
        ``annotate`` adds a tag per node (e.g. its kernel)."""
        lines = [f"graph {self.name}:"]
        for nid in self.topo_order():
            line = "  " + self.node_text(nid)
            tag = (annotate or {}).get(nid)
            loc = self.loc(nid)
            suffix = "  ".join(s for s in (f"[{tag}]" if tag else "", f"# {loc}" if loc else "") if s)
            lines.append(f"{line:<60} {suffix}".rstrip())
            for key, value in self.attrs(nid).items():  # a loop's or branch's own graphs
                inner = getattr(value, "graph", None)
                if isinstance(inner, Graph):
                    lines.append(f"    {key} of %{nid}:")
                    lines.extend("    " + text for text in inner.as_text().splitlines()[1:])
        return "\n".join(lines)

    def to_dot(self, clusters: dict[str, list[int]] | None = None) -> str:
        """Graphviz source; ``clusters`` draws named groups of nodes (kernels) as boxes."""
        def label(nid):  # (a host call, a fallback to Python: drawn red)
            return self.node_text(nid).replace('"', r'\"') + ('", color="red' if self.op(nid) == "host" else "")
        out = [f'digraph "{self.name}" {{', "  node [shape=box, fontname=monospace, fontsize=10];"]
        clustered = set()
        for name, members in (clusters or {}).items():
            out.append(f'  subgraph "cluster_{name}" {{ label="{name}"; style=rounded; color=blue;')
            for nid in members:
                out.append(f'    n{nid} [label="{label(nid)}"];')
                clustered.add(nid)
            out.append("  }")
        for nid in self.topo_order():
            if nid not in clustered:
                shape = "ellipse" if self.op(nid) in ("input", "constant", "output") else "box"
                out.append(f'  n{nid} [label="{label(nid)}", shape={shape}];')
        for u, v, k in self.nx.edges(keys=True):
            out.append(f'  n{u} -> n{v} [label="{k}"];' if len(self.operands(v)) > 1 else f"  n{u} -> n{v};")
        out.append("}")
        return "\n".join(out)


_MARKS = ("donated", "argument", "unused")  # node data beside the op that compiling a graph reads


def graph_fingerprint(graph: Graph) -> str:
    """A text naming a traced graph exactly: every node in id order with its op,
    operands, shape, dtype, attributes, source location and, for constants, a hash of
    their bytes (the optimized program is a function of this text and the settings)."""
    lines = [f"graph {graph.name!r} next={graph._next_id}"]
    for nid in sorted(graph.nx.nodes):
        d = graph.data(nid)
        value = d.get("value")
        digest = "" if value is None else hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()
        const = "" if value is None else f" value={value.dtype.str}{value.shape}:{digest}"
        # marks kernel formation reads (loop carries and written arguments donated, results nobody reads)
        marks = "".join(f" {k}={d[k]!r}" for k in _MARKS if d.get(k) is not None and d.get(k) is not False)
        lines.append(f"%{nid} {d['op']}{graph.operands(nid)} {d['dtype'].str}{tuple(d['shape'])} "
                     f"attrs={d['attrs']!r} loc={d['loc']!r}{const}{marks}")  # plain values: repr is exact
    return "\n".join(lines)


def _fmt_attr(v) -> str:
    if isinstance(v, np.dtype):
        return short_name(v)
    if isinstance(v, tuple):
        return "(" + ",".join(map(str, v)) + ("," if len(v) == 1 else "") + ")"
    return repr(v) if isinstance(v, str) else str(v)


class SubGraph:
    """A traced graph used as an attribute (a loop body, a branch): compared and
    printed by its fingerprint, so CSE, fingerprints and caches treat equal graphs alike."""

    __slots__ = ("graph", "key")

    def __init__(self, graph: Graph):
        self.graph = graph
        self.key = hashlib.sha256(graph_fingerprint(graph).encode()).hexdigest()[:32]

    def __repr__(self) -> str:
        return f"SubGraph({self.graph.name}:{self.key})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SubGraph) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def outputs_avals(self) -> list[AVal]:
        """The shapes and dtypes of the sub-graph's outputs."""
        g = self.graph
        return [g.aval(g.operands(o)[0]) for o in g.outputs]
