"""``for`` loops of converted code (``__tj_ag__.for_stmt`` / ``__tj_ag__.iterate``).

Outside a trace, and over Python iterables (lists, tuples, dicts, generators), a loop runs
as the Python loop it was written as. Over a range, an array's first axis (``for row in
X``), or ``enumerate``/``zip``/``reversed`` of these (:mod:`.sequences`), inside a trace:

* a small static trip count (:data:`UNROLL_MAX`) of a light body (no matrix product, sort or loop inside:
  :func:`.sequences.light_body`), ``tj.unroll(...)`` or ``tj.jit(unroll_loops=True)``: unrolled, the body
  run once per item as Python runs it (measured: an elementwise body of 2-4 steps unrolled fuses into one
  kernel, 3-20x faster than rolled; a GRU step of three matrix products unrolled compiles 2-3x longer for 5-15%);
* otherwise rolled: the body traced once with a traced index (``i`` a traced Python int,
  ``row`` = ``X[i]``) into one ``while`` node (``frontend/control.py``). The state
  variables defined before the loop are carried; arrays the body writes without
  assigning them (``out[t] = v``) are carried too (``Trace.redirects``,
  ``frontend/versions.py``); a Python list appended once per step (``losses.append(l)``)
  is carried as a stacked array whose row ``i`` the step writes (:mod:`.stacked`). First steps
  changing a carried dtype, shape or scalar/0-d kind run before the loop (<= ``control.MAX_PEELED``;
  with a traced trip count each as a traced ``if``, as ``while`` peels);
* a body that needs ``i`` as a Python value (``Ws[i]``, ``if i == 0``, a size depending on ``i``)
  fails to trace with a traced index: it goes to the probe's ``generalized_fori_loop`` when
  available, else (or if it refuses) it is unrolled; the reason joins the root trace's ``notes``.

A traced trip count (``range(n)``, ``n`` traced) can only roll: one compilation serves every ``n``.
After a rolled loop the target holds the last item (as in Python: an index a Python int); names first
assigned in the body stay undefined after it (a use raises ``Undefined``'s error), except that with a
static trip count the last step runs after the loop when the source reads one of them outside it.
"""
from __future__ import annotations

import threading
import weakref
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import numpy as np

from tracejit.errors import ControlException, StaticNeeded, UnsupportedError
from tracejit.frontend import control
from tracejit.frontend.arraylike import is_complex_value
from tracejit.frontend.autograph import sequences, stacked
from tracejit.frontend.autograph.outer import current, outer_root, rebound_aliases, storages_of
from tracejit.frontend.autograph.sequences import NotRollable, Seq, Unrolled, as_seq, is_undefined
from tracejit.frontend.autograph.state import kind_changed, peel_step, return_placeholder
from tracejit.frontend.autograph.undefined import Undefined
from tracejit.frontend.context import current_trace
from tracejit.frontend.core import Trace, Tracer
from tracejit.frontend.pybuiltins import int_
from tracejit.frontend.refusals import TraceSites, root_trace
from tracejit.frontend.versions import storage_of

try:  # the probe's size-generic loop (frontend/probe.py), where present
    from tracejit.frontend.probe import NotGeneralizable, generalized_fori_loop
except ImportError:  # pragma: no cover - without the probe, a body needing ``i`` unrolls
    NotGeneralizable, generalized_fori_loop = UnsupportedError, None

UNROLL_MAX = 4  # static trip counts up to this unroll when the body is light (its kernels fuse across steps)
MAX_RETRIES = 16  # body traces discovering arrays written from outside and lists appended


_options = threading.local()
_REFUSED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # root trace -> loops that failed to roll


@contextmanager
def unrolling(flag: bool) -> Iterator[None]:
    """Unroll every converted loop with a static trip count while tracing (``tj.jit(unroll_loops=True)``)."""
    previous = getattr(_options, "unroll", False)
    _options.unroll = bool(flag)
    try:
        yield
    finally:
        _options.unroll = previous


def unroll(iterable: Any) -> Unrolled:
    """``for i in tj.unroll(range(n))``: the converted loop runs unrolled (a Python loop).
    >>> print(tj.jit(lambda x: sum(x * i for i in tj.unroll(range(3))))(np.ones(2)))
    [3. 3.]"""
    return Unrolled(iterable)


def iterate(fn: Callable, *args: Any, **kwargs: Any) -> object:
    """What a ``for`` header's literal call ``fn(*args, **kwargs)`` iterates over: a lazy
    sequence for ``for_stmt`` when ``fn`` is ``range``/``enumerate``/``zip``/``reversed``
    over traced values while tracing, else the call itself."""
    if current_trace() is not None:
        seq = sequences.of_call(fn, args, kwargs)
        if seq is not None:
            return seq
    return fn(*args, **kwargs)


