"""Control kernels: a loop or a branch over compiled sub-programs (``codegen/control.py``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SubCall:
    """One compiled sub-program of a control kernel and where its buffers come from.

    ``program`` is the sub-program's generic form (``compiler/generic_sizes.py``) without its
    parameter values: those are the constant buffer ``sizes`` of the outer program (so
    the outer program's code stays generic too). Its first ``carries`` inputs are the
    loop's carried values (loops) and its other inputs the outer buffers ``captured``;
    its constants are the outer constant buffers ``constants`` (sub buffer -> outer
    buffer), its temporaries lie in the outer temporary ``arena`` (None: it has none).
    """

    program: Any
    carries: int
    captured: tuple[int, ...]
    constants: tuple[tuple[int, int], ...]
    sizes: int
    arena: int | None
    concrete: Any = field(default=None, compare=False, metadata={"code": False})  # the program, for display


@dataclass(frozen=True)
class Control:
    """A loop or branch over compiled sub-programs (formed from a ``while`` or ``cond`` node).

    ``kind`` ``while``: ``subs`` = (condition, body); the carried values start as the
    buffers ``inits`` and end in ``results``; each step the body writes the next carried
    values into whichever of ``results``/``spare`` does not hold the current ones, and
    the condition writes its truth into ``flag``. ``kind`` ``cond``: ``subs`` = (true
    branch, false branch), ``pred`` the buffer of the 0-d bool; the branch taken writes
    ``results``. ``nbytes`` are the results' sizes in bytes (parameters in the generic form);
    ``scalar`` the item size of each 0-d carried value (0 for arrays): a loop keeps
    those in stack slots the compiler promotes to registers. ``owned``: the body writes
    that carried value's buffer (updates it in place), so the loop starts it as a copy of
    the initial value in the result buffer; ``in_place``: its next value is written into
    the current one's buffer (no spare buffer is used). ``kind`` ``host``: a call back into
    Python (``kernelize/host.py``) reading ``inits`` and writing ``results``; ``kind``
    ``lapack``: calls of a LAPACK routine (``kernelize/lapack.py``), likewise.
    """

    kind: str
    subs: tuple[SubCall, ...]
    results: tuple[int, ...]
    nbytes: tuple
    inits: tuple[int, ...] = ()
    spare: tuple[int, ...] = ()
    flag: int | None = None
    pred: int | None = None
    scalar: tuple[int, ...] = ()
    owned: tuple[bool, ...] = ()
    in_place: tuple[bool, ...] = ()
    steps: tuple[tuple, ...] = ()  # gfor: per sub (first index, end, slope buffer, slots, in place per carry)
    callback: int | None = None  # host: the constant buffer holding the callback's address (kernelize/host.py)
    dims: tuple = ()  # lapack: the batch, each result's bytes per matrix, the call's integers (kernelize/lapack.py)
    call: Any = None  # lapack: the routine and its arguments (ops/lapack.py LapackCall)
    label: str = field(default="", compare=False, metadata={"code": False})  # host: the function called

    def buffers(self) -> set[int]:
        """Ids of the outer buffers the loop or branch reads or writes."""
        out = set(self.results) | set(self.inits) | set(self.spare)
        out |= {b for b in (self.flag, self.pred, self.callback) if b is not None}
        for sub in self.subs:
            out |= set(sub.captured) | {outer for _, outer in sub.constants} | {sub.sizes}
            if sub.arena is not None:
                out.add(sub.arena)
        out |= {step[2] for step in self.steps}
        return out
