"""The compile path: one signature of a jitted function, from Python to machine code.

Each stage is one call into one layer, in one direction: the frontend asks for a
:class:`Compilation` and reads its executable; no layer calls back up.

1. trace      ``frontend/traced_function.trace_function``: the function run on tracers, its graph
2. optimize   ``compiler/pipeline.optimize``: graph passes, kernel formation, kernel passes,
              memory plan (or the program an earlier process stored: ``runtime/programcache.py``)
3. generic    ``compiler/generic_sizes.parametrize``: sizes become parameters of a size table;
              the generic program's fingerprint (``compiler/fingerprint.py``) is the cache key
              and names its functions
4. LLVM IR    ``compiler/codegen/module.build_module``: only when no process compiled that key
5. machine    ``runtime/engine.load_cached``: code loaded already, from the disk cache, or
   code       compiled now (and stored)
6. load       ``runtime/executable.Executable``: the code with the program's buffers and sizes

``tj.jit`` runs every stage on the first call of a signature (:func:`trace_call`, then
:meth:`Compilation.compile`);
``JitFunction.lower`` traces and optimizes (:func:`lower_call`) and leaves the code to be
compiled when first asked for (``frontend/lowered.py`` shows each stage as text). The code generator and the engine
import llvmlite, so they are imported inside the functions that use them (a deliberate
deferral of a heavy dependency): ``import tracejit`` loads no llvmlite, the first
compilation does (``compiler/target.py`` says clearly when it is missing).
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable

from tracejit.compiler.codegen.symbols import symbol_names
from tracejit.compiler.fingerprint import program_fingerprint
from tracejit.compiler.generic_sizes import GenericProgram, parametrize, size_table
from tracejit.compiler.graph import Graph, graph_fingerprint
from tracejit.compiler.kir import Program
from tracejit.compiler.ops.host import is_effectful
from tracejit.compiler.passes import PassRecord
from tracejit.compiler.pipeline import Optimized, optimize
from tracejit.compiler.schedule.memplan import plan_memory
from tracejit.compiler.target import LLVMUnavailable, Target, host_target
from tracejit.config import config, emit_log, log_enabled
from tracejit.frontend.autograph.loops import unrolling
from tracejit.frontend.hostcall import fallbacks
from tracejit.frontend.signature import BoundCall
from tracejit.frontend.traced_function import TracedFunction, trace_function
from tracejit.runtime import diskcache, programcache, threads
from tracejit.runtime.dispatcher import dispatch_module
from tracejit.runtime.dispatcher import pending as native_dispatch_pending
from tracejit.runtime.executable import Executable, uses_pool
from tracejit.stagetimes import StageTimes, measuring, stage

MAX_STORED_CONSTANT_BYTES = 1 << 20  # optimized programs holding more constants are not stored


@dataclass(frozen=True, eq=False)  # compared by identity: it holds a set the traces add to
class Request:
    """What a jitted function compiles, the same for each of its signatures: the function,
    its Python signature and static parameters, ``freeze`` (globals read once, as
    constants), the captured arrays whose values it needs (a set the traces add to),
    ``fastmath`` and ``autograph`` (control flow converted from the source)."""

    fun: Callable
    pysig: inspect.Signature
    static: frozenset
    freeze: bool
    concrete: set
    fastmath: bool
    autograph: bool = True
    unroll_loops: bool = False  # every converted loop with a static trip count unrolled (frontend/autograph/loops.py)
    fallback: bool = True  # unsupported calls run as host calls (frontend/hostcall.py); False: refused
    flush_denormals: bool = False  # calls run with FTZ/DAZ set (compiler/codegen/denormals.py)


class Compilation:
    """One signature's results, stage by stage: each stage runs once, when first needed
    (see the module docstring)."""

    def __init__(self, traced: TracedFunction, fastmath: bool, flush_denormals: bool = False):
        self.traced = traced
        self.fastmath = fastmath
        self.flush_denormals = flush_denormals
        self._optimized: Optimized | None = None
        self._executable: Executable | None = None
        self.times = StageTimes()  # each stage's time, measured as it runs (stagetimes.py)

    @property
    def optimized(self) -> Optimized:
        """The optimized graph and its scheduled kernel program (stage 2)."""
        if self._optimized is None:
            with measuring(self.times):
                self._optimized = optimize_cached(self.traced.graph, self.fastmath)
        return self._optimized

    @property
    def executable(self) -> Executable:
        """The program as machine code, callable on arrays (stages 3-6)."""
        if self._executable is None:
            program = self.optimized.program
            with measuring(self.times):
                self._executable = load(program, self.flush_denormals)
        return self._executable

    def compile(self, name: str) -> Executable:
        """Every stage after the trace, now (what a call of a jitted function needs);
        ``name`` names the function in the ``kernels`` log."""
        program = self.optimized.program
        if log_enabled("kernels"):
            emit_log("kernels", f"{name}:\n{program.text()}")
        return self.executable  # compiled now, or found on disk or loaded already

    def generic_for(self, target: Target) -> GenericProgram:
        """This signature's program optimized for ``target`` in its generic form (sizes in a
        size table): what ``llvm_ir`` turns into the module that ``compiler/target.emit_object``
        compiles for that target. The JIT's own (host) program is ``optimized``'s."""
        program = optimize_cached(self.traced.graph, self.fastmath, target).program
        if program.plan is None:
            program.plan = plan_memory(program)
        return parametrize(program)

    def pass_records(self) -> list[PassRecord]:
        """The program after each graph pass and kernel pass, with its time (the pipeline runs again, recording)."""
        return optimize(self.traced.graph, record=True, fastmath=self.fastmath).passes


def trace_call(request: Request, call: BoundCall) -> Compilation:
    """Stage 1: ``request.fun`` traced for the signature of ``call`` (a call of a jitted
    function then runs :meth:`Compilation.compile`)."""
    fun = request.fun
    times = StageTimes()
    with measuring(times), stage("trace"), unrolling(request.unroll_loops), fallbacks(request.fallback):
        traced = trace_function(fun, request.pysig, request.static, call, fun.__name__, request.freeze,
                                request.concrete, request.autograph)
    compilation = Compilation(traced, request.fastmath, request.flush_denormals)
    compilation.times = times
    return compilation


def lower_call(request: Request, call: BoundCall) -> Compilation:
    """Stages 1 and 2 for the signature of ``call`` (what ``JitFunction.lower`` runs; the
    code is compiled when first asked for). Without llvmlite only the trace: the
    optimizer needs the host's vector width, so asking for a later stage raises
    :class:`~tracejit.compiler.target.LLVMUnavailable` then."""
    compilation = trace_call(request, call)
    try:
        compilation.optimized  # noqa: B018 - optimized now: its errors are lower()'s, as they are a call's
    except LLVMUnavailable:
        pass
    return compilation


def _identity(graph: Graph, fastmath: bool, target: Target) -> str:
    """Everything an optimized program is a function of: the graph, the optimizer's settings and the target."""
    settings = (f"threads={config.num_threads} fold_limit={config.fold_limit} fastmath={fastmath} "
                f"target={target.key}")
    return f"optimized program\n{settings}\n{graph_fingerprint(graph)}"


