"""``tj.jacfwd``, ``tj.jacrev`` and ``tj.hessian``: whole Jacobians, one product per basis
vector (forward: per element of the differentiated arguments; reverse: per element of the
results), all recorded into one trace. Arguments and results are pytrees: the Jacobian has the
results' structure, each leaf holding the arguments' structure of arrays shaped
``out.shape + arg.shape``. (No batching transform yet, so the program grows with the number of
basis vectors: meant for small Jacobians.)"""
from __future__ import annotations

from typing import Any, Callable, Iterator, Sequence

import numpy as np

from tracejit.errors import UnsupportedError, at
from tracejit.frontend.autodiff import Transformed, argnums_of
from tracejit.frontend.context import user_location
from tracejit.frontend.difftrace import Recorded, backward, forward, record
from tracejit.frontend.tree import unflatten


def _basis(shape: tuple[int, ...], dtype: np.dtype) -> Iterator[np.ndarray]:
    """The unit arrays of ``shape`` (one per element)."""
    n = int(np.prod(shape, dtype=np.int64))
    for k in range(n):
        e = np.zeros(n, dtype=dtype)
        e[k] = 1
        yield e.reshape(shape)


def _stack(parts: list, out_shape: tuple, in_shape: tuple, out_first: bool, dtype: np.dtype) -> Any:
    """Products with the basis vectors as one array of shape ``out_shape + in_shape``: ``parts``
    has one per output element (``out_first``, each of the input's shape) or one per input
    element (each of the output's shape)."""
    if not parts:
        return np.zeros(out_shape + in_shape, dtype=dtype)
    stacked = np.stack(parts)
    if out_first:
        return stacked.reshape(out_shape + in_shape)
    return np.moveaxis(stacked, 0, -1).reshape(out_shape + in_shape)


def _assemble(rec: Recorded, blocks: list[list[Any]], several: bool) -> Any:
    """``blocks[o][w]`` (output leaf o, argument leaf w) in the results' and arguments' structure."""
    per_out = []
    for row in blocks:
        shaped = rec.shaped(row)
        per_out.append(tuple(shaped) if several else shaped[0])
    return unflatten(rec.out_tree, per_out)


def _jacobian(fun: Callable, argnums: int | Sequence[int], reverse: bool, name: str) -> Transformed:
    nums, several = argnums_of(argnums)

    def traced(*args, **kwargs):
        rec = record(fun, args, kwargs, nums, False)
        if any(n != 1 for n in rec.wrt_parts + rec.out_parts):
            raise UnsupportedError(f"{name} of complex arguments or results is not supported yet (use tj.vjp "
                                   f"or tj.jvp){at(user_location())}")
        b = rec.builder()
        ins, outs = rec.wrt, rec.out_nodes
        blocks: list[list[Any]] = [[None] * len(ins) for _ in outs]
        if reverse:
            for o, y in enumerate(outs):
                rows = []
                for e in _basis(b.shape(y), b.dtype(y)):
                    rows.append(backward(rec, [e if k == o else None for k in range(len(outs))], flat=True))
                for w, x in enumerate(ins):
                    blocks[o][w] = _stack([r[w] for r in rows], b.shape(y), b.shape(x), True, b.dtype(x))
        else:
            for w, x in enumerate(ins):
                cols = [forward(rec, [e if k == w else None for k in range(len(ins))])
                        for e in _basis(b.shape(x), b.dtype(x))]
                for o, y in enumerate(outs):
                    blocks[o][w] = _stack([c[o] for c in cols], b.shape(y), b.shape(x), False, b.dtype(x))
        rec.release()
        return _assemble(rec, blocks, several)

    return Transformed(traced, fun, name, nums, (jacrev if reverse else jacfwd, (fun,), {"argnums": argnums}))


def jacfwd(fun: Callable, argnums: int | Sequence[int] = 0) -> Transformed:
    """The Jacobian of ``fun`` with respect to the arguments ``argnums``, by forward mode (one
    Jacobian-vector product per element of those arguments)."""
    return _jacobian(fun, argnums, False, "jacfwd")


def jacrev(fun: Callable, argnums: int | Sequence[int] = 0) -> Transformed:
    """The Jacobian of ``fun`` with respect to the arguments ``argnums``, by reverse mode (one
    vector-Jacobian product per element of the results)."""
    return _jacobian(fun, argnums, True, "jacrev")


def hessian(fun: Callable, argnums: int | Sequence[int] = 0) -> Transformed:
    """The Hessian of ``fun`` (a float scalar) with respect to the arguments ``argnums``:
    ``jacfwd(jacrev(fun))``."""
    return Transformed(jacfwd(jacrev(fun, argnums), argnums)._traced, fun, "hessian", argnums_of(argnums)[0],
                       (hessian, (fun,), {"argnums": argnums}))
