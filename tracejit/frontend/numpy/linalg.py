"""Products of traced arrays: ``a @ b`` (``np.matmul``), ``np.dot`` where it agrees with it,
``outer`` and ``ufunc.outer``, ``linalg.norm`` for vectors (ord None, 1, 2, inf, -inf) and
matrices (None, 'fro'), and ``einsum`` of one or two operands (lowered to sums and one
batched matrix product), composed from views, broadcasts and reductions."""
from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from tracejit.compiler.layout import StridedView
from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend.arraylike import complex_support
from tracejit.frontend.context import user_location
from tracejit.frontend.core import Tracer
from tracejit.frontend.dispatch import implements
from tracejit.frontend.memorder import einsum_layout, numpy_layout, set_layout
from tracejit.frontend.numpy.axes import axes_arg
from tracejit.frontend.numpy.shape import reshape
from tracejit.frontend.operands import Operand, as_array, as_operand, find_trace, is_tracer, lift


def matmul(a: object, b: object) -> Tracer:
    """``a @ b`` (``np.matmul``) with a traced operand."""
    if complex_support().takes_ufunc((a, b), None):  # a complex operand: frontend/complex/matmul.py
        return complex_support().call_ufunc(np.matmul, (a, b), None, None, True)
    trace = find_trace([a, b])
    a, b = as_operand(trace, a), as_operand(trace, b)
    if np.result_type(a.dtype, b.dtype) == np.float16:  # NumPy's float16 matmul sums in float32, rounds once
        wide = [trace.apply("convert", [as_operand(trace, x)], {"dtype": np.dtype(np.float32)}) for x in (a, b)]
        return trace.apply("convert", [trace.apply("matmul", wide)], {"dtype": np.dtype(np.float16)}, scalar=True)
    return trace.apply("matmul", [a, b], scalar=True)


@implements(np.dot)
def dot(a: Operand, b: Operand, out: object = None) -> Operand:
    """``numpy.dot`` of traced arrays, with NumPy's argument rules."""
    loc = user_location()
    if out is not None:
        raise UnsupportedError(f"numpy.dot: out= is not supported{at(loc)}")
    trace = find_trace([a, b])
    a, b = (as_operand(trace, as_array(trace, x)) for x in (a, b))  # both arrays (strong), as NumPy's
    if a.ndim == 0 or b.ndim == 0:
        return np.multiply(a, b)
    if b.ndim <= 2 or a.ndim == 1:  # where np.dot and np.matmul agree
        return matmul(a, b)
    raise UnsupportedError(f"numpy.dot of {a.ndim}-d and {b.ndim}-d arrays is not supported; "
                           f"use matmul or einsum semantics explicitly{at(loc)}")


@implements(np.inner)
def inner(a: Operand, b: Operand) -> Operand:
    """``numpy.inner`` of traced arrays: the sum over both last axes, as a matrix product of the
    flattened leading axes (so it is fused and differentiable rather than a host call)."""
    trace = find_trace([a, b])
    a, b = (as_operand(trace, as_array(trace, x)) for x in (a, b))
    if a.ndim == 0 or b.ndim == 0:
        return np.multiply(a, b)
    a, b = lift(trace, a), lift(trace, b)  # (a concrete operand beside a traced one: reshaped as traced)
    if a.shape[-1] != b.shape[-1]:
        raise user_error(ValueError(f"shapes {a.shape} and {b.shape} not aligned: {a.shape[-1]} (dim {a.ndim - 1}) "
                                    f"!= {b.shape[-1]} (dim {b.ndim - 1}){at(user_location())}"))
    if b.ndim == 1:
        return matmul(a, b)
    flat = matmul(reshape(a, (-1, a.shape[-1])), reshape(b, (-1, b.shape[-1])).T)
    return reshape(flat, a.shape[:-1] + b.shape[:-1])


@implements(np.outer)
def outer(a: Operand, b: Operand, out: object = None) -> Operand:
    """``numpy.outer`` of traced arrays, with NumPy's argument rules."""
    if out is not None:
        raise UnsupportedError(f"numpy.outer with out={at(user_location())}")
    a = reshape(a, (-1, 1)) if is_tracer(a) else np.ravel(a)[:, None]
    b = reshape(b, (1, -1)) if is_tracer(b) else np.ravel(b)[None, :]
    return a * b


def ufunc_outer(ufunc: np.ufunc, a: Operand, b: Operand) -> object:
    """``ufunc.outer(a, b)``: ``a`` reshaped with ``b.ndim`` trailing unit dims, then ``ufunc``."""
    ndim_b = np.ndim(b) if not is_tracer(b) else b.ndim
    shape_a = (a.shape if is_tracer(a) else np.shape(a)) + (1,) * ndim_b
    a = reshape(a, shape_a) if is_tracer(a) else np.reshape(a, shape_a)
    return ufunc(a, b)


