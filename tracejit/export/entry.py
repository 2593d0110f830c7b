"""The exported C function as LLVM IR, beside the program's kernels and driver.

``int32 name(in0, in0_n0, ..., out0, ...)`` checks the sizes, fills the size table
(each slot a polynomial of the named dims, ``export/plan.py``) and the buffer table
(the caller's arrays, constants as global data, each temporary its own 64-byte aligned
``aligned_alloc``), calls the driver (``codegen/module.py``'s ``emit_program``), copies
results the program left elsewhere (a result that is an argument, a constant, or twice
the same buffer), writes in-place updates back into their arguments, and frees.
``name_shapes(in0_n0, ..., out0_dims, ...)`` checks the sizes and writes each result's
dims. The driver's ``parallel_for`` is a serial loop in this module, or the pthreads
runtime of ``export/runtime_c.py`` (``threads=True``).
"""
from __future__ import annotations

from llvmlite import ir

from tracejit.compiler.codegen.loops import i64, opaque
from tracejit.compiler.codegen.module import PARALLEL_FOR, emit_program
from tracejit.compiler.codegen.targeting import target_of
from tracejit.export.plan import ExportPlan, input_dims
from tracejit.export.poly import Poly

I32, I64, I8, PTR = ir.IntType(32), ir.IntType(64), ir.IntType(8), ir.PointerType()
OK, ERR_SIZE, ERR_ALLOC, ERR_CHECK = 0, 1, 2, 3
ALIGN = 64


def derived_sizes(plan: ExportPlan) -> list[Poly]:
    """The sizes that follow the named dims and must not be negative: result dims, buffer
    bytes and the size-table slots that are not negative at the samples (extents, offsets;
    not the lengths the arithmetic reads, ``export/lengths.py``)."""
    polys = [d for out in plan.outputs for d in out.dims] + list(plan.nbytes.values())
    polys += [p for i, p in enumerate(plan.slots) if p is not None and i not in plan.value_slots
              and all(v >= 0 for v in plan.samples_of(p))]  # (a length in the arithmetic, N - 3, may be < 0)
    return [p for p in dict.fromkeys(polys) if p.constant() is None]


class _Sizes:
    """The named dims read from the dim arguments, and polynomials of them as IR."""

    def __init__(self, b: ir.IRBuilder, plan: ExportPlan, dims: list[ir.Value]):
        self.b = b
        self.values: dict[str, ir.Value] = {}
        for (_, _, n), value in zip(input_dims(plan), dims):
            if isinstance(n, str) and n not in self.values:
                self.values[n] = value
        self.order = [self.values[s] for s in plan.symbols]

    def checks(self, plan: ExportPlan, dims: list[ir.Value]) -> ir.Value:
        """An i1: every named dim is at least 1, every other dim equals its fixed size or its name's."""
        b, ok = self.b, ir.Constant(ir.IntType(1), 1)
        for value in self.values.values():
            ok = b.and_(ok, b.icmp_signed(">=", value, i64(1)))
        for (_, _, n), value in zip(input_dims(plan), dims):
            want = self.values[n] if isinstance(n, str) else i64(n)
            ok = b.and_(ok, b.icmp_signed("==", value, want))
        for poly in derived_sizes(plan):  # sizes where an extent would be negative: no such program
            ok = b.and_(ok, b.icmp_signed(">=", self(poly), i64(0)))
        return ok

    def __call__(self, poly: Poly) -> ir.Value:
        b = self.b
        variables = self.order + [b.sdiv(self(p), i64(d)) for p, d in poly.aux]  # (p >= 0: floor)
        den = 1
        for _, c in poly.terms:
            den = den * c.denominator // _gcd(den, c.denominator)
        total = i64(0)
        for mono, coef in poly.terms:
            term = i64(int(coef * den))
            for value, e in zip(variables, mono):
                for _ in range(e):
                    term = b.mul(term, value)
            total = b.add(total, term)
        return total if den == 1 else b.sdiv(total, i64(den))


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