def _stored_problem(value: Any, graph: Graph) -> str | None:
    """What is wrong with ``value``, read from the program cache as ``graph``'s optimized
    program: not one, or its inputs and outputs disagree with the graph's (None: usable)."""
    if not isinstance(value, Optimized):
        return "not the program of this graph"
    program = value.program
    avals = lambda nodes: [(tuple(graph.aval(n).shape), graph.aval(n).dtype) for n in nodes]  # noqa: E731
    inputs, outputs = avals(graph.inputs), avals(graph.outputs)
    buffers = {b.id: b for b in program.buffers}
    if program.n_inputs != len(inputs) or len(program.outputs) != len(outputs):
        return "a program with other inputs or outputs"
    seen = [(b.index, (tuple(b.shape), b.dtype)) for b in program.buffers if b.kind == "input"]
    seen += [(-1 - i, (tuple(buffers[b].shape), buffers[b].dtype)) for i, b in enumerate(program.outputs)
             if b >= 0 and b in buffers]
    if any(not isinstance(i, int) or not -len(outputs) <= i < len(inputs) for i, _ in seen):
        return "a program with other inputs or outputs"
    if any(aval != (inputs[i] if i >= 0 else outputs[-1 - i]) for i, aval in seen):
        return "a program for other shapes or dtypes"
    return None


