"""``tj.jacfwd``, ``tj.jacrev`` and ``tj.hessian``: whole Jacobians, one product per basis
vector (forward: per element of the differentiated arguments; reverse: per element of the
results), recorded into the trace being built. Arguments and results are pytrees: the Jacobian
has the results' structure, each leaf holding the arguments' structure of arrays shaped
``out.shape + arg.shape``.

The program does not grow with the number of basis vectors: the product is built once, on a
placeholder seed, and its *linear part* (the nodes that depend on the seed) is rebuilt with a
leading axis of all ``n`` unit seeds (``compiler/autodiff/batching.py``: a matmul becomes one
matmul of ``n`` rows, elementwise ops broadcast). Where an op of the linear part has no
batching rule (gathers, dynamic updates, loops, LAPACK calls), the linear part is moved into
the body of a loop over the basis index ``k`` instead, which builds the one-hot seed
(``iota == k``), runs the product and writes row ``k`` of each result (``dynamic_update``).
Either way, what the product needs from the function (the residuals: ``cos(x)``, activations,
weights) is computed once, outside (the loop captures it).
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import networkx as nx
import numpy as np

from tracejit.compiler.autodiff import Builder, is_float, jvp_graph, vjp_graph
from tracejit.compiler.autodiff.batching import batch_linear
from tracejit.compiler.dtypes import AVal
from tracejit.compiler.graph import Graph, SubGraph
from tracejit.errors import UnsupportedError, at
from tracejit.frontend.autodiff import Transformed, argnums_of
from tracejit.frontend.context import user_location
from tracejit.frontend.core import Tracer
from tracejit.frontend.difftrace import Recorded, record
from tracejit.frontend.tree import unflatten

BATCHED = True  # batch the linear part where every op has a batching rule (else: a loop)
I64 = np.dtype(np.int64)
Node = int


def _size(shape: tuple[int, ...]) -> int:
    return int(np.prod(shape, dtype=np.int64))


def _products(b: Builder, seed_aval: AVal, product: Callable[[Node], list[Node | None]]) -> list[Node | None]:
    """``product`` (a linear function of a seed node -> result nodes, None for zero) of every
    unit array of ``seed_aval``: per result, its values for all seeds stacked on a leading axis
    ``[n, *result shape]`` (None where always zero). Batched, else one loop over the seeds."""
    n = _size(seed_aval.shape)
    if n == 0:  # (an empty Jacobian: only the number of results is needed)
        return [None] * len(product(b.zeros(tuple(seed_aval.shape), seed_aval.dtype)))
    graph = b.graph
    seed = b.op("copy", b.zeros(tuple(seed_aval.shape), seed_aval.dtype))  # the placeholder
    results = product(seed)
    linear = nx.descendants(graph.nx, seed)
    order = [v for v in graph.topo_order() if v in linear]
    done = batch_linear(b, seed, order, n, lambda: _unit_seeds(b, seed_aval, n)) if BATCHED else None
    if done is None:
        stacked = _loop(b, seed, order, results, n)
    else:
        stacked = [None if r is None else done[r] if r in done else
                   b.broadcast(b.reshape(r, (1,) + b.shape(r)), (n,) + b.shape(r)) for r in results]
    for nid in reversed(order):  # (the linear part now lives in the loop's body or batched)
        graph.remove(nid)
    graph.remove(seed)
    return stacked


def _unit_seeds(b: Builder, aval: AVal, n: int) -> Node:
    """All ``n`` unit arrays of ``aval``: ``[n, *shape]`` (``iota == iota``, fused where read)."""
    rows = b.array(np.arange(n, dtype=I64).reshape(n, 1))
    cols = b.array(np.arange(n, dtype=I64).reshape(1, n))
    return b.reshape(b.convert(b.op("equal", rows, cols), np.dtype(aval.dtype)), (n,) + tuple(aval.shape))


def _loop(b: Builder, seed: Node, order: list[Node], results: list[Node | None], n: int) -> list[Node | None]:
    """A ``while`` over ``k = 0..n-1`` whose body is the nodes ``order`` (the linear part,
    cloned) on the ``k``-th unit seed, writing row ``k`` of each result's buffer ``[n, *shape]``."""
    graph, loc = b.graph, b.loc
    linear = set(order)
    written = [j for j, r in enumerate(results) if r is not None]
    bufs = [AVal((n,) + b.shape(results[j]), b.dtype(results[j])) for j in written]
    captures: list[Node] = []
    for v in order:
        captures += [u for u in graph.operands(v) if u not in linear and u != seed and u not in captures
                     and graph.op(u) != "constant"]
    captures += [results[j] for j in written if results[j] not in linear and results[j] != seed
                 and results[j] not in captures]
    body = Graph("body")
    ins = [body.add_input(i, f"body{i}", a, loc=loc)
           for i, a in enumerate([AVal((), I64)] + bufs + [graph.aval(c) for c in captures])]
    k, buf_in = ins[0], ins[1:1 + len(bufs)]
    where: dict[Node, Node] = dict(zip(captures, ins[1 + len(bufs):]))
    aval = graph.aval(seed)
    hit = body.add("equal", [body.add_constant(np.arange(n, dtype=I64), loc=loc), k], loc=loc)
    one_hot = body.add("convert", [hit], attrs={"dtype": np.dtype(aval.dtype)}, loc=loc)
    where[seed] = body.add("reshape", [one_hot], attrs={"shape": tuple(aval.shape)}, loc=loc)
    for v in order:
        d = graph.data(v)
        operands = [where[u] if u in where else body.add_constant(graph.data(u)["value"], loc=graph.loc(u))
                    for u in graph.operands(v)]
        where[v] = body.add(d["op"], operands, attrs=dict(d["attrs"]), loc=d["loc"], aval=graph.aval(v),
                            value=d["value"])
    new_bufs = []
    for buf, a, j in zip(buf_in, bufs, written):
        row = body.add("reshape", [where[results[j]]], attrs={"shape": (1,) + tuple(a.shape[1:])}, loc=loc)
        new_bufs.append(body.add("dynamic_update", [buf, row, k], attrs={"dims": (0,), "steps": (1,)}, loc=loc))
    step = body.add("add", [k, body.add_constant(np.ones((), I64), loc=loc)], loc=loc)
    for i, v in enumerate([step] + new_bufs):
        body.add_output(i, v)
    cond = Graph("cond")
    cins = [cond.add_input(i, f"cond{i}", a, loc=loc) for i, a in enumerate([AVal((), I64)] + bufs + [AVal((), I64)])]
    cond.add_output(0, cond.add("less", [cins[0], cins[-1]], loc=loc))
    inits = [b.array(np.zeros((), I64))] + [b.zeros(tuple(a.shape), a.dtype) for a in bufs]
    node = b.op("while", *(inits + [b.array(np.asarray(n, dtype=I64))] + captures), cond=SubGraph(cond),
                body=SubGraph(body), n_carry=1 + len(bufs), n_cond=1)
    picked = {j: b.op("loop_out", node, index=1 + i, shape=tuple(a.shape), dtype=np.dtype(a.dtype))
              for i, (j, a) in enumerate(zip(written, bufs))}
    return [picked.get(j) for j in range(len(results))]


