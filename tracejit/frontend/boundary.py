"""The error boundary of a jitted call: internal errors are never shown raw.

Every exception that leaves a jitted call (tracing, optimizing, compiling, running) is
classified once, where the call enters tracejit (``JitFunction.__call__`` and ``lower``):

* deliberate errors cross unchanged: tracejit's own (:class:`~tracejit.TracejitError`,
  including the :class:`~tracejit.InternalError` of a nested jitted call), its internal
  control exceptions (:class:`~tracejit.errors.ControlException`), the NumPy-like
  TypeError, ValueError, IndexError... it raises on purpose to mirror NumPy (marked where
  raised by :func:`~tracejit.errors.user_error` or ``with_location``), warnings turned
  into errors, and MemoryError;
* so do exceptions of the user's own code, and of a library the user called (a shape
  mismatch in the user's eager NumPy call): the traceback's innermost frame outside the
  libraries (NumPy, the standard library, llvmlite, networkx) is not tracejit's;
* the frontend implements NumPy's functions the way NumPy does, letting Python and NumPy
  validate the user's arguments (``operator.index(axis)``, ``np.dtype(dtype)``, binding
  keyword arguments): a TypeError, ValueError, IndexError or OverflowError coming out of
  a *call* made by frontend code (the innermost tracejit frame stopped at a call
  instruction) is the user's too;
* anything else was raised inside tracejit by surprise -- an assertion, a KeyError, an
  AttributeError, a ZeroDivisionError, an error of an operator or subscript in tracejit's
  own code, anything from the compiler or the runtime (an LLVM error): a bug. It leaves
  the call as ``InternalError`` naming the jitted function, the user's line (the line
  being traced, else the call) and where in tracejit it happened, suggesting
  ``TRACEJIT_DISABLE_JIT=1``, with the original chained (``raise ... from``).
"""
from __future__ import annotations

import dis
import importlib.util
import os
import sys
import sysconfig
import types

from tracejit.errors import ControlException, InternalError, TracejitError, is_user_error

_OWN = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # tracejit/


def _package_dir(name: str) -> str | None:
    """Where package ``name`` lives, found without importing it (llvmlite loads only
    when the first compilation needs it)."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):  # not installed, or its loader refuses
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.abspath(list(spec.submodule_search_locations)[0]) + os.sep


_LIBRARIES = tuple(d for d in (_package_dir("numpy"), _package_dir("llvmlite"), _package_dir("networkx")) if d)
_STDLIB = tuple({os.path.abspath(sysconfig.get_paths()[k]) + os.sep for k in ("stdlib", "platstdlib")})
_FRONTEND = (_OWN + "frontend" + os.sep, _OWN + "special.py")
_PASS = (TracejitError, ControlException, Warning, MemoryError)
_ARGUMENT_ERRORS = (TypeError, ValueError, IndexError, OverflowError)  # Python's and NumPy's validation


def _kind(filename: str) -> str:
    """``own`` (tracejit), ``library`` (NumPy, the standard library, tracejit's
    dependencies: skipped when looking for who raised) or ``user``."""
    if filename.startswith("<frozen"):
        return "library"
    path = os.path.abspath(filename) if filename[:1] != "<" else filename
    if path.startswith(_OWN):
        return "own"
    if path.startswith(_LIBRARIES):
        return "library"
    if path.startswith(_STDLIB) and "-packages" + os.sep not in path:
        return "library"
    return "user"


def _frames(tb: types.TracebackType | None) -> list[tuple[types.CodeType, int, int]]:
    """(code, line, last instruction) of each frame of ``tb``, outermost first."""
    out = []
    while tb is not None:
        out.append((tb.tb_frame.f_code, tb.tb_lineno, tb.tb_lasti))
        tb = tb.tb_next
    return out


def _at_call(code: types.CodeType, lasti: int) -> bool:
    """Whether instruction ``lasti`` of ``code`` is a call (the error came out of the callee)."""
    return any(ins.offset == lasti and ins.opname.startswith(("CALL", "PRECALL"))
               for ins in dis.get_instructions(code))


def is_internal(error: BaseException) -> bool:
    """Whether ``error``, leaving a jitted call, is a bug in tracejit (see the module)."""
    if isinstance(error, _PASS) or is_user_error(error) or not isinstance(error, Exception):
        return False
    for code, _, lasti in reversed(_frames(error.__traceback__)):
        kind = _kind(code.co_filename)
        if kind == "user":
            return False
        if kind == "own":
            argument_check = (isinstance(error, _ARGUMENT_ERRORS) and code.co_filename.startswith(_FRONTEND)
                              and _at_call(code, lasti))
            return not argument_check
    return True


def raised_by_tracejit(error: BaseException) -> bool:
    """Whether the innermost frame of ``error``'s traceback outside the libraries is
    tracejit's (not the user's code, which a NumPy function may call back)."""
    for code, _, _ in reversed(_frames(error.__traceback__)):
        kind = _kind(code.co_filename)
        if kind != "library":
            return kind == "own"
    return False


def _shown(filename: str, line: int) -> str:
    rel = os.path.relpath(filename) if os.path.isabs(filename) else filename
    return f"{filename if rel.startswith('..') else rel}:{line}"


def _caller() -> str | None:
    """``file:line`` of the innermost frame of this thread's stack that is the user's."""
    frame = sys._getframe(1)
    while frame is not None:
        if _kind(frame.f_code.co_filename) == "user":
            return _shown(frame.f_code.co_filename, frame.f_lineno)
        frame = frame.f_back
    return None


def internal_error(error: Exception, fun: object) -> InternalError:
    """The :class:`InternalError` reporting ``error``, raised inside a call of ``fun``."""
    frames = _frames(error.__traceback__)
    traced = next((f for f in reversed(frames) if _kind(f[0].co_filename) == "user"), None)
    own = next((f for f in reversed(frames) if _kind(f[0].co_filename) == "own"), None)
    name = getattr(fun, "__qualname__", None) or repr(fun)
    location = _shown(traced[0].co_filename, traced[1]) if traced is not None else None
    caller = _caller() if location is None else None
    where = f" while tracing {location}" if location else f", called at {caller}" if caller else ""
    inside = ""
    if own is not None:
        package = os.path.relpath(os.path.abspath(own[0].co_filename), os.path.dirname(_OWN[:-1]))
        inside = f" (raised at {package}:{own[1]} in {own[0].co_name})"
    message = (f"tracejit internal error in jitted function '{name}'{where}: {type(error).__name__}: {error}\n"
               f"This is a bug in tracejit{inside}; please report it with this message. Meanwhile, "
               "TRACEJIT_DISABLE_JIT=1 runs the function eagerly with NumPy.")
    internal = InternalError(message)
    internal.function = name
    internal.location = location or caller
    return internal


def raise_if_internal(error: Exception, fun: object) -> None:
    """Raise :class:`InternalError` from ``error`` when it is a bug in tracejit; else
    return (the caller re-raises ``error`` unchanged)."""
    if is_internal(error):
        raise internal_error(error, fun) from error
