"""Every stage of what a jitted function compiles to, for one signature, as text.

A :class:`Lowered` is a view of a :class:`~tracejit.compile.Compilation`: it shows the
results of the compile path (``compile.py``) and runs no stage but those it is asked to
show (a signature lowered without being called is compiled when its LLVM IR or assembly
is asked for)."""
from __future__ import annotations

import os

from tracejit.compile import Compilation
from tracejit.compiler.kir import Kernel
from tracejit.compiler.pipeline import Optimized
from tracejit.errors import user_error
from tracejit.frontend.hostcall import fallbacks_of
from tracejit.frontend.traced_function import TracedFunction
from tracejit.runtime.executable import Executable

STAGES = ("source", "graph", "optimized", "kernels", "passes", "llvm", "llvm-opt", "asm")


class Lowered:
    """The traced graph, the optimized graph and kernels, and (compiled on demand) the
    LLVM IR before and after optimization and the host assembly (``JitFunction.lower``).

    >>> import numpy as np, tracejit as tj
    >>> lowered = tj.jit(lambda x: np.sqrt(x) + 1).lower(np.ones(4, np.float32))
    >>> print(lowered.as_text("graph").splitlines()[0])
    graph <lambda>:
    >>> len(lowered.kernels), lowered.to_dot().startswith("digraph"), "define" in lowered.as_text("llvm")
    (1, True, True)
    """

    def __init__(self, compilation: Compilation):
        self.compilation = compilation

    @property
    def traced(self) -> TracedFunction:
        """The traced function: its graph, how its arguments are read and its result built."""
        return self.compilation.traced

    @property
    def optimized(self) -> Optimized:
        """The optimized graph and its kernel program (optimized now if not yet)."""
        return self.compilation.optimized

    @property
    def executable(self) -> Executable:
        """The program loaded as machine code (compiled now if not yet)."""
        return self.compilation.executable

    @property
    def fallbacks(self) -> list[tuple[str, str | None, str]]:
        """The calls that run in Python at run time (host calls, ``frontend/hostcall.py``):
        (function, user line, why it is not compiled), loops and branches included.

        >>> f = tj.jit(lambda x: np.abs(np.fft.rfft(x)).sum())
        >>> [(name, why) for name, line, why in f.lower(np.ones(4)).fallbacks]
        [('numpy.fft.rfft', 'no native handler')]
        """
        return fallbacks_of(self.traced.graph)

    @property
    def kernels(self) -> list[Kernel]:
        """The fused kernels: their graph nodes, loop nests and schedules."""
        return self.optimized.program.kernels

    def memory(self) -> dict[str, int]:
        """Bytes of inputs, constants, outputs, temporaries, and the peak."""
        return self.optimized.program.memory()

    def as_text(self, stage: str = "optimized") -> str:
        """Text of one stage: ``graph`` (as traced), ``optimized`` (after the passes,
        kernels marked, then the kernels), ``kernels``, ``passes`` (the graph after each
        graph pass, the kernel program after each kernel pass), ``llvm``, ``llvm-opt``
        (after O3) or ``asm``; ``source``: the converted source of the functions the trace
        ran (``frontend/autograph/``), then the trace's notes.

        >>> print(tj.jit(lambda x: x * 2).lower(np.ones(3)).as_text("graph"))
        graph <lambda>:
          %0 = input[index=0, name='x'] : f64[3]
          %1 = constant 2.0 : f64[]...
          %2 = multiply %0, %1 : f64[3]...
          %3 = output[index=0] %2 : f64[3]...
        """
        if stage == "source":
            traced = self.traced
            parts = [c.source for c in traced.converted] or ["# (no function was converted: traced as written)"]
            if traced.notes:
                parts.append("\n".join(f"# note: {n}" for n in traced.notes))
            return "\n\n".join(parts)
        if stage == "graph":
            return self.traced.graph.as_text()
        if stage == "optimized":
            graph = self.optimized.graph.as_text(self.optimized.kernel_of())
            return f"{graph}\n\n{self.optimized.program.text()}"
        if stage == "kernels":
            return self.optimized.program.text()
        if stage == "passes":
            return "\n\n".join(f"== after {r.name} ({r.seconds * 1e3:.2f} ms, "
                               f"{'changed' if r.changed else 'unchanged'})\n{r.text}"
                               for r in self.compilation.pass_records())
        if stage == "llvm":
            return self.executable.compiled.llvm_ir
        if stage == "llvm-opt":
            return self.executable.compiled.optimized_ir
        if stage == "asm":
            return self.executable.compiled.asm
        raise user_error(ValueError(f"unknown stage {stage!r}; choose from {', '.join(STAGES)}"))

    def to_dot(self, stage: str = "optimized") -> str:
        """Graphviz source of the traced (``graph``) or optimized graph, kernels as clusters."""
        if stage == "graph":
            return self.traced.graph.to_dot()
        if stage == "optimized":
            clusters = {k.name: k.nodes for k in self.kernels}
            return self.optimized.graph.to_dot(clusters)
        raise user_error(ValueError(f"to_dot: stage must be 'graph' or 'optimized', not {stage!r}"))

    def report(self, path: str | os.PathLike | None = None) -> str:
        """A compile report as one self-contained HTML page (``tracejit/report/``; machine
        code is compiled now if not yet), written to ``path`` when given: the traced graph
        drawn with nodes coloured by kernel and linked to the source lines, the graph after
        each pass with its time, each kernel's loop nest, schedule, memory plan, LLVM IR and
        assembly, the fallbacks and the compile time per stage. ``TRACEJIT_REPORT=dir``
        writes one for every compilation.

        >>> page = tj.jit(lambda x: np.tanh(x).sum()).lower(np.ones(8)).report()  # or .report("f.html")
        >>> page.count('<section class="kernel"'), "http" in page
        (1, False)
        """
        from tracejit.report.page import report  # (on first use: the page's modules stay out of `jit`'s start-up)
        return report(self, path)