def optimize_cached(graph: Graph, fastmath: bool = False, target: Target | None = None) -> Optimized:
    """``optimize(graph)`` for ``target`` (default: the host), or the same program stored by
    an earlier process: an entry is used only when it was stored under this graph's
    identity (its fingerprint, the optimizer's settings and the target) and its inputs and
    outputs are the graph's; anything else is a miss (optimized again and stored again)."""
    target = host_target() if target is None else target
    if not config.cache_enabled or is_effectful(graph):  # (host calls hold this process's callbacks)
        return optimize(graph, fastmath=fastmath, target=target)
    with stage("program cache"):
        identity = _identity(graph, fastmath, target)
        stored = programcache.read(identity, lambda value: _stored_problem(value, graph))
    if stored is not None:
        return stored
    optimized = optimize(graph, fastmath=fastmath, target=target)
    if sum(b.nbytes for b in optimized.program.buffers if b.kind == "constant") <= MAX_STORED_CONSTANT_BYTES:
        programcache.write(identity, optimized)  # (a program of large constants would be mostly data)
    return optimized


def load(program: Program, flush_denormals: bool = False) -> Executable:
    """Machine code of ``program``: loaded already in this process (for this program or
    one of the same structure), or object code from the disk cache (no IR is even
    generated), or generated, compiled and stored now. Code is generated for the
    program's generic form (sizes read at run time); the cache key is its fingerprint
    (everything code generation reads), and function names derive from it, so one key
    always names the same object code. With ``flush_denormals`` the code runs with
    subnormals flushed to zero (``compiler/codegen/denormals.py``): other object code."""
    with stage("generic form"):
        if program.plan is None:  # the call wrapper places temporaries where the plan says
            program.plan = plan_memory(program)
        generic = parametrize(program)
        key = diskcache.cache_key(program_fingerprint(generic) + ("\nflush_denormals" if flush_denormals else ""))
        prefix = f"tj{key[:20]}_{_sanitize(program.name)}"
        symbols = symbol_names(generic, prefix)
    from tracejit.runtime.engine import load_cached  # deferred: the engine imports llvmlite
    compiled, source = load_cached(key, [symbols.entry, symbols.call],
                                   lambda: llvm_ir(generic, prefix, flush_denormals),
                                   lambda: llvm_parts(generic, prefix, flush_denormals), runtime_modules(program))
    with stage("load"):
        return Executable(program, compiled, symbols.entry, symbols.call, size_table(generic), source)


def runtime_modules(program: Program) -> list:
    """The runtime's own modules that running ``program`` will load and this process has not
    (native dispatch, the thread pool if it runs parallel kernels): compiled with the program
    if it is compiled (``engine.Companion``), not one after another on its first call."""
    along = [dispatch_module()] if native_dispatch_pending() else []
    return along + ([threads.pool_module()] if uses_pool(program) and not threads.started() else [])


def llvm_ir(generic: GenericProgram, prefix: str, flush_denormals: bool = False) -> str:
    """The LLVM IR of ``generic``'s module, its functions named from ``prefix`` (run only
    on a cache miss, or when the IR of code loaded from disk is asked for)."""
    from tracejit.compiler.codegen import module  # deferred: code generation imports llvmlite
    with stage("codegen"):
        return str(module.build_module(generic, prefix, flush_denormals=flush_denormals)[0])


def llvm_parts(generic: GenericProgram, prefix: str, flush_denormals: bool = False) -> list[tuple[str, int]]:
    """``generic``'s module as parts LLVM compiles at once, each with its optimization level
    (``compiler/codegen/split.py``; one part, the whole module at O3, where splitting does not pay)."""
    from tracejit.compiler.codegen import module  # deferred: code generation imports llvmlite
    with stage("codegen"):
        parts = module.build_parts(generic, prefix, compile_threads(), flush_denormals)
        return [(part.text, part.level) for part in parts]


def compile_threads() -> int:
    """How many threads LLVM may compile one program's parts with: tracejit's thread count, at most 4."""
    return max(1, min(config.num_threads, 4))


def _sanitize(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name)[:40]
