"""Products of operands of different dtypes (``float32 @ float64``, ``int @ float``,
``bool @ float``, ``float16 @ float32``): each operand not already in the product's dtype
is converted once, before the product, so the product runs as the GEMM.

Kernel formation computes a matrix product in its result dtype (NumPy's type promotion),
converting each element of a narrower operand as the loop nest reads it; the GEMM
(:mod:`tracejit.compiler.schedule.matmul`) takes only plain loads of one float dtype, so
such a product stayed a generic loop nest (a float32 x float64 layer, 256x784x512, one
thread: 94 ms against NumPy's 11-16 ms). NumPy casts the operands to the common dtype and
calls ``dgemm``; this pass does the same: a contraction kernel one of whose operands is an
expression (a conversion of a load, an index sequence, a constant: ``np.ones((m, k)) @ w``
folds to one) becomes a ``map`` kernel computing that operand into a temporary of the
product's dtype laid out for the GEMM (A as ``(batch, M, K)``, B as ``(batch, K, N)``,
row-major; a transposed operand is read in the map's cache tiles, so its conversion is
also the copy the GEMM would make of it), then the contraction over plain loads. Only
where :func:`~tracejit.compiler.schedule.matmul.plan` then takes it (asked once, on the
rewritten kernel: its plan is kept, so ``plan_matmuls`` meets the GEMM kernel already):
integer, matrix-vector and small products keep converting in their loop nest, which
costs no extra pass over memory. A constant operand (frozen weights) is
converted at compile time. The pass runs right before ``plan_matmuls``.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from tracejit.compiler.kir import Access, Apply, Buffer, Convert, Expr, Kernel, Load, Nest, Program, map_accesses, nodes
from tracejit.compiler.kir import Iota as IotaExpr
from tracejit.compiler.layout import StridedView, contiguous_strides
from tracejit.compiler.ops import get_op
from tracejit.compiler.schedule.matmul import plan
from tracejit.compiler.schedule.vectorize import schedule_kernel
from tracejit.compiler.target import Target

_MATMUL = get_op("matmul").extra


@dataclasses.dataclass(frozen=True)
class _Role:
    """Where an operand's own dims lie among a product nest's dims: ``dims`` lists the
    nest dims of its temporary, outermost first (batch?, then (M, K) for A, (K, N) for B);
    ``idle`` is the dim it does not vary along (N for A, M for B)."""

    name: str
    dims: tuple[int, ...]
    idle: int


def _roles(nest: Nest) -> tuple[_Role, _Role] | None:
    """The roles (A, B) of a product nest over (batch?, M, N | K), or None when it is none."""
    if nest.reduce != _MATMUL["reduce"] or nest.n_reduced != 1 or nest.n_kept not in (2, 3):
        return None
    v = nest.value
    if not isinstance(v, Apply) or v.op != _MATMUL["product"] or len(v.args) != 2:
        return None
    batch = (0,) if nest.n_kept == 3 else ()
    m, n, k = nest.n_kept - 2, nest.n_kept - 1, nest.n_kept
    return _Role("A", batch + (m, k), n), _Role("B", batch + (k, n), m)


def _indexed(e: Expr) -> list:
    return [x for x in nodes([e]) if isinstance(x, (Load, IotaExpr))]


def _plays(e: Expr, role: _Role) -> bool:
    """Whether every access of ``e`` is constant along ``role.idle`` (true of a constant)."""
    return all(x.access.strides[role.idle] == 0 for x in _indexed(e))


def _needs_converting(e: Expr, dtype: np.dtype) -> bool:
    return not (type(e) is Load and e.dtype == dtype)


def _space(nest: Nest, role: _Role, e: Expr) -> tuple[int, ...]:
    """The temporary's shape: the role's dims, batch 1 where ``e`` does not vary along it."""
    shape = [nest.shape[d] for d in role.dims]
    if len(role.dims) == 3 and all(x.access.strides[0] == 0 for x in _indexed(e)):
        shape[0] = 1
    return tuple(shape)


def _constant_value(e: Expr, buffers: list[Buffer], dims: tuple[int, ...], shape) -> np.ndarray | None:
    """A conversion of a constant, computed now (NumPy's cast), over the temporary's shape."""
    if not (isinstance(e, Convert) and type(e.arg) is Load and buffers[e.arg.access.buffer].kind == "constant"):
        return None
    a = e.arg.access
    flat = np.asarray(buffers[a.buffer].value).reshape(-1)
    index = np.full(shape, a.offset, np.int64)
    for axis, (d, size) in enumerate(zip(dims, shape)):
        step = a.strides[d] if size > 1 else 0
        index = index + (np.arange(size) * step).reshape((-1,) + (1,) * (len(shape) - axis - 1))
    with np.errstate(all="ignore"):
        return np.ascontiguousarray(flat[index].astype(e.dtype))


def _converted(kernel: Kernel, nest: Nest, e: Expr, role: _Role, buffers: list[Buffer], target: Target,
               fastmath: bool) -> tuple[Load, Kernel | None]:
    """(the load of ``e`` computed into a new buffer, the kernel computing it, or None for
    a constant computed now); appends the buffer to ``buffers``."""
    dtype = np.dtype(e.dtype)
    shape = _space(nest, role, e)
    strides = contiguous_strides(shape)
    size = int(np.prod(shape))
    value = _constant_value(e, buffers, role.dims, shape)
    kind = "temp" if value is None else "constant"
    label = f"{role.name} of a product, converted to {dtype.name}"
    buf = Buffer(len(buffers), kind, (size,), dtype, -1, StridedView.contiguous((size,)),
                 value=None if value is None else value.reshape(-1), label=label)
    buffers.append(buf)
    # the operand in the product's nest: the temporary, stride 0 along the idle dim (and a batch of one)
    along = [0] * len(nest.shape)
    for d, extent, stride in zip(role.dims, shape, strides):
        along[d] = stride if extent > 1 else 0
    load = Load(Access(buf.id, dtype, 0, tuple(along)))
    if value is not None:
        return load, None

    def own_dims(a: Access) -> Access:
        own = tuple(a.strides[d] if extent > 1 else 0 for d, extent in zip(role.dims, shape))
        return Access(a.buffer, a.dtype, a.offset, own)

    body = map_accesses(e, own_dims, {})
    fill = Nest(shape, 0, None, body, Access(buf.id, dtype, 0, strides))
    name = f"{kernel.name}_convert{role.name}"
    return load, schedule_kernel(Kernel(name, "map", kernel.nodes, [fill]), target, fastmath=fastmath)


def convert_kernel(kernel: Kernel, buffers: list[Buffer], target: Target,
                   fastmath: bool = False) -> list[Kernel] | None:
    """[conversion kernels..., the product over plain loads as the GEMM plans it (pack,
    gemm, ...: :func:`~tracejit.compiler.schedule.matmul.plan`, asked once)] for a
    contraction kernel with an operand to convert that then runs as the GEMM, else None;
    new buffers (the conversions' and the plan's) are appended to ``buffers`` only when
    the kernel is converted."""
    if kernel.kind != "contraction" or len(kernel.nests) != 1:
        return None
    nest = kernel.nests[0]
    roles = _roles(nest)
    if roles is None:
        return None
    dtype = np.dtype(nest.value.dtype)
    args = list(nest.value.args)
    if not any(_needs_converting(x, dtype) for x in args):
        return None
    if not _plays(args[0], roles[0]) or not _plays(args[1], roles[1]):
        args.reverse()  # (the builder puts A first; keep whichever order the accesses say)
        if not _plays(args[0], roles[0]) or not _plays(args[1], roles[1]):
            return None
    trial_buffers = list(buffers)
    kernels, loads = [], []
    for e, role in zip(args, roles):
        if not _needs_converting(e, dtype):
            loads.append(e)
            continue
        load, fill = _converted(kernel, nest, e, role, trial_buffers, target, fastmath)
        loads.append(load)
        if fill is not None:
            kernels.append(fill)
    value = Apply(nest.value.op, tuple(loads), dtype, dtype)
    product = Kernel(kernel.name, "contraction", kernel.nodes, [dataclasses.replace(nest, value=value)])
    schedule_kernel(product, target, fastmath=fastmath)
    planned = plan(product, trial_buffers, target, fastmath)  # (planned here once: plan_matmuls skips it)
    if planned is None:
        return None  # no GEMM even so: converting in the loop nest costs no extra pass
    buffers[len(buffers):] = trial_buffers[len(buffers):]
    return kernels + planned


def convert_operands(program: Program) -> Program:
    """``program`` with the operands of every GEMM-sized mixed-dtype product converted
    first (see the module's docstring)."""
    buffers = list(program.buffers)
    kernels = []
    for kernel in program.kernels:
        converted = convert_kernel(kernel, buffers, program.target, program.fastmath)
        kernels.extend(converted if converted is not None else [kernel])
    if len(buffers) == len(program.buffers):  # (each conversion adds a buffer)
        return program
    return dataclasses.replace(program, buffers=buffers, kernels=kernels)
