"""Branches and loops on traced tests over the state variables of converted code.

A converted ``if``/``while`` hands its operator ``get_state``/``set_state`` for the names
its body assigns (the *state*). Each value is classified when the statement starts:

- *carried*: arrays, traced values, Python numbers and nests (tuples, lists, dicts) of
  them: operands of ``tj.cond`` / carried values of ``tj.while_loop``;
- *undefined* (:class:`~tracejit.frontend.autograph.undefined.Undefined`): not assigned
  before the statement. A branch may define it (then both must, or it is undefined after
  the ``if``, an error if used; the return value of converted ``return`` statements takes
  the other branch's zeros instead, its flag says which is right); for a loop it is a
  temporary of the body, undefined after the loop;
- *fixed*: anything else (None, strings, functions, objects): it must come out of each
  branch or step as it went in (or, for branches, equal in both).

After a branch on a traced test, a variable that both branches set to the same Python
value (a flag, a constant) keeps that Python value instead of a traced one.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from tracejit.errors import UnsupportedError, at, user_error
from tracejit.frontend.arraylike import is_traced
from tracejit.frontend.autograph.outer import current, outer_root, redirect, written_from_outside
from tracejit.frontend.autograph.undefined import ReturnUnset, Undefined
from tracejit.frontend.context import current_trace, user_location
from tracejit.frontend.control import BranchesDiffer, CarryChanged, cond, while_loop
from tracejit.frontend.core import Tracer
from tracejit.frontend.numpy.shape import astype
from tracejit.frontend.operands import python_kind
from tracejit.frontend.tree import flatten, unflatten

RETVAL = "__tj_retval"  # the name converted code gives the return value (frontend/autograph/returns.py)
_NUMBERS = (bool, int, float, complex, np.ndarray, np.generic)


def is_test_traced(value: Any) -> bool:
    """Whether a test decides at run time: a traced value that does not stand for Python
    scalar arguments (whose truth makes them static, as without conversion)."""
    return is_traced(value) and not getattr(value, "_origins", None)


def _carryable(value: Any) -> bool:
    leaves, _ = flatten(value)
    return all(is_traced(v) or isinstance(v, _NUMBERS) for v in leaves)


def _fresh(value: Any) -> Any:
    """``value`` as a branch starts from it (a list copied: each branch appends to its own)."""
    return list(value) if type(value) is list else value


def _same_python(a: Any, b: Any) -> bool:
    """Both branches gave the same Python value (not traced)."""
    if is_traced(a):
        return False
    if a is b:
        return True
    if type(a) is not type(b) or isinstance(a, (np.ndarray, Undefined)):
        return False
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - an object without a usable ==: not the same
        return False


def return_placeholder(before: Any, after: Any) -> Any:
    """Zeros standing for a return value a traced loop's body sets (``before`` unset, ``after`` what
    a step left in it), so the loop can carry it; None where there is none (read only once returned)."""
    if isinstance(before, ReturnUnset) and _defined(after):
        return _zeros_like(after)
    return None


def _zeros_like(value: Any) -> Any:
    """Zeros of the structure, shapes and dtypes of ``value`` (a branch's traced result)."""
    leaves, tree = flatten(value)
    out = []
    for leaf in leaves:
        kind = python_kind(leaf) if is_traced(leaf) else (type(leaf) if isinstance(leaf, (bool, int, float)) else None)
        shape, dtype = _aval(leaf)
        scalar = shape == () and _is_numpy_scalar(leaf)
        out.append(kind(0) if kind is not None else np.dtype(dtype).type(0) if scalar else np.zeros(shape, dtype))
    return unflatten(tree, out)


def _describe(value: Any) -> str:
    leaves, tree = flatten(value)
    if tree.kind == "leaf" and (is_traced(value) or isinstance(value, _NUMBERS)):
        kind = python_kind(value) if is_traced(value) else None
        if kind is not None or isinstance(value, (bool, int, float)):
            return f"a Python {(kind or type(value)).__name__}"
        shape, dtype = _aval(value)
        return f"{dtype}{list(shape)}"
    if tree.kind == "leaf":
        return "None" if value is None else f"a {type(value).__name__}"
    return f"a {tree.kind} of {len(leaves)} values"


def _written_more(error: Exception, written: list) -> list | None:
    """``written`` and the array ``error`` shows a branch or body writes from outside (traced
    again carrying it), or None: the error is another, or that array is carried already."""
    st, cause = written_from_outside(error)
    if st is None or any(st is w for w, _ in written) or len(written) >= _MAX_WRITTEN:
        return None
    return written + [(st, cause)]


def if_traced(test: Any, body: Callable, orelse: Callable, get_state: Callable, set_state: Callable,
              names: tuple, opts: dict, written: list | None = None) -> None:
    """``if`` on a traced 0-d ``test``: ``tj.cond`` over the state (see the module docstring),
    and over the arrays a branch writes without assigning them (``written``, as for
    :func:`loop_traced`)."""
    init = get_state()
    written = [] if written is None else written
    outer = [outer_root(current_trace(), st, err) for st, err in written]
    carried = [i for i, v in enumerate(init) if not isinstance(v, Undefined) and _carryable(v)]
    where = opts.get("where") or f"the `if` at line {opts.get('lineno')}"
    seen: list[list] = [[], []]  # each branch's state at its end
    plan: dict[int, tuple] = {}  # slot -> what (true, false) return for it once one branch alone assigns it
    only_body, only_orelse = opts.get("only_body", ()), opts.get("only_orelse", ())
    for i, (name, v) in enumerate(zip(names, init)):  # known from the source: no second tracing
        if isinstance(v, ReturnUnset) and name in only_body:
            plan[i] = ("own", "zeros")
        elif isinstance(v, Undefined) and not isinstance(v, ReturnUnset) and (name in only_body or name in only_orelse):
            plan[i] = ((), ())

    def branch(fn: Callable, k: int) -> Callable:
        def run(*values):
            redirect(outer, values[len(carried):])
            state = [_fresh(v) for v in init]
            for i, v in zip(carried, values):
                state[i] = v
            set_state(tuple(state))
            fn()
            out = get_state()
            seen[k] = list(out)
            result = []
            for i, v in enumerate(out):
                action = plan.get(i)
                if action is not None:
                    other = seen[1 - k]
                    result.append(_act(action[k], v, other[i] if i < len(other) else None))
                elif isinstance(v, Undefined) or not _carryable(v):
                    result.append(())
                else:
                    result.append(v)
            return tuple(result)
        return run

    operands = [init[i] for i in carried] + [root for root, _ in outer]
    try:
        try:
            outs = cond(test, branch(body, 0), branch(orelse, 1), *operands)
        except BranchesDiffer as error:
            _plan_one_sided(seen, names, where, plan, error)
            outs = cond(test, branch(body, 0), branch(orelse, 1), *operands)
    except UnsupportedError as error:
        more = _written_more(error, written)
        if more is None:
            raise
        set_state(init)
        if_traced(test, body, orelse, get_state, set_state, names, opts, more)
        return
    for k in (0, 1):  # a branch that raises when taken (frontend/control.py) gives the other's values
        if len(seen[k]) != len(names):
            seen[k] = seen[1 - k]
    final = []
    for i, name in enumerate(names):
        a, b = seen[0][i], seen[1][i]
        if plan.get(i) == ((), ()):
            kept = a if isinstance(a, Undefined) and not isinstance(a, ReturnUnset) else b
            if name.startswith(RETVAL) and isinstance(kept, Undefined) and not isinstance(kept, ReturnUnset):
                final.append(kept)  # (a return inside a loop on a traced condition: return_value says so)
                continue
            final.append(Undefined(name, opts.get("lineno", 0), f"is assigned only in one branch of {where} "
                                   "(whose condition is traced) and used after it; assign it in both branches "
                                   "or before the `if`"))
        elif i in plan:
            final.append(outs[i])
        elif _same_python(a, b):
            final.append(a)
        elif isinstance(a, Undefined) and isinstance(b, Undefined):
            final.append(init[i])
        elif _defined(a) and _defined(b):
            kinds = (zero_d_kind(a), zero_d_kind(b))
            if None not in kinds and kinds[0] != kinds[1]:  # (the cond took the first branch's kind)
                raise user_error(BranchesDiffer(
                    f"'{name}' is a {kinds[0]} after one branch of {where} and a {kinds[1]} after the other: eagerly "
                    f"either, depending on the data; np.asarray() or [()] gives it one kind{at(user_location())}"))
            final.append(outs[i])
        else:
            raise _differ(name, a, b, where, "arrays or numbers")
    set_state(tuple(final))


def kind_changed(before: Any, after: Any) -> bool:
    """Whether a loop step turned one of the carried values ``before`` from a NumPy scalar into
    a 0-d array or back (``after``: the same values at the step's end)."""
    return any(None not in (zero_d_kind(a), zero_d_kind(b)) and zero_d_kind(a) != zero_d_kind(b)
               for a, b in zip(before, after))


def zero_d_kind(value: Any) -> str | None:
    """'NumPy scalar' or '0-d array' for a 0-d NumPy value (traced or not), else None: a loop
    body or a branch changing one into the other changes the value's type, as a dtype."""
    if flatten(value)[1].kind != "leaf" or _kind(value) is not None or _aval(value)[0] != ():
        return None
    return "NumPy scalar" if _is_numpy_scalar(value) else "0-d array"


def _is_numpy_scalar(value: Any) -> bool:
    """Whether ``value`` is (or, traced, stands for) a NumPy scalar rather than an array."""
    return getattr(value, "_scalar", False) if is_traced(value) else isinstance(value, np.generic)


def _defined(value: Any) -> bool:
    """A value a traced branch can produce: defined, arrays and numbers only."""
    return not isinstance(value, Undefined) and _carryable(value)


def _differ(name: str, a: Any, b: Any, where: str, what: str) -> BranchesDiffer:
    # (BranchesDiffer: a TypeError, and unsupported like a conditional expression's branches that differ)
    return user_error(BranchesDiffer(
        f"'{name}' is {_describe(a)} after one branch of {where} and {_describe(b)} after the other: with a traced "
        f"condition a variable the branches assign must be {what} in both{at(user_location())}"))


def _aval(x: Any) -> tuple:
    """The shape and dtype of a traced or concrete leaf."""
    return (x.shape, x.dtype) if is_traced(x) else (np.shape(x), np.asarray(x).dtype)


def _signature(value: Any) -> tuple:
    leaves, tree = flatten(value)
    return tree, [_aval(x) for x in leaves]


def _plan_one_sided(seen: list, names: tuple, where: str, plan: dict, error: BranchesDiffer) -> None:
    """After branches that gave different structures: a variable that one branch alone
    assigns is undefined after the ``if`` (both return nothing for it; the return value
    instead takes zeros in the other branch: its flag says which is right); a variable
    of other shapes or dtypes in each branch is named in the error."""
    if len(seen[0]) != len(names) or len(seen[1]) != len(names):
        raise error
    for i, name in enumerate(names):
        a, b = seen[0][i], seen[1][i]
        if i in plan and plan[i] != ((), ()):
            continue  # (known from the source)
        if _defined(a) and _defined(b):
            if _signature(a) != _signature(b):
                casts = _promotion(a, b)
                if casts is None:
                    raise _differ(name, a, b, where, "arrays or numbers of the same shape and dtype" + _mixed(a, b)) \
                        from None
                plan[i] = casts
            continue
        if _defined(a) == _defined(b):
            continue
        missing = b if _defined(a) else a
        if not isinstance(missing, Undefined):
            raise _differ(name, a, b, where, "arrays or numbers") from None
        if isinstance(missing, ReturnUnset):
            plan[i] = ("own", "zeros") if _defined(a) else ("zeros", "own")
        else:
            plan[i] = ((), ())
    if not plan:
        raise error


def _act(action: Any, value: Any, other: Any) -> Any:
    """What a branch returns for a variable ``plan`` settled (see :func:`if_traced`)."""
    if action == "own":
        return () if isinstance(value, Undefined) else value
    if action == "zeros":
        return _zeros_like(other)
    if action == ():
        return ()
    target = action[1]  # ("cast", a Python type or a dtype)
    if isinstance(target, type):
        return target(value) if not is_traced(value) else value + target(0)
    return astype(value, target) if is_traced(value) else np.asarray(value, target)  # (a traced Python number too)


def _kind(value: Any) -> type | None:
    return python_kind(value) if is_traced(value) else type(value) if type(value) in (bool, int, float) else None


def _promotion(a: Any, b: Any) -> tuple | None:
    """Casts making two 0-d values of the branches one type, where that is the type eager
    Python gives whichever branch runs: a Python number and a NumPy value of the dtype NumPy
    gives that number (float64 against a Python float, int64 against a Python int: the
    NumPy value's), or two Python numbers of one kind; else None (refused, with
    :func:`_mixed`'s hint). A Python float against float32 (``s = 0.0`` before a traced
    ``if`` or a loop of a traced trip count whose step gives ``s + x[i]``), an int against a
    float, are either type eagerly, depending on the data: one type would be wrong on one
    path (docs/design.md, "Types that depend on the data")."""
    if flatten(a)[1].kind != "leaf" or flatten(b)[1].kind != "leaf":  # (lists of traced values: no _aval)
        return None
    (sa, da), (sb, db) = _aval(a), _aval(b)
    if sa != () or sb != ():
        return None
    ka, kb = _kind(a), _kind(b)
    if ka is None and kb is None or ka is not kb and None not in (ka, kb):
        return None
    if ka is not None and kb is not None:
        return ("own", "own")
    target = db if ka is not None else da
    if np.dtype(ka or kb) != target:
        return None  # eagerly the NumPy value or the Python number: types the data picks (see _mixed)
    return tuple("own" if d == target and k is None else ("cast", target) for k, d in ((ka, da), (kb, db)))


def _mixed(a: Any, b: Any) -> str:
    """A hint for 0-d values of two kinds that :func:`_promotion` refuses."""
    if _aval(a)[0] != () or _aval(b)[0] != () or _kind(a) is _kind(b):
        return ""
    return (" (eagerly it would be either, depending on the data; give it one type on every path, e.g. "
            "start from np.float32(0) rather than 0.0, or convert with float() or .astype())")


def ifexp_traced(test: Any, true_fn: Callable, false_fn: Callable, lineno: int | None = None) -> Any:
    """``true_fn() if test else false_fn()`` on a traced 0-d ``test``: ``tj.cond``, a Python
    number in one branch taking the other's type (:func:`_promotion`)."""
    seen: list = [None, None]
    plan: list = [None]

    def branch(fn: Callable, k: int) -> Callable:
        def run():
            seen[k] = value = fn()
            if isinstance(value, Undefined):  # (a name unassigned here: its error, raised where this side runs)
                raise object.__getattribute__(value, "error")()
            return value if plan[0] is None else _act(plan[0][k], value, seen[1 - k])
        return run

    try:
        return cond(test, branch(true_fn, 0), branch(false_fn, 1))
    except BranchesDiffer:
        plan[0] = _promotion(seen[0], seen[1]) if seen[0] is not None and seen[1] is not None else None
        if plan[0] is None and seen[0] is not None and seen[1] is not None and _mixed(seen[0], seen[1]):
            raise user_error(BranchesDiffer(
                f"a conditional expression{f' at line {lineno}' if lineno else ''} gives {_describe(seen[0])} on one "
                f"side and {_describe(seen[1])} on the other: with a traced condition both sides must have one "
                f"type{_mixed(seen[0], seen[1])}{at(user_location())}")) from None
        if plan[0] is None:
            raise
    return cond(test, branch(true_fn, 0), branch(false_fn, 1))


def truth(value: Any) -> Any:
    """A traced test as a 0-d value (NumPy's truth of a one-element array; its error otherwise)."""
    if value.shape == ():
        return value
    if value.size == 1:
        return value.reshape(())
    raise user_error(ValueError("The truth value of an array with more than one element is ambiguous. "
                                f"Use a.any() or a.all(){at(user_location())}"))


class _ReturnFound(Exception):
    """A traced loop's body sets the return value: the loop is traced again carrying it (from zeros)."""

    def __init__(self, zeros: dict):
        super().__init__("a return value to carry")
        self.zeros = zeros


_MAX_WRITTEN = 16  # arrays a body or branch may write from outside it (each found by one more trace)


def _nothing() -> None:
    """The ``else`` of a peeled loop step."""


def peel_step(trace: Any, first: int, seq: Any, extra_test: Callable | None, body: Callable, get_state: Callable,
              set_state: Callable, names: tuple, opts: dict) -> None:
    """Step ``first`` of a ``for`` loop over ``seq`` of a traced length (``frontend/autograph/loops.py``) as a
    traced ``if``, run before the loop because it changes a carried type (the branches agree on one, as in
    :func:`loop_traced`); the index is traced, as the rolled loop's: ``x[i + 1]`` checks at run time, if it runs."""
    test = np.less(first, seq.length())
    test = test if extra_test is None else np.logical_and(test, extra_test())
    k = Tracer(trace, trace.node_of(np.int64(first)), scalar=True)
    k._weak = int
    where = f"the `for` loop at line {opts.get('lineno')} (its first step runs or not: the trip count is traced)"
    if_traced(truth(test), lambda: body(seq.item(k)), _nothing, get_state, set_state, names, {**opts, "where": where})


def loop_traced(test: Callable, body: Callable, get_state: Callable, set_state: Callable, names: tuple,
                opts: dict, peel: int = 2, written: list | None = None) -> None:
    """``while`` whose test is traced (from the current state on): ``tj.while_loop``. A
    Python number the body changes the type of (``total = 0`` then ``total += x.mean()``)
    first gets up to ``peel`` steps as traced ``if`` statements (whose branches agree on
    one type), as eagerly the first step changes it. Arrays the body writes without
    assigning them (through a helper function: ``partition(a, lo, hi)``) are carried too,
    found by tracing the body again (``written``: their storages, as for a rolled ``for``)."""
    init = get_state()
    written = [] if written is None else written
    outer = [outer_root(current_trace(), st, err) for st, err in written]
    last: list = []
    carried, where = [], f"the `while` loop at line {opts.get('lineno')}"
    for i, v in enumerate(init):
        if not isinstance(v, Undefined) and _carryable(v):
            carried.append(i)

    def restore(values) -> tuple:
        redirect(outer, values[len(carried):])
        state = list(init)
        for i, v in zip(carried, values):
            state[i] = v
        set_state(tuple(state))
        return values[len(carried):]

    def cond_fun(values):
        restore(values)
        return test()

    def body_fun(values):
        roots = restore(values)
        body()
        out = get_state()
        last[:] = out
        found = {i: return_placeholder(init[i], out[i]) for i in range(len(init))}
        found = {i: z for i, z in found.items() if z is not None}
        if found:  # a `return` inside: carried from zeros (its value is read only once it returned)
            raise _ReturnFound(found)
        if kind_changed(values, [out[i] for i in carried]):
            raise CarryChanged("a NumPy scalar became a 0-d array, or back")  # (peeled below, as a dtype)
        for i, (v, name) in enumerate(zip(out, names)):
            if i not in carried and not isinstance(init[i], Undefined) and v is not init[i]:
                raise user_error(TypeError(
                    f"'{name}' is assigned {_describe(v)} in {where}, whose condition is traced: only arrays and "
                    f"numbers can change in such a loop{at(user_location())}"))
        return tuple(out[i] for i in carried) + tuple(current(stand_in) for stand_in in roots)

    try:
        outs = while_loop(cond_fun, body_fun, tuple(init[i] for i in carried) + tuple(root for root, _ in outer))
    except _ReturnFound as found:
        set_state(tuple(found.zeros.get(i, v) for i, v in enumerate(init)))
        loop_traced(test, body, get_state, set_state, names, opts, peel, written)
        return
    except CarryChanged as error:
        if peel and len(last) == len(init) and any(
                _kind(init[i]) is not None and _defined(last[i]) and _signature(last[i]) != _signature(init[i])
                or _kind(init[i]) != _kind(last[i]) or zero_d_kind(init[i]) != zero_d_kind(last[i]) for i in carried):
            set_state(init)
            if_traced(truth(test()), body, _nothing, get_state, set_state, names, opts)
            loop_traced(test, body, get_state, set_state, names, opts, peel - 1, written)
            return
        grown = [i for i in carried if i < len(last) and type(init[i]) is list and type(last[i]) is list
                 and len(init[i]) != len(last[i])]
        if grown:  # (a list appended in the loop: its length would be the data's)
            i = grown[0]
            raise CarryChanged(f"'{names[i]}' is a list of {len(init[i])} items before {where} and of "
                               f"{len(last[i])} after a step: its condition is traced, so the list's length would "
                               f"depend on the data; write the items into an array made before the loop "
                               f"(out = np.zeros(n); out[k] = v) and slice it after{at(user_location())}") from None
        raise CarryChanged(f"{error} (the loop's variables: {', '.join(names[i] for i in carried)}; give each its "
                           f"final dtype and shape before {where})") from None
    except UnsupportedError as error:
        more = _written_more(error, written)
        if more is None:
            raise
        set_state(init)
        loop_traced(test, body, get_state, set_state, names, opts, peel, more)
        return
    final = list(init)
    for i, name in enumerate(names):
        if name.startswith(RETVAL) and isinstance(init[i], Undefined):
            final[i] = Undefined(name, opts.get("lineno", 0), f"inside {where}, whose condition is traced, is not "
                                 "supported")
        elif isinstance(init[i], Undefined):
            final[i] = Undefined(name, opts.get("lineno", 0), f"is assigned only inside {where} (whose condition is "
                                 "traced) and used after it; assign it before the loop")
    for i, v in zip(carried, outs):
        final[i] = v
    set_state(tuple(final))
