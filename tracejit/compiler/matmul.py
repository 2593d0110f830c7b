"""Planning matrix products: a contraction kernel becomes a B-packing kernel plus a
register-blocked GEMM kernel (emitted by :mod:`tracejit.compiler.codegen.gemm`).

B is packed into slivers of ``nr`` columns, zero-padded, so the micro-kernel reads it
with aligned vector loads; packing is an ordinary loop nest, so any strides (transposed
or sliced operands) cost nothing extra. A constant B (captured weights) is packed at
compile time. Small or oddly shaped contractions keep the generic loop nest.
"""
from __future__ import annotations

import numpy as np

from tracejit.compiler.kernel import Access, Apply, Buffer, Const, Gemm, Kernel, Load, Nest, Program
from tracejit.compiler.layout import StridedView
from tracejit.compiler.schedule import _rebuild, schedule_kernel
from tracejit.compiler.target import vector_bytes
from tracejit.config import config

MIN_FLOPS = 1 << 16  # smaller products stay a plain loop nest
MR = 6
KC = 256
MC_MAX = 120


def _operands(nest: Nest):
    """(A load, B load) of a float contraction nest with dims (batch?, M, N | K), or None."""
    v = nest.value
    if (nest.reduce != "sum" or nest.n_reduced != 1 or nest.n_kept not in (2, 3) or not isinstance(v, Apply)
            or v.op != "multiply" or not all(isinstance(x, Load) for x in v.args)):
        return None
    dtype = np.dtype(v.dtype)
    if dtype not in (np.float32, np.float64) or any(x.dtype != dtype for x in v.args):
        return None
    m_dim, n_dim = nest.n_kept - 2, nest.n_kept - 1
    x, y = (ld.access for ld in v.args)
    if x.strides[n_dim] == 0 and y.strides[m_dim] == 0:
        return x, y
    if y.strides[n_dim] == 0 and x.strides[m_dim] == 0:
        return y, x
    return None


def _pack_nests(b: Access, packed: Buffer, batch: int, k: int, n: int, nr: int, batched: bool) -> list[Nest]:
    """Loop nests writing B (strides over (batch, N, K)) as packed slivers."""
    full, rem = divmod(n, nr)
    slivers = full + (1 if rem else 0)
    nb = batch if batched else 1
    bs, sn, sk = (b.strides[0] if batched else 0), b.strides[1], b.strides[2]
    per_batch = slivers * k * nr
    nests = []
    if full:
        # (extent, stride in B, stride in packed B) per loop: batch, sliver, k, lane.
        loops = [(nb, bs, per_batch), (full, nr * sn, k * nr), (k, sk, nr), (nr, sn, 1)]
        if abs(sn) == 1:
            # Rows of B contiguous: walk them in order (reads stream; each write is a
            # whole nr-wide line of one sliver), not sliver by sliver down long strides.
            loops[1], loops[2] = loops[2], loops[1]
        shape, src, dst = zip(*loops)
        nests.append(Nest(shape, 0, None, Load(Access(b.buffer, b.dtype, b.offset, src)),
                          Access(packed.id, packed.dtype, 0, dst)))
    if rem:
        start = full * k * nr
        nests.append(Nest((nb, k, rem), 0, None,
                          Load(Access(b.buffer, b.dtype, b.offset + full * nr * sn, (bs, sk, sn))),
                          Access(packed.id, packed.dtype, start, (per_batch, nr, 1))))
        nests.append(Nest((nb, k, nr - rem), 0, None, Const(0.0, packed.dtype),
                          Access(packed.id, packed.dtype, start + rem, (per_batch, nr, 1))))
    return nests


