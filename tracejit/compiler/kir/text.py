"""Kernel programs as text (``as_text("kernels")``, ``TRACEJIT_LOG=kernels``): one line
per buffer, per kernel and per nest, in a notation close to the loops they run."""
from __future__ import annotations

from typing import TYPE_CHECKING

from tracejit.compiler.dtypes import short_name
from tracejit.compiler.kir.buffers import Access
from tracejit.compiler.kir.controlflow import Control
from tracejit.compiler.kir.expr import Acc, Const, Convert, Expr, Gather, Iota, Load, ScatterAccess, Search
from tracejit.compiler.kir.nest import Nest

if TYPE_CHECKING:  # the Program's text() calls program_text
    from tracejit.compiler.kir.kernel import Program


def expr_text(e: Expr, names: list[str], bufnames: dict[int, str]) -> str:
    """An expression over the loop variables ``names`` (shared nodes print at every use)."""
    if isinstance(e, Search):
        side = "right" if e.right else "left"
        return (f"search_{side}({e.access.text(names, bufnames[e.access.buffer])} + {e.strides[0]}*[:{e.extents[0]}], "
                f"{expr_text(e.indices[0], names, bufnames)})")
    if isinstance(e, Gather):
        at = " + ".join(f"{s}*[{expr_text(i, names, bufnames)}]<{n}"
                        for i, s, n in zip(e.indices, e.strides, e.extents))
        return f"gather({e.access.text(names, bufnames[e.access.buffer])} + {at})"
    if isinstance(e, Load):
        return e.access.text(names, bufnames[e.access.buffer])
    if isinstance(e, Const):
        return repr(e.value)
    if isinstance(e, Iota):
        return f"iota({e.start!r} + {e.step!r}*{e.access.text(names, 'e')[2:-1]})"
    if isinstance(e, Acc):
        return "acc"
    if isinstance(e, Convert):
        return f"{short_name(e.dtype)}({expr_text(e.arg, names, bufnames)})"
    return f"{e.op}({', '.join(expr_text(a, names, bufnames) for a in e.args)})"


def nest_text(nest: Nest, bufnames: dict[int, str]) -> str:
    """One line: the nest's loops, its store and the value it stores."""
    names = [f"i{d}" for d in range(nest.n_kept)] + [f"r{d}" for d in range(nest.n_reduced)]
    kept = ", ".join(f"{n}<{s}" for n, s in zip(names, nest.shape))
    body = expr_text(nest.value, names, bufnames)
    if nest.reduce:
        body = f"{nest.reduce}[{', '.join(names[nest.n_kept:])}] {body}"
    if nest.epilogue is not None:
        body = f"{expr_text(nest.epilogue, names[:nest.n_kept], bufnames)} where acc = {body}"
    store = nest.store.text(names[:nest.n_kept], bufnames[nest.store.buffer])
    if isinstance(nest.store, ScatterAccess):
        at = " + ".join(f"{s}*[{expr_text(i, names, bufnames)}]<{n}" for i, s, n in
                        zip(nest.store.indices, nest.store.index_strides, nest.store.extents))
        store = f"scatter({Access.text(nest.store, names[:nest.n_kept], bufnames[nest.store.buffer])} + {at})"
        if nest.store.combine:
            store = f"{store} {nest.store.combine}({short_name(nest.store.combine_dtype)})"
    return f"for ({kept}): {store} = {body}"


def control_text(c: Control, names: dict[int, str]) -> str:
    """A loop or branch and the text of each of its sub-programs."""
    def buf(b: int) -> str:
        return names.get(b, f"b{b}")

    if c.kind == "while":
        head = (f"  while {c.subs[0].program.name}({', '.join(buf(b) for b in c.inits)}) -> {buf(c.flag)}: "
                f"[{', '.join(buf(b) for b in c.results)}] (spare {', '.join(buf(b) for b in c.spare)}) = "
                f"{c.subs[1].program.name}(...)")
    elif c.kind == "host":
        head = (f"  host call (fallback) {c.label}({', '.join(buf(b) for b in c.inits)}) -> "
                f"[{', '.join(buf(b) for b in c.results)}] via {buf(c.callback)}")
    elif c.kind == "lapack":
        head = (f"  lapack {c.label}({', '.join(buf(b) for b in c.inits)}) -> "
                f"[{', '.join(buf(b) for b in c.results)}] via {buf(c.callback)}")
    elif c.kind == "gfor":
        head = (f"  gfor {[step[:2] for step in c.steps]} ({', '.join(buf(b) for b in c.inits)}): "
                f"[{', '.join(buf(b) for b in c.results)}] (spare {', '.join(buf(b) for b in c.spare)})")
    else:
        head = (f"  cond {buf(c.pred)}: [{', '.join(buf(b) for b in c.results)}] = "
                f"{c.subs[0].program.name}(...) else {c.subs[1].program.name}(...)")
    lines = [head]
    for sub in c.subs:
        lines.append(f"  sub-program {sub.program.name}: carries {sub.carries}, captured "
                     f"{[buf(b) for b in sub.captured]}, sizes {buf(sub.sizes)}"
                     + (f", arena {buf(sub.arena)}" if sub.arena is not None else ""))
        shown = sub.concrete if sub.concrete is not None else sub.program
        lines.extend("    " + line for line in shown.text().splitlines())
    return "\n".join(lines)


def program_text(program: Program) -> str:
    """The program as text: its buffers, each kernel with its nests and schedules, the memory plan."""
    names = program.bufnames()
    lines = []
    for b in program.buffers:
        extra = f" arg {b.index}" if b.kind == "input" else (f" result {list(b.outputs)}" if b.outputs else "")
        origin = f"node %{b.node}" if b.node >= 0 else b.label
        lines.append(f"buffer {b.name}: {b.kind} {short_name(b.dtype)}[{','.join(map(str, b.shape))}]"
                     f"{extra} ({origin})")
    for k in program.kernels:
        nodes = " ".join(f"%{n}" for n in k.nodes)
        par = f", parallel in chunks of {k.parallel_grain}" if k.parallel_grain else ""
        par += ", stages share the outer loop" if k.row_fused else ""
        lines.append(f"kernel {k.name} ({k.kind}) nodes {nodes}{par}")
        if k.control is not None:
            lines.append(control_text(k.control, names))
        if k.gemm is not None:
            lines.append("  " + k.gemm.text(names))
            if k.gemm.epilogue is not None:
                lines.append("    epilogue: " + expr_text(k.gemm.epilogue, ["b", "i", "j"], names))
        if k.along is not None:
            lines.append("  " + k.along.text(names))
        for nest, sched in zip(k.nests, k.schedules or [None] * len(k.nests)):
            lines.append("  " + nest_text(nest, names))
            if sched is not None:
                lines.append(f"    schedule: {sched.text()}")
    if program.plan is not None:
        lines.append(program.plan.text(program.buffers))
    return "\n".join(lines)