def _serial_for(module: ir.Module, name: str) -> ir.Function:
    """``parallel_for`` run on the calling thread: the whole range as one task (NULL: nothing to park)."""
    fn = ir.Function(module, PARALLEL_FOR, name)
    fn.linkage = "internal"
    task, args, extent, _ = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    with b.if_then(b.icmp_unsigned("!=", task, ir.Constant(task.type, None))):
        b.call(task, [args, i64(0), extent])
    b.ret_void()
    return fn


def _libc(module: ir.Module) -> tuple[ir.Function, ir.Function]:
    size_t = ir.IntType(target_of(module).pointer_bits)  # (32 bits on armv7 and wasm32)
    alloc = ir.Function(module, ir.FunctionType(PTR, [size_t, size_t]), "aligned_alloc")
    free = ir.Function(module, ir.FunctionType(ir.VoidType(), [PTR]), "free")
    return alloc, free


def _copy(b: ir.IRBuilder, dst: ir.Value, src: ir.Value, nbytes: ir.Value, overlap: bool = False) -> None:
    fn = b.module.declare_intrinsic("llvm.memmove" if overlap else "llvm.memcpy", [PTR, PTR, I64])
    b.call(fn, [dst, src, nbytes, ir.Constant(ir.IntType(1), 0)])


def _constant(module: ir.Module, name: str, data: bytes) -> ir.GlobalVariable:
    data = data or b"\0"
    ty = ir.ArrayType(I8, len(data))
    g = ir.GlobalVariable(module, ty, name)
    g.initializer = ir.Constant(ty, bytearray(data))
    g.global_constant = True
    g.linkage = "internal"
    g.align = ALIGN
    return g


def parameter_types(plan: ExportPlan) -> list[ir.Type]:
    """The C function's parameters: each argument's pointer and dims, then each result's pointer."""
    types: list[ir.Type] = []
    for spec in plan.specs:
        types += [PTR] + [I64] * len(spec.dims)
    return types + [PTR] * len(plan.outputs)


def emit_export(module: ir.Module, plan: ExportPlan, prefix: str, parallel_name: str | None) -> None:
    """Emit the kernels, the driver, ``plan.name`` and ``plan.name + "_shapes"`` into ``module``;
    ``parallel_name`` names the external pthreads ``parallel_for`` (None: serial)."""
    driver = emit_program(module, plan.generic, prefix, park=False)
    if parallel_name is None:
        parallel_for = _serial_for(module, f"{prefix}_serial_for")
    else:
        parallel_for = ir.Function(module, PARALLEL_FOR, parallel_name)
    _emit_shapes(module, plan)
    _emit_entry(module, plan, driver, parallel_for, prefix)


def _split_args(plan: ExportPlan, args: list[ir.Value]) -> tuple[list[ir.Value], list[ir.Value], list[ir.Value]]:
    """(argument pointers, dims, result pointers) of the C function's parameters."""
    pointers, dims, k = [], [], 0
    for spec in plan.specs:
        pointers.append(args[k])
        dims += args[k + 1:k + 1 + len(spec.dims)]
        k += 1 + len(spec.dims)
    return pointers, dims, list(args[k:])


def _emit_shapes(module: ir.Module, plan: ExportPlan) -> None:
    dims_types = [I64] * len(input_dims(plan)) + [PTR] * len(plan.outputs)
    fn = ir.Function(module, ir.FunctionType(I32, dims_types), f"{plan.name}_shapes")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    dims, outs = list(fn.args[:len(input_dims(plan))]), fn.args[len(input_dims(plan)):]
    sizes = _Sizes(b, plan, dims)
    with b.if_then(b.not_(sizes.checks(plan, dims)), likely=False):
        b.ret(ir.Constant(I32, ERR_SIZE))
    for out, result in zip(outs, plan.outputs):
        with b.if_then(b.icmp_unsigned("!=", out, ir.Constant(PTR, None))):
            for d, poly in enumerate(result.dims):
                b.store(sizes(poly), b.gep(out, [i64(d)], inbounds=True, source_etype=I64))
    b.ret(ir.Constant(I32, OK))