def _block(rec: Recorded, stacked: Node | None, out: Node, arg: Node, reverse: bool) -> Tracer:
    """The Jacobian block of result node ``out`` in argument node ``arg`` (``out.shape +
    arg.shape``) from the stacked products (reverse: ``[out.size, *arg.shape]``, forward:
    ``[arg.size, *out.shape]``; None: zero)."""
    b = rec.builder()
    b.loc = user_location()
    oshape, ashape = b.shape(out), b.shape(arg)
    if stacked is None:
        return Tracer(rec.trace, b.zeros(oshape + ashape, b.dtype(arg if reverse else out)))
    if not reverse:  # [arg.size, *out] -> [*out, arg.size]
        nd = len(oshape) + 1
        stacked = b.op("transpose", stacked, perm=tuple(range(1, nd)) + (0,))
    return Tracer(rec.trace, b.reshape(stacked, oshape + ashape))


def _assemble(rec: Recorded, blocks: list[list[Any]], several: bool) -> Any:
    """``blocks[o][w]`` (output leaf o, argument leaf w) in the results' and arguments' structure."""
    per_out = []
    for row in blocks:
        shaped = rec.shaped(row)
        per_out.append(tuple(shaped) if several else shaped[0])
    return unflatten(rec.out_tree, per_out)