def _pack_constant(value: np.ndarray, b: Access, batch, k, n, nr, batched) -> np.ndarray:
    """The packed B of a constant, computed now with NumPy."""
    flat = np.asarray(value).reshape(-1)
    nb = batch if batched else 1
    idx_b = np.arange(nb)[:, None, None] * (b.strides[0] if batched else 0)
    idx = b.offset + idx_b + np.arange(n)[None, :, None] * b.strides[1] + np.arange(k)[None, None, :] * b.strides[2]
    bmat = flat[idx]  # (nb, N, K)
    slivers = -(-n // nr)
    padded = np.zeros((nb, slivers * nr, k), value.dtype)
    padded[:, :n] = bmat
    return np.ascontiguousarray(padded.reshape(nb, slivers, nr, k).transpose(0, 1, 3, 2))


def _row_block(m: int, threads: int) -> int:
    """Rows of A per task: at most MC_MAX, a multiple of MR, and a task count that is a
    multiple of the thread count (so threads get equal shares)."""
    blocks = -(-m // MC_MAX)
    blocks = -(-blocks // threads) * threads
    mc = -(-m // blocks)
    return -(-mc // MR) * MR


def plan(kernel: Kernel, buffers: list[Buffer], fastmath: bool = False) -> list[Kernel] | None:
    """[pack kernel?, gemm kernel] for a large float contraction, else None."""
    if kernel.kind != "contraction" or len(kernel.nests) != 1:
        return None
    nest = kernel.nests[0]
    ops = _operands(nest)
    if ops is None:
        return None
    a, b = ops
    epilogue = nest.epilogue
    if nest.n_kept == 2:  # no batch dim: give both a size-1 one
        def with_batch(x: Access) -> Access:
            return Access(x.buffer, x.dtype, x.offset, (0,) + x.strides)

        a, b, store = with_batch(a), with_batch(b), with_batch(nest.store)
        shape = (1,) + nest.shape
        if epilogue is not None:
            epilogue = _rebuild(epilogue, with_batch, {})
    else:
        store, shape = nest.store, nest.shape
    batch, m, n, k = shape
    if m < 2 or n < 2 or m * n * k < MIN_FLOPS or store.strides[2] != 1:
        return None
    dtype = np.dtype(nest.value.dtype)
    nr = 2 * vector_bytes() // dtype.itemsize
    threads = max(1, config.num_threads)
    mc = _row_block(m, threads)
    # A indexes (batch, M, K); B (batch, N, K); C (batch, M, N).
    a_acc = Access(a.buffer, a.dtype, a.offset, (a.strides[0], a.strides[1], a.strides[3]))
    b_acc = Access(b.buffer, b.dtype, b.offset, (b.strides[0], b.strides[2], b.strides[3]))
    b_batched = b_acc.strides[0] != 0 and batch > 1
    slivers = -(-n // nr)
    shape_p = ((batch if b_batched else 1) * slivers * k * nr,)
    source = buffers[b.buffer]
    kernels = []
    if source.kind == "constant":
        packed_value = _pack_constant(source.value, b_acc, batch, k, n, nr, b_batched).reshape(shape_p)
        packed = Buffer(len(buffers), "constant", shape_p, dtype, -1, StridedView.contiguous(shape_p),
                        value=packed_value, label="B packed at compile time")
    else:
        packed = Buffer(len(buffers), "temp", shape_p, dtype, -1, StridedView.contiguous(shape_p),
                        label="packed B")
        pack = Kernel(f"{kernel.name}_packB", "map", kernel.nodes,
                      _pack_nests(b_acc, packed, batch, k, n, nr, b_batched))
        kernels.append(schedule_kernel(pack, fastmath=fastmath))
    buffers.append(packed)
    gemm = Gemm(a_acc, packed.id, b_batched, store, batch, m, n, k, dtype, MR, nr, mc, KC, epilogue)
    gk = Kernel(kernel.name, "gemm", kernel.nodes, [], gemm=gemm)
    gk.parallel_grain = 1 if threads > 1 and gk.parallel_extent > 1 else 0
    kernels.append(gk)
    return kernels


def plan_matmuls(program: Program) -> Program:
    """``program`` with every large float contraction as packing + GEMM kernels."""
    buffers = list(program.buffers)
    kernels = []
    for kernel in program.kernels:
        planned = plan(kernel, buffers, program.fastmath)
        kernels.extend(planned if planned is not None else [kernel])
    return Program(program.name, buffers, kernels, program.n_inputs, program.outputs, program.fastmath)