def _emit_entry(module: ir.Module, plan: ExportPlan, driver: ir.Function, parallel_for: ir.Function,
                prefix: str) -> None:
    fn = ir.Function(module, ir.FunctionType(I32, parameter_types(plan)), plan.name)
    for arg, name in zip(fn.args, parameter_names(plan)):
        arg.name = name
    alloc, free = _libc(module)
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    pointers, dims, outs = _split_args(plan, list(fn.args))
    sizes = _Sizes(b, plan, dims)
    with b.if_then(b.not_(sizes.checks(plan, dims)), likely=False):
        b.ret(ir.Constant(I32, ERR_SIZE))
    program = plan.program
    n = len(program.buffers)
    size_table = b.alloca(ir.ArrayType(I64, max(1, len(plan.slots))), name="sizes")
    for i, poly in enumerate(plan.slots):
        value = i64(plan.grains[i]) if poly is None else sizes(poly)
        b.store(value, b.gep(size_table, [i64(0), i64(i)], inbounds=True))
    table = b.alloca(ir.ArrayType(PTR, n + 1), name="table")
    slot = lambda i: b.gep(table, [i64(0), i64(i)], inbounds=True)  # noqa: E731
    pointer: dict[int, ir.Value] = {}
    owned: list[ir.Value] = []  # what this call allocated (freed at the end)
    result_of = {}  # output buffer -> the first result written straight into the caller's array
    for k, out in enumerate(plan.outputs):
        result_of.setdefault(out.buffer, k)
    streamed = {nest.store.buffer for k in program.kernels for nest, s in zip(k.nests, k.schedules) if s.stream}

    def allocate(nbytes: ir.Value) -> ir.Value:
        rounded = b.and_(b.add(nbytes, i64(2 * ALIGN - 1)), i64(-ALIGN))  # never 0 bytes
        size_t = alloc.function_type.args[0]
        if size_t.width < 64:  # more than size_t holds: ask for what cannot be had (NULL, TJ_ERR_ALLOC)
            fits = b.icmp_unsigned("<", rounded, i64(1 << size_t.width))
            rounded = b.select(fits, b.trunc(rounded, size_t), ir.Constant(size_t, (1 << size_t.width) - ALIGN))
        block = b.call(alloc, [ir.Constant(size_t, ALIGN), rounded])
        owned.append(block)
        return block

    aligned_copies = []  # (caller's array, aligned block) for results written by streaming stores
    for buf in program.buffers:
        if buf.kind == "input":
            pointer[buf.id] = pointers[buf.index]
        elif buf.kind == "constant" and buf.id in plan.computed:
            values = plan.computed[buf.id]
            block = b.alloca(ir.ArrayType(I64, max(1, len(values))), name=f"c{buf.id}")
            block.align = ALIGN
            for e, poly in enumerate(values):
                b.store(sizes(poly), b.gep(block, [i64(0), i64(e)], inbounds=True))
            pointer[buf.id] = opaque(b, block)
        elif buf.kind == "constant":
            pointer[buf.id] = _constant(module, f"{prefix}_c{buf.id}", plan.constants[buf.id])
        elif buf.kind == "output" and buf.id in result_of:
            user = outs[result_of[buf.id]]
            if buf.id in streamed:  # non-temporal stores need 64-byte alignment: else via a block
                misaligned = b.icmp_unsigned("!=", b.and_(b.ptrtoint(user, I64), i64(ALIGN - 1)), i64(0))
                spare = b.select(misaligned, allocate(sizes(plan.nbytes[buf.id])), ir.Constant(PTR, None))
                aligned_copies.append((user, spare, buf.id))
                user = b.select(misaligned, spare, user)
            pointer[buf.id] = user
        elif buf.kind in ("output", "temp") and buf.id not in program.plan.in_place \
                and (buf.kind == "output" or buf.id in program.plan.offsets):
            pointer[buf.id] = allocate(sizes(plan.nbytes[buf.id]))
    for new in program.plan.in_place:  # written in place of another temporary: its memory
        old = new
        while old in program.plan.in_place:
            old = program.plan.in_place[old]
        if old in pointer:
            pointer[new] = pointer[old]
    failed = ir.Constant(ir.IntType(1), 0)
    for block in owned:
        failed = b.or_(failed, b.icmp_unsigned("==", block, ir.Constant(PTR, None)))
    with b.if_then(failed, likely=False):
        for block in owned:
            b.call(free, [block])  # (free(NULL) does nothing)
        b.ret(ir.Constant(I32, ERR_ALLOC))
    for bid, value in pointer.items():
        b.store(value, slot(bid))
    b.store(opaque(b, size_table), slot(n))
    b.call(driver, [opaque(b, table), parallel_for])
    with b.if_then(_failed_checks(b, plan, pointer, sizes), likely=False):
        for block in owned:
            b.call(free, [block])
        b.ret(ir.Constant(I32, ERR_CHECK))
    for user, spare, bid in aligned_copies:
        with b.if_then(b.icmp_unsigned("!=", spare, ir.Constant(PTR, None))):
            _copy(b, user, spare, sizes(plan.nbytes[bid]))
    for k, out in enumerate(plan.outputs):
        if result_of.get(out.buffer) != k or program.buffers[out.buffer].kind != "output":
            _copy(b, outs[k], pointer[out.buffer], sizes(plan.nbytes[out.buffer]))
    for arg, index in plan.writebacks:
        bid = program.outputs[index]
        target = [buf.id for buf in program.buffers if buf.kind == "input" and buf.index == arg]
        if target == [bid]:
            continue  # updated in the argument's own memory already
        _copy(b, pointers[arg], pointer[bid], sizes(plan.nbytes[bid]), overlap=True)
    for block in owned:
        b.call(free, [block])
    b.ret(ir.Constant(I32, OK))


