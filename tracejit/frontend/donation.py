"""Arguments the compiled program updates in their own memory.

A function that writes into an argument array (``A[i] = ...``, ``A += b``) gives that
argument's last version back as an output, which the caller's array then receives
(``frontend/api.py``). Copying it there costs a pass over the whole array, and a loop
carrying the argument would first copy it into a buffer of its own: for a loop over the
rows of a large argument, more than the loop itself. So the argument's graph input is
marked ``donated`` to its write-back output, as a loop body's carried inputs are
(``compiler/kernelize/control.py``): kernel formation then stores updates straight into
the argument's memory where no later read needs the old values, loops carry it in place,
and the output is the argument array itself (nothing to copy back).

Only plain arrays are donated: C-contiguous real arguments (not captured arrays, not an
array passed twice, not complex pair views) of functions without run-time checks (a failed
check raises after the program ran: the caller's array must then be untouched), or whose
every check is a range check of an argument index array itself (``np.add.at(x, idx, v)``,
``np.put``, ``x[idx] = v`` with ``idx`` an argument): those run on the arguments before the
call (``checks.raise_prechecked``), so a failure raises with ``x`` untouched, as NumPy's
``add.at`` leaves it (NumPy's ``put`` writes the indices before the bad one; tracejit none).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from tracejit.frontend.checks import prechecked

if TYPE_CHECKING:
    from tracejit.frontend.traced_function import TracedFunction


def donate_written_arguments(traced: TracedFunction, aliases: dict[int, int], n_args: int) -> None:
    """Mark the graph inputs of ``traced``'s written-back arguments (the first ``n_args``
    inputs are the call's arguments; ``aliases``: the same array passed twice) donated."""
    if not prechecked(traced.checks):  # a check that can only fail after the writes: no donation
        return
    aliased = set(aliases) | set(aliases.values())
    graph = traced.graph
    nodes = {graph.attrs(n)["index"]: n for n in graph.inputs}
    for arg, output in traced.writebacks:
        spec = traced.in_specs[arg]
        if arg >= n_args or arg in aliased or spec.strides is not None or spec.complex_dtype is not None \
                or spec.scalar or spec.weak is not None:
            continue
        graph.data(nodes[arg])["donated"] = output
        graph.data(nodes[arg])["argument"] = True  # the program's own: its results may share the memory