def for_stmt(iterated: object, extra_test: Callable[[], Any] | None, body: Callable[[Any], None],
             get_state: Callable[[], tuple], set_state: Callable[[tuple], None], names: tuple,
             opts: dict) -> None:
    """``for target in iterated: body`` (stopping once ``extra_test()`` is false: a ``break`` ran)."""
    trace = current_trace()
    forced = isinstance(iterated, Unrolled)
    if forced:
        iterated = iterated.iterable
    seq = as_seq(iterated) if trace is not None else None
    if seq is None:
        _python_loop(iterated.python() if isinstance(iterated, Seq) else iterated, extra_test, body)
        return
    loop = _Loop(trace, seq, extra_test, body, get_state, set_state, names, opts)
    n = seq.length()
    option = getattr(_options, "unroll", False)
    if isinstance(n, int) and (forced or option or n <= UNROLL_MAX and sequences.light_body(opts)):
        loop.note("unrolled (" + ("tj.unroll" if forced else "unroll_loops=True" if option
                                  else f"{n} <= {UNROLL_MAX} steps of a light body") + ")")
        loop.unrolled(0)
        return
    refused = _REFUSED.setdefault(root_trace(trace), set())
    key = (loop.where, seq.describe())
    if key in refused:  # (this loop, inside an unrolled one, failed to roll at an earlier step)
        loop.unrolled(0)
        return
    try:
        loop.rolled()
    except NotRollable as e:
        if not isinstance(n, int):
            if getattr(n, "_origins", None):  # a trip count from Python int arguments: made static, unrolled
                n._concrete(f"the trip count of a loop that cannot roll ({e})")
            raise
        loop.note(f"unrolled ({n} steps): {e}")
        refused.add(key)
        loop.unrolled(getattr(e, "done", 0))


def _python_loop(iterable: Any, extra_test: Callable | None, body: Callable) -> None:
    """The loop as Python runs it."""
    if extra_test is None:
        for item in iterable:
            body(item)
        return
    if not _truth(extra_test()):
        return
    for item in iterable:  # tested after each step: a `break` takes no further item from the iterator
        body(item)
        if not _truth(extra_test()):
            break


def _truth(value: Any) -> bool:
    if isinstance(value, Tracer):
        raise NotRollable("a `break` depends on traced values")
    return bool(value)