def _failed_checks(b: ir.IRBuilder, plan: ExportPlan, pointer: dict[int, ir.Value], sizes: _Sizes) -> ir.Value:
    """An i1: a run-time check of the program failed (an index out of range, a singular
    matrix...; ``frontend/checks.py``), warnings aside."""
    program, failed = plan.program, ir.Constant(ir.IntType(1), 0)

    def value(index: int) -> ir.Value:
        buf = program.buffers[program.outputs[index]]
        ty = ir.IntType(8 * buf.dtype.itemsize)
        loaded = b.load(b.bitcast(pointer[buf.id], ty.as_pointer()), typ=ty)
        return b.sext(loaded, I64) if ty.width < 64 and buf.dtype.kind == "i" else (
            b.zext(loaded, I64) if ty.width < 64 else loaded)

    for check, bound in zip(plan.checks, plan.check_bounds):
        errors = [k for k, (error, _) in enumerate(check.cases) if not issubclass(error, Warning)]
        if not errors:
            continue
        if check.coded:
            code = value(check.index)
            for k in errors:
                failed = b.or_(failed, b.icmp_signed("==", code, i64(k + 1)))
        elif check.bound is None:
            failed = b.or_(failed, b.icmp_signed("!=", value(check.index), i64(0)))
        else:
            limit = sizes(bound)
            low = b.icmp_signed("<", value(check.index), b.neg(limit))
            failed = b.or_(failed, b.or_(low, b.icmp_signed(">=", value(check.high), limit)))
    return failed


def parameter_names(plan: ExportPlan) -> list[str]:
    """The C function's parameter names: each argument and its dims ``x_n0``..., then ``out0``..."""
    names = []
    for arg, spec in zip(plan.arg_names, plan.specs):
        names += [arg] + [f"{arg}_n{d}" for d in range(len(spec.dims))]
    return names + [out.name for out in plan.outputs]