@implements(np.linalg.norm)
def norm(x: Operand, ord: object = None, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Operand:
    """``numpy.linalg.norm`` of traced arrays, with NumPy's argument rules."""
    loc = user_location()
    if is_tracer(ord):
        ord = float(ord)  # a traced Python number: its value decides the norm (it becomes static)
    if x.dtype.kind not in "f":
        x = x.astype(np.float64)
    axes = axes_arg(axis, x.ndim)
    vector = len(axes) == 1
    if ord is None or (ord == "fro" and len(axes) == 2) or (ord == 2 and vector):
        return np.sqrt((x * x).sum(axis=axes, keepdims=keepdims))
    if vector and ord == 1:
        return np.abs(x).sum(axis=axes, keepdims=keepdims)
    if vector and ord in (np.inf, -np.inf):
        ax = np.abs(x)
        if ord > 0:  # (NumPy's initial=0: an empty vector's inf-norm is 0; its -inf-norm raises)
            return ax.max(axis=axes, keepdims=keepdims, initial=0)
        return ax.min(axis=axes, keepdims=keepdims)
    raise UnsupportedError(f"numpy.linalg.norm with ord={ord!r} over {len(axes)} axes{at(loc)}")


@implements(np.einsum)
def einsum(subscripts: str, *operands: Operand, out: object = None, dtype: DTypeLike = None, order: str | None = "K",
           casting: str = "safe", optimize: object = False) -> Operand:
    """``np.einsum`` of one or two operands without repeated or ellipsis indices: sums
    of the indices only one operand has, then one batched matrix product (batch: in
    both and the output; contracted: in both, not the output), then a transpose."""
    loc = user_location()
    if out is not None or dtype is not None or not isinstance(subscripts, str):
        raise UnsupportedError(f"numpy.einsum with out=, dtype= or operand-list subscripts{at(loc)}")
    spec = subscripts.replace(" ", "")
    inputs, _, output = spec.partition("->")
    names = inputs.split(",")
    if "." in spec or len(names) != len(operands) or len(operands) not in (1, 2) \
            or any(len(set(n)) != len(n) for n in names):
        raise UnsupportedError(f"numpy.einsum {subscripts!r}: one or two operands, no repeated index or "
                               f"ellipsis{at(loc)}")
    if not _:
        counts = {c: inputs.count(c) for c in inputs if c != ","}
        output = "".join(sorted(c for c, n in counts.items() if n == 1))
    # NumPy's einsum computes in the operands' common dtype: bools stay bool (sums are
    # logical or), small ints are not widened
    operands = [op if is_tracer(op) else np.asarray(op) for op in operands]
    dtype = np.result_type(*(op.dtype for op in operands))
    operands = [op if op.dtype == dtype else (op.astype(dtype) if is_tracer(op) else np.asarray(op).astype(dtype))
                for op in operands]
    layouts = [numpy_layout(op) if is_tracer(op) else
               StridedView(op.shape, tuple(s // op.itemsize for s in op.strides)) for op in operands]
    trace = find_trace(operands)  # concrete operands beside traced ones: traced constants
    operands = [lift(trace, op) for op in operands]
    sizes = {}
    for n, op in zip(names, operands):  # a length-1 axis broadcasts against the others, as in NumPy
        for c, size in zip(n, np.shape(op)):
            if sizes.setdefault(c, size) != size and 1 not in (size, sizes[c]):
                raise user_error(ValueError(f"einsum: size of index {c!r} differs between operands{at(loc)}"))
            sizes[c] = max(size, sizes[c])
    operands = [op if tuple(np.shape(op)) == tuple(sizes[c] for c in n)
                else np.broadcast_to(op, tuple(sizes[c] for c in n)) for n, op in zip(names, operands)]
    reduced = []
    for k, (n, op) in enumerate(zip(names, operands)):  # indices nothing else has: summed first
        others = set(output) | set("".join(names[:k] + names[k + 1:]))
        alone = tuple(i for i, c in enumerate(n) if c not in others)
        keep = "".join(c for i, c in enumerate(n) if i not in alone)
        reduced.append((keep, np.sum(op, axis=alone, dtype=dtype) if alone else op))
    if len(reduced) == 1 and reduced[0][1] is operands[0]:  # no sums: a view, as NumPy's
        n = names[0]
        return operands[0].transpose(tuple(n.index(c) for c in output)) if n != output else operands[0]
    if len(reduced) == 1:
        (n, op), = reduced
        return _fresh(op.transpose(tuple(n.index(c) for c in output)) if n != output else op,
                      names, output, sizes, layouts)
    (na, a), (nb, b) = reduced
    batch = [c for c in na if c in nb and c in output]
    contract = [c for c in na if c in nb and c not in output]
    m = [c for c in na if c not in nb]
    n_ = [c for c in nb if c not in na]
    size = lambda cs: int(np.prod([sizes[c] for c in cs])) if cs else 1  # noqa: E731
    lead = (size(batch),) if batch else ()  # (no batch: a 2-d product, whose result is the output's buffer)
    a3 = reshape(a.transpose(tuple(na.index(c) for c in batch + m + contract)), lead + (size(m), size(contract)))
    b3 = reshape(b.transpose(tuple(nb.index(c) for c in batch + contract + n_)), lead + (size(contract), size(n_)))
    product = reshape(a3 @ b3, tuple(sizes[c] for c in batch + m + n_))
    order = batch + m + n_
    return _fresh(product.transpose(tuple(order.index(c) for c in output)), names, output, sizes, layouts)


def _fresh(result, names, output, sizes, layouts):
    """An einsum result NumPy computes into a new array: ``result`` detached from the
    arrays it is a view of, in NumPy's memory order (unknown where an operand's is)."""
    out = result._trace.apply("reshape", [result], {"shape": tuple(result.shape)}, scalar=True)  # 0-d: a scalar
    set_layout(out, None if any(v is None for v in layouts) else einsum_layout(names, output, sizes, layouts))
    return out