class _Loop:
    """One ``for`` statement being traced."""

    def __init__(self, trace: Trace, seq: Seq, extra_test: Callable | None, body: Callable, get_state: Callable,
                 set_state: Callable, names: tuple, opts: dict):
        self.trace, self.seq, self.extra_test, self.body = trace, seq, extra_test, body
        self.get_state, self.set_state, self.names, self.opts = get_state, set_state, tuple(names), opts
        self.where = f"{opts.get('filename', '?')}:{opts.get('lineno', '?')}"

    def note(self, what: str) -> None:
        """Append to the root trace's notes what was done with this loop."""
        header = f"for {self.opts.get('target', '?')} in {self.seq.describe()}"
        notes = root_trace(self.trace).notes
        text = f"{self.where}: {header}: {what}"
        if text not in notes:  # (a loop inside an unrolled one: noted once)
            notes.append(text)

    # -- unrolled ---------------------------------------------------------------------------------
    def unrolled(self, start: int) -> None:
        """Steps ``start`` .. the end run as Python (a traced ``break`` test rolls the rest)."""
        n = self.seq.length()
        extra_test = self.extra_test
        if extra_test is not None and not self._test_now(start):
            return
        for k in range(start, n):
            self.body(self.seq.item(k))
            if extra_test is not None and not self._test_now(k + 1):
                return

    def _test_now(self, k: int) -> bool:
        """Whether step ``k`` runs, judged by a ``break`` test (a traced test rolls steps ``k``.. and stops)."""
        value = self.extra_test()
        if not isinstance(value, Tracer):
            return bool(value)
        if k < self.seq.length():
            try:
                self.rolled(first=k)
            except NotRollable as e:  # (its `break` is traced: it cannot be unrolled either)
                if getattr(e, "storage", None) is not None:
                    raise
                raise UnsupportedError(f"the `for` loop at {self.where} cannot be compiled: {e}, and its `break` "
                                       f"depends on traced values (so it cannot be unrolled)") from None
        return False

    # -- rolled -----------------------------------------------------------------------------------
    def rolled(self, first: int = 0) -> None:
        """The steps from ``first`` on as one traced loop (first steps changing a carried type run before)."""
        plan = _Plan()
        peeled = 0
        notes = root_trace(self.trace).notes
        refused = _REFUSED.setdefault(root_trace(self.trace), set())
        for _ in range(MAX_RETRIES):
            state = self.get_state()
            kept, kept_refused = len(notes), set(refused)
            try:
                self._roll_once(state, plan, first)
                return
            except BaseException as e:
                del notes[kept:]  # (notes of loops inside a body traced again)
                refused.intersection_update(kept_refused)  # (their refusals may come from this body's index)
                self.set_state(state)
                if isinstance(e, _Discovered):
                    continue
                if getattr(e, "storage", None) is not None:
                    raise  # an array an enclosing loop must carry first
                failure = e
            try:
                raise failure
            except (control.CarryChanged, _Retyped) as e:
                n = self.seq.length()
                if peeled == control.MAX_PEELED or getattr(n, "_origins", None):
                    error = NotRollable(f"a carried value changes its type from step to step {e}".strip())
                    error.done = first  # (the steps run before)
                    raise error from None
                peeled += 1
                if isinstance(n, int):
                    self.body(self.seq.item(first))  # (the first step: a Python index)
                else:  # a traced trip count: the step is a traced `if` (its branches agree on one type, as `while`)
                    peel_step(self.trace, first, self.seq, self.extra_test, self.body, self.get_state, self.set_state,
                              self.names, self.opts)
                first += 1
                if isinstance(n, int) and first >= n:
                    return
                plan = _Plan()
            except NotRollable as e:
                e.done = first  # (the steps run before: the unrolled loop goes on from there)
                raise
            except (ControlException, TraceSites):
                raise
            except Exception as e:  # noqa: BLE001 - a body needing its index as a Python value
                if not isinstance(self.seq.length(), int):
                    raise
                if self._generalized(state, first, e):
                    return
                error = NotRollable(_reason(e))
                error.done = first
                raise error from e
        error = NotRollable("too many arrays written from outside the loop or lists appended")
        error.done = first
        raise error

    def _generalized(self, state: tuple, first: int, error: Exception) -> bool:
        """The loop by the probe's size-generic loop (the body run with a Python index); False: refused."""
        if generalized_fori_loop is None or self.extra_test is not None:
            return False
        plan = _Plan()
        for _ in range(MAX_RETRIES):
            try:
                self._roll_once(state, plan, first, looper=generalized_fori_loop, why=_reason(error))
                return True
            except _Discovered:
                self.set_state(state)
            except NotGeneralizable as e:
                self.set_state(state)
                self.note(f"not generalized: {e}")
                return False
            except (ControlException, TraceSites):
                self.set_state(state)
                raise
            except Exception:  # noqa: BLE001 - any other failure: unrolled
                self.set_state(state)
                return False
        return False

    def _roll_once(self, state: tuple, plan: "_Plan", first: int, looper: Callable | None = None,
                   why: str = "") -> None:
        """One attempt: trace the body once (raises :class:`_Discovered` when it finds more to carry)."""
        trace, seq = self.trace, self.seq
        unset = state
        state = tuple(plan.returns.get(k, v) for k, v in enumerate(state))  # (a return value, carried from zeros)
        n = seq.length()
        total = n - first if isinstance(n, int) or first else n  # (traced: first steps peeled as traced `if`s)
        peel_last = isinstance(n, int) and self.extra_test is None and self._peel_last(state)
        if not peel_last and sequences.rebinds_target(self.opts):  # (its value after the loop: the body's last)
            raise NotRollable("the loop's target is assigned in its body and read after it")
        origins = getattr(n, "_origins", None)
        if origins and self.extra_test is None and self._peel_last(state):  # (as eagerly: range(iters) of an int)
            raise StaticNeeded(origins, "the trip count of a loop whose temporaries are read after it", self.where)
        # a range of step 1 from a Python int loops over its own values (the index is the item)
        base = seq.start if isinstance(seq, sequences.RangeSeq) and seq.step == 1 and isinstance(seq.start, int) \
            else None
        lo = first + (base or 0)

        def item_at(i):
            return i if base is not None else seq.item(i)

        steps = total - 1 if peel_last else total
        carried = [k for k, v in enumerate(state) if _carryable(v)]
        lists = [k for k, v in enumerate(state) if type(v) is list]
        outer = [outer_root(trace, st, err) for st, err in plan.written]
        bufs = []
        for k in lists:
            row = plan.rows.get(k)
            if row is not None:
                if not isinstance(steps, int) and origins:  # (as eagerly: range(n) of a Python int)
                    raise StaticNeeded(origins, "the trip count of a loop appending to a list", self.where)
                if not isinstance(steps, int):
                    raise NotRollable("a list is appended in a loop with a traced trip count")
                if self.extra_test is not None and any(stacked.row_of(v) != row for v in state[k]):
                    raise NotRollable("a list is appended in a loop that a `break` may end early (its length is data)")
                bufs.extend(stacked.buffers(steps, row, k in plan.slots))
        target = sequences.target_names(self.opts.get("target", ""))
        if target is None:
            raise NotRollable("the loop target is not a name or a tuple of names")
        target = sequences.flat_names(target)
        carried = [k for k in carried if self.names[k] not in target]
        init = (tuple(state[k] for k in carried), tuple(root for root, _ in outer), tuple(bufs))
        names, set_state, get_state, body, extra_test = self.names, self.set_state, self.get_state, self.body, \
            self.extra_test

        def install(i, carry) -> list:
            values, roots, buffers = carry
            sub = current_trace()
            for (_, keys), stand_in in zip(outer, roots):
                storage_of(stand_in)
                for key in keys:
                    sub.redirects[key] = stand_in
            now = list(state)
            for k, v in zip(carried, values):
                now[k] = v
                for key in storages_of(trace, state[k]) if isinstance(v, Tracer) and k not in plan.rebound else ():
                    sub.redirects[key] = v  # other views of a carried array read and write the carried one
            recorders = {}
            b = iter(buffers)
            for k in lists:
                if k in plan.slots:  # (appended under traced conditions: the step's Slot, then its buffers)
                    now[k], recorders[k] = stacked.empty_slot(plan.rows[k]), (next(b), next(b))
                    continue
                recorders[k] = now[k] = stacked.Recorder(state[k], i - lo if plan.rows.get(k) is not None
                                                         else None, next(b) if plan.rows.get(k) is not None
                                                         else None)
            set_state(tuple(now))
            return recorders

        def step(i, carry):
            if current_trace() is trace:  # fori_loop running a first step before its loop: ours to run
                raise _Retyped()
            recorders = install(i, carry)
            body(item_at(i))
            after = get_state()
            if kind_changed(carry[0], [after[k] for k in carried]):
                raise _Retyped()  # (a NumPy scalar became a 0-d array, or back: its first step runs before)
            if rebound_aliases(trace, current_trace(), state, carried, carry[0], after, plan.rebound, plan.written):
                raise _Discovered()  # (its other names read as they are: trace again)
            for k, (was, now) in enumerate(zip(state, after)):
                if k in carried or k in lists or now is was or is_undefined(was) or names[k] in target:
                    continue
                raise NotRollable(f"the body assigns {names[k]!r}, a {type(was).__name__} that cannot be carried")
            returns = {k: return_placeholder(unset[k], after[k]) for k in range(len(after))
                       if k not in plan.returns}  # (found before: carried from zeros now)
            returns = {k: z for k, z in returns.items() if z is not None}
            if returns:  # a `return` inside: carry its value
                plan.returns.update(returns)
                raise _Discovered()
            found, buffers = {}, []
            for k, rec in recorders.items():
                row, written = stacked.step_end(rec, after[k], i - lo, names[k])
                buffers.extend(written)
                if row is not None and (plan.rows.get(k) is None or rec.conditional and k not in plan.slots):
                    found[k] = row
            if found:
                plan.rows.update(found)
                plan.slots.update(k for k in found if recorders[k].conditional)
                raise _Discovered()
            values = tuple(after[k] for k in carried)
            roots = tuple(current(stand_in) for stand_in in carry[1])
            return values, roots, tuple(buffers)

        try:
            versions = {k: storage_of(state[k]).version for k in carried
                        if isinstance(state[k], Tracer) and not state[k]._scalar}
            final, stop = self._run(looper, lo, steps, step, init, install, extra_test)
        except UnsupportedError as e:
            cause = e if getattr(e, "storage", None) is not None else e.__cause__  # (the probe's error wraps it)
            st = getattr(cause, "storage", None)
            if st is None or any(st is w for w, _ in plan.written):
                raise
            plan.written.append((st, cause))
            raise _Discovered() from None
        values, roots, buffers = final
        now = list(state)
        for k, v in zip(carried, values):
            written = k in versions and state[k]._storage.version != versions[k]
            now[k] = state[k] if written else v  # written in place: the same array, as eagerly
        b = iter(buffers)
        for k in lists:
            if plan.rows.get(k) is not None:  # (a traced `break` may have ended it: the rows of the steps run)
                rows, taken, ran = next(b), next(b) if k in plan.slots else None, steps if stop is None else stop - lo
                now[k] = stacked.extend(state[k], rows, steps) if stop is None and taken is None else \
                    stacked.ended(state[k], rows, ran, self.names[k], self.where, taken)
        for k, v in enumerate(now):
            if not isinstance(steps, int) and type(v) is Undefined:  # (a temporary of the body: no last step after)
                now[k] = Undefined(self.names[k], self.opts.get("lineno", 0), f"is assigned only inside the `for` loop "
                                   f"at {self.where} (whose number of steps is traced) and used after it; assign it "
                                   "before the loop")
        if isinstance(steps, int) and steps <= 0:
            set_state(tuple(now))
        else:
            if stop is not None:  # a `break` may have ended it: the item of its last step
                last = item_at(_last(lo, stop - lo))
            else:
                last = item_at(lo + steps - 1) if isinstance(steps, int) else item_at(_last(lo, steps))
            values = sequences.bind(sequences.target_names(self.opts["target"]), last)
            for name, value in values.items():
                if name in names:
                    now[names.index(name)] = value
            set_state(tuple(now))
        if peel_last:
            body(seq.item(n - 1))
        how = "rolled" if looper is None else f"rolled by probes (the body needs its index as a Python value: {why})"
        self.note(how + f" ({_count(total)} steps" + (", the last after the loop" if peel_last else "") + ")")

    def _run(self, looper, first, steps, step, init, install, extra_test):
        """The loop of ``steps`` steps from ``first`` (a traced ``break`` test ends it early): the
        final carry, and the index it stopped at (None: it ran every step)."""
        if looper is not None:  # (never a step in this trace: a refusal after it would unroll it again)
            return looper(first, first + steps, step, init, steps_outside=False), None
        if extra_test is None:
            nonzero = not isinstance(steps, int) or steps > 0
            return (control.fori_loop(first, first + steps, step, init) if nonzero else init), None
        trace = self.trace
        start = Tracer(trace, trace.node_of(np.int64(first)), scalar=True)
        start._weak = int
        upper = first + steps

        def cond(s):
            i, carry = s
            install(i, carry)
            go = extra_test()
            return (i < upper) & go if isinstance(go, Tracer) else (i < upper) & bool(go)

        def body(s):
            i, carry = s
            return i + 1, step(i, carry)

        stop, final = control.while_loop(cond, body, (start, init))
        return final, stop

    def _peel_last(self, state: tuple) -> bool:
        """Whether names first assigned in the body are read after the loop (then its last step runs after it)."""
        temporaries = [name for name, v in zip(self.names, state) if is_undefined(v)]
        target = sequences.flat_names(sequences.target_names(self.opts.get("target", "")) or ())
        temporaries = [name for name in temporaries if name not in target]
        return bool(temporaries) and sequences.read_after(self.opts, temporaries) or sequences.rebinds_target(self.opts)


