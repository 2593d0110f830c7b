"""The LLVM IR of the native dispatch function ``tj_dispatch`` (``runtime/dispatcher.py``
describes what it does and runs it).

Imported only to build that module, once per machine (then it comes from the disk
cache): it imports llvmlite at top level, so ``runtime/dispatcher.py`` imports it lazily.
"""
from __future__ import annotations

from llvmlite import ir

from tracejit.compiler.codegen.targeting import bind_target
from tracejit.compiler.target import host_target

PTR = ir.PointerType()
I32, I64 = ir.IntType(32), ir.IntType(64)


def _field(b: ir.IRBuilder, base: ir.Value, index: int, ty: ir.Type) -> ir.Value:
    return b.load(b.gep(base, [ir.Constant(I64, index)], inbounds=True, source_etype=I64), typ=ty)


def build_module(api_names: tuple[str, ...], slot_fields: tuple[str, ...], max_args: int) -> ir.Module:
    """``tj_dispatch(self, args, nargs, kwnames)`` (METH_FASTCALL | METH_KEYWORDS) and
    ``tj_dispatch_configure(api)``: ``api_names`` is the order of the entry points in the
    table it receives (then the "enabled" flag), ``slot_fields`` the layout of a slot,
    ``max_args`` the largest arity called natively."""
    m = ir.Module("tracejit_dispatch")
    bind_target(m, host_target())  # the JIT's own module: always the host's
    table = ir.GlobalVariable(m, ir.ArrayType(I64, len(api_names) + 1), "tj_dispatch_api")
    table.initializer = ir.Constant(table.value_type, [0] * (len(api_names) + 1))
    table.linkage = "internal"

    conf = ir.Function(m, ir.FunctionType(ir.VoidType(), [PTR]), "tj_dispatch_configure")
    b = ir.IRBuilder(conf.append_basic_block("entry"))
    for i in range(len(api_names) + 1):
        b.store(_field(b, conf.args[0], i, I64), b.gep(table, [ir.Constant(I64, 0), ir.Constant(I64, i)]))
    b.ret_void()

    fn = ir.Function(m, ir.FunctionType(PTR, [PTR, PTR, I64, PTR]), "tj_dispatch")
    self_, args, nargs, kwnames = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    fallback = fn.append_basic_block("fallback")

    def api(name: str, ret: ir.Type, params: list[ir.Type]) -> ir.Value:
        i = api_names.index(name)
        addr = b.load(b.gep(table, [ir.Constant(I64, 0), ir.Constant(I64, i)]), typ=I64)
        return b.inttoptr(addr, ir.PointerType(ir.FunctionType(ret, params)))

    enabled = b.load(b.gep(table, [ir.Constant(I64, 0), ir.Constant(I64, len(api_names))]), typ=I64)
    slot = b.call(api("PyCapsule_GetPointer", PTR, [PTR, PTR]), [self_, ir.Constant(PTR, None)])
    call = _field(b, slot, slot_fields.index("call"), PTR)
    want = _field(b, slot, slot_fields.index("nargs"), I64)
    ready = b.and_(b.icmp_unsigned("!=", enabled, ir.Constant(I64, 0)),
                   b.icmp_unsigned("!=", call, ir.Constant(PTR, None)))
    ready = b.and_(ready, b.icmp_unsigned("==", kwnames, ir.Constant(PTR, None)))
    ready = b.and_(ready, b.icmp_signed("==", nargs, want))
    go = fn.append_basic_block("native")
    b.cbranch(ready, go, fallback)

    b.position_at_end(go)
    descr = _field(b, slot, slot_fields.index("descr"), PTR)
    b.call(api("Py_IncRef", ir.VoidType(), [PTR]), [descr])  # PyArray_Empty steals it
    out = b.call(api("PyArray_Empty", PTR, [I32, PTR, PTR, I32]),
                 [b.trunc(_field(b, slot, slot_fields.index("nd"), I64), I32),
                  _field(b, slot, slot_fields.index("dims"), PTR), descr, ir.Constant(I32, 0)])
    allocated = fn.append_basic_block("allocated")
    failed = fn.append_basic_block("failed")
    b.cbranch(b.icmp_unsigned("==", out, ir.Constant(PTR, None)), failed, allocated)
    b.position_at_end(failed)
    b.ret(ir.Constant(PTR, None))  # MemoryError is set

    b.position_at_end(allocated)
    # a target with temporaries runs in the one arena block its context points at: one call
    # at a time takes it (a flag set atomically); a call finding it taken (another thread, or
    # a call from inside the running one) takes the fallback, which has a block of its own
    exclusive = b.icmp_unsigned("!=", _field(b, slot, slot_fields.index("exclusive"), I64), ir.Constant(I64, 0))
    busy = b.gep(slot, [ir.Constant(I64, slot_fields.index("busy"))], inbounds=True, source_etype=I64)
    claim, claimed, taken = (fn.append_basic_block(name) for name in ("claim", "claimed", "taken"))
    b.cbranch(exclusive, claim, claimed)
    b.position_at_end(claim)
    pair = b.cmpxchg(busy, ir.Constant(I64, 0), ir.Constant(I64, 1), "acquire", "monotonic")
    b.cbranch(b.extract_value(pair, 1), claimed, taken)
    b.position_at_end(taken)
    b.call(api("Py_DecRef", ir.VoidType(), [PTR]), [out])
    b.branch(fallback)

    b.position_at_end(claimed)
    context = _field(b, slot, slot_fields.index("context"), PTR)
    release = b.icmp_unsigned("!=", _field(b, slot, slot_fields.index("release"), I64), ir.Constant(I64, 0))
    state = b.alloca(PTR)
    b.store(ir.Constant(PTR, None), state)
    with b.if_then(release):
        b.store(b.call(api("PyEval_SaveThread", PTR, []), []), state)
    result = b.alloca(I32)
    done = fn.append_basic_block("called")
    switch_block = b.block
    cases = []
    for n in range(1, max_args + 1):
        case = fn.append_basic_block(f"arity{n}")
        cases.append((n, case))
        b.position_at_end(case)
        objs = [b.load(b.gep(args, [ir.Constant(I64, i)], inbounds=True, source_etype=PTR), typ=PTR)
                for i in range(n)]
        target = b.inttoptr(b.ptrtoint(call, I64), ir.PointerType(ir.FunctionType(I32, [PTR] * (n + 2))))
        b.store(b.call(target, objs + [out, context]), result)
        b.branch(done)
    other = fn.append_basic_block("arity_other")
    b.position_at_end(other)
    b.store(ir.Constant(I32, 1), result)
    b.branch(done)
    b.position_at_end(switch_block)
    sw = b.switch(nargs, other)
    for n, case in cases:
        sw.add_case(ir.Constant(I64, n), case)

    b.position_at_end(done)
    with b.if_then(exclusive):
        b.atomic_rmw("xchg", busy, ir.Constant(I64, 0), "release")
    with b.if_then(release):
        b.call(api("PyEval_RestoreThread", ir.VoidType(), [PTR]), [b.load(state)])
    ok = fn.append_basic_block("ok")
    refused = fn.append_basic_block("refused")
    b.cbranch(b.icmp_signed("==", b.load(result), ir.Constant(I32, 0)), ok, refused)
    b.position_at_end(ok)
    hits = b.gep(slot, [ir.Constant(I64, slot_fields.index("hits"))], inbounds=True, source_etype=I64)
    b.atomic_rmw("add", hits, ir.Constant(I64, 1), "monotonic")  # exact whatever holds the GIL
    b.ret(out)
    b.position_at_end(refused)  # an argument the wrapper's checks refused
    b.call(api("Py_DecRef", ir.VoidType(), [PTR]), [out])
    b.branch(fallback)

    b.position_at_end(fallback)
    target = _field(b, slot, slot_fields.index("fallback"), PTR)
    b.ret(b.call(api("PyObject_Vectorcall", PTR, [PTR, PTR, I64, PTR]), [target, args, nargs, kwnames]))
    return m