def _jacobian_blocks(rec: Recorded, reverse: bool) -> list[list[Tracer]]:
    """Per result leaf, per argument leaf: the Jacobian block."""
    b = rec.builder()
    b.loc = user_location()
    ins, outs = rec.wrt, rec.out_nodes
    blocks: list[list[Any]] = [[None] * len(ins) for _ in outs]
    if reverse:
        for o, y in enumerate(outs):
            if not is_float(b.dtype(y)):
                stacked: Sequence[Node | None] = [None] * len(ins)
            else:
                stacked = _products(b, b.aval(y), lambda s, o=o: vjp_graph(
                    Builder(b.graph), ins, outs, [s if i == o else None for i in range(len(outs))]))
            for w, x in enumerate(ins):
                blocks[o][w] = _block(rec, stacked[w], y, x, True)
    else:
        for w, x in enumerate(ins):
            stacked = _products(b, b.aval(x), lambda s, w=w: jvp_graph(
                Builder(b.graph), ins, [s if i == w else None for i in range(len(ins))], outs))
            for o, y in enumerate(outs):
                blocks[o][w] = _block(rec, stacked[o], y, x, False)
    return blocks


def _jacobian(fun: Callable, argnums: int | Sequence[int], reverse: bool, name: str) -> Transformed:
    nums, several = argnums_of(argnums)

    def traced(*args, **kwargs):
        rec = record(fun, args, kwargs, nums, False)
        if any(n != 1 for n in rec.wrt_parts + rec.out_parts):
            raise UnsupportedError(f"{name} of complex arguments or results is not supported yet (use tj.vjp "
                                   f"or tj.jvp){at(user_location())}")
        blocks = _jacobian_blocks(rec, reverse)
        rec.release()
        return _assemble(rec, blocks, several)

    return Transformed(traced, fun, name, nums, (jacrev if reverse else jacfwd, (fun,), {"argnums": argnums}))


def jacfwd(fun: Callable, argnums: int | Sequence[int] = 0) -> Transformed:
    """The Jacobian of ``fun`` with respect to the arguments ``argnums``, by forward mode (one
    Jacobian-vector product per element of those arguments, all at once: batched).

    >>> import numpy as np, tracejit as tj
    >>> print(tj.jacfwd(lambda x: x ** 2)(np.arange(3.0)))
    [[0. 0. 0.]
     [0. 2. 0.]
     [0. 0. 4.]]
    """
    return _jacobian(fun, argnums, False, "jacfwd")


def jacrev(fun: Callable, argnums: int | Sequence[int] = 0) -> Transformed:
    """The Jacobian of ``fun`` with respect to the arguments ``argnums``, by reverse mode (one
    vector-Jacobian product per element of the results, all at once: batched).

    >>> import numpy as np, tracejit as tj
    >>> print(tj.jacrev(lambda x: np.array([x.sum(), (x * x).sum()]))(np.arange(3.0)))
    [[1. 1. 1.]
     [0. 2. 4.]]
    """
    return _jacobian(fun, argnums, True, "jacrev")


def hessian(fun: Callable, argnums: int | Sequence[int] = 0) -> Transformed:
    """The Hessian of ``fun`` (a float scalar) with respect to the arguments ``argnums``:
    ``jacfwd(jacrev(fun))``.

    >>> import numpy as np, tracejit as tj
    >>> print(tj.hessian(lambda x: (x ** 3).sum())(np.arange(3.0)))
    [[ 0.  0.  0.]
     [ 0.  6.  0.]
     [ 0.  0. 12.]]
    """
    return Transformed(jacfwd(jacrev(fun, argnums), argnums)._traced, fun, "hessian", argnums_of(argnums)[0],
                       (hessian, (fun,), {"argnums": argnums}))