class _Plan:
    """What attempts found the loop must carry besides its state variables."""

    def __init__(self):
        self.written: list = []  # (storage of an array written from outside, the error that showed it)
        self.rows: dict = {}  # list position -> the traced row appended once per step (its shape and dtype)
        self.returns: dict = {}  # state position -> zeros the return value set inside is carried from
        self.slots: set = set()  # list positions appended under traced conditions (stacked.Slot)
        self.rebound: set = set()  # state positions the body assigns anew whose other names it reads


class _Retyped(Exception):
    """A step changes a carried value's type: the loop runs it before (``fori_loop``'s peeling, done here)."""


class _Discovered(Exception):
    """The body needs more carried (an array written from outside, a list appended): trace again."""


def _carryable(value: Any) -> bool:
    """Whether a state value is carried through a traced loop (arrays, numbers, tuples and dicts of them)."""
    if is_complex_value(value):  # (carried as its two real parts by control.fori_loop)
        return True
    if isinstance(value, (Tracer, np.ndarray, np.generic, bool, int, float, complex)):
        return not isinstance(value, np.ndarray) or value.dtype.kind in "biufc"
    if isinstance(value, tuple) or type(value) is dict:
        items = value.values() if isinstance(value, dict) else value
        return len(items) > 0 and all(_carryable(v) for v in items)
    return False


def _last(first: int, steps: Tracer) -> Tracer:  # (the last step's index, a Python int as range gives it)
    return int_(np.maximum(first + steps - 1, first))


def _count(total: Any) -> str:
    return str(total) if isinstance(total, int) else "a traced number of"


def _reason(error: Exception) -> str:
    """An error of the rolled attempt as a short reason."""
    text = str(error).split("\n")[0]
    return f"{type(error).__name__}: {text[:160]}"


