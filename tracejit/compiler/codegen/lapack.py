"""Code of a LAPACK-call kernel (``Control.kind == "lapack"``, ``kernelize/lapack.py``).

``void lapack(ptr table, parallel_for)`` copies each result that starts as an operand
(``call.inits``), puts the call's integers (int64: NumPy's LAPACK is ILP64) and characters
in stack slots, then calls the routine, whose address the constant buffer
``Control.callback`` holds, once per matrix of the batch, every Fortran argument by
pointer. It runs on the calling thread, between the kernels before and after it, after
parking the thread pool's idle workers (OpenBLAS's threads need the cores). The
``info`` a routine reports is a result like the others: the frontend turns it into the
LinAlgError NumPy raises (``frontend/checks.py``).
"""
from __future__ import annotations

from llvmlite import ir

from tracejit.compiler.codegen.host import park_workers
from tracejit.compiler.codegen.loops import i64, pointer_at
from tracejit.compiler.codegen.lowerctx import I64
from tracejit.compiler.codegen.sizes import SizeReader
from tracejit.compiler.kir import Kernel

PTR = ir.PointerType()
I8 = ir.IntType(8)


def emit_lapack(module: ir.Module, kernel: Kernel, name: str, n_buffers: int, parallel_ty: ir.Type) -> ir.Function:
    """The function running LAPACK-call kernel ``kernel`` of a program with ``n_buffers`` buffers."""
    c = kernel.control
    call = c.call
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [PTR, parallel_ty]), name)
    fn.attributes.add("noinline")
    table, parallel_for = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    park_workers(b, parallel_for)
    sizes = SizeReader(b, pointer_at(b, table, n_buffers), hoist=False)
    n_results = len(c.results)
    batch, steps, dims = c.dims[0], c.dims[1:1 + n_results], c.dims[1 + n_results:]
    results = [pointer_at(b, table, bid) for bid in c.results]
    operands = [pointer_at(b, table, bid) for bid in c.inits]
    move = module.declare_intrinsic("llvm.memmove", [PTR, PTR, I64])
    for r, k in call.inits:
        if c.results[r] == c.inits[k]:  # the result lives in its operand's buffer already
            continue
        b.call(move, [results[r], operands[k], sizes(c.nbytes[r]), ir.Constant(ir.IntType(1), 0)])
    slots: dict[tuple, ir.Value] = {}
    for arg in call.args:
        if arg[0] in ("dim", "char") and arg not in slots:
            ty = I64 if arg[0] == "dim" else I8
            slots[arg] = b.alloca(ty, name=f"{arg[0]}{arg[1]}")
            b.store(sizes(dims[arg[1]]) if arg[0] == "dim" else ir.Constant(I8, ord(arg[1])), slots[arg])
    address = b.load(pointer_at(b, table, c.callback), typ=I64)
    callee = b.inttoptr(address, ir.PointerType(ir.FunctionType(ir.VoidType(), [PTR] * len(call.args))))
    count, step_values = sizes(batch), [sizes(s) for s in steps]
    head, body, done = (fn.append_basic_block(x) for x in ("head", "body", "done"))
    entry = b.block
    b.branch(head)
    b.position_at_end(head)
    index = b.phi(I64, name="matrix")
    index.add_incoming(i64(0), entry)
    b.cbranch(b.icmp_signed("<", index, count), body, done)
    b.position_at_end(body)
    args = []
    for kind, v in call.args:
        if kind in ("dim", "char"):
            args.append(slots[(kind, v)])
        elif kind == "in":
            args.append(operands[v])
        else:
            args.append(b.gep(results[v], [b.mul(index, step_values[v])], source_etype=I8) if call.batched[v]
                        else results[v])
    b.call(callee, args)
    index.add_incoming(b.add(index, i64(1)), b.block)
    b.branch(head)
    b.position_at_end(done)
    b.ret_void()
    return fn
