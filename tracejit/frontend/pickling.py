"""Pickling jitted functions and transforms, with ``pickle`` and ``cloudpickle`` (dask sends them so).

A jitted function pickles **by name** when its module and qualified name lead back to it (a
function decorated at module level in an importable module, or a method of such a class):
unpickling imports the module and takes that object, options and all, as ``pickle`` does for
functions. Otherwise it pickles **by value**: a factory (``JitFunction``, ``tj.grad``...), the
function it wraps and its options. ``cloudpickle`` pickles that function by value (a lambda, a
local function, one of ``__main__``), ``pickle`` by name. A ``__main__`` function pickles by name
with ``pickle`` (what ``multiprocessing`` expects) and by value with ``cloudpickle`` (what a dask
worker, which has another ``__main__``, needs), as functions do; the two cases are told apart by
the pickler on the stack (:func:`_cloudpickling`). A module registered with
``cloudpickle.register_pickle_by_value`` pickles by value.

No compiled state travels (no code, no capsule, no cache): the receiving process traces again
and compiles, or finds the object code in the persistent cache (``runtime/diskcache.py``), on its
first call of each signature.

Identity: a by-value pickle carries a token, made once per object. In the process it came from it
unpickles to the object itself; in another process every unpickle of one token returns the same
object while it lives, and the last :data:`KEEP` rebuilt objects are kept alive, so that a dask
worker receiving the function with each task traces and compiles each signature once, and
``cache_info()`` called there through a pickled bound method reads the counts its tasks made.
"""
from __future__ import annotations

import pickle
import sys
import threading
import uuid
import weakref
from collections import deque
from typing import Any, Callable

KEEP = 64  # rebuilt objects kept alive in a process besides those referenced elsewhere

_tokens: "weakref.WeakKeyDictionary[Any, str]" = weakref.WeakKeyDictionary()
_objects: "weakref.WeakValueDictionary[str, Any]" = weakref.WeakValueDictionary()
_recent: deque = deque(maxlen=KEEP)
_lock = threading.RLock()


def reduce_function(obj: Any, factory: Callable, args: tuple, kwargs: dict) -> str | tuple:
    """``obj.__reduce__()``: its qualified name where that leads back to ``obj`` (and it is
    not wanted by value), else a rebuild of ``factory(*args, **kwargs)`` under ``obj``'s token."""
    module = getattr(obj, "__module__", None)
    if _named(obj, module) and not _by_value(module):
        return obj.__qualname__
    return by_value(obj, factory, args, kwargs)


def by_value(obj: Any, factory: Callable, args: tuple, kwargs: dict) -> tuple:
    """The reduction that rebuilds ``obj`` as ``factory(*args, **kwargs)``, one object per token."""
    return rebuild, (token_of(obj), factory, args, kwargs)


def token_of(obj: Any) -> str:
    """``obj``'s pickling token (made on first use; unpickling it in this process returns ``obj``)."""
    with _lock:
        token = _tokens.get(obj)
        if token is None:
            token = uuid.uuid4().hex
            _tokens[obj] = token
            _objects[token] = obj
        return token


def rebuild(token: str, factory: Callable, args: tuple, kwargs: dict) -> Any:
    """Unpickle a by-value reduction: the live object of ``token``, else a new one."""
    with _lock:
        found = _objects.get(token)
        if found is not None:
            return found
        made = factory(*args, **kwargs)
        _tokens[made] = token
        _objects[token] = made
        _recent.append(made)
        return made


def _named(obj: Any, module_name: str | None) -> bool:
    """Whether ``module.qualname`` is ``obj`` (a module already imported in this process)."""
    qualname = getattr(obj, "__qualname__", None)
    module = sys.modules.get(module_name) if module_name else None
    if module is None or not qualname or "<" in qualname:  # <locals>, <lambda>
        return False
    target = module
    for part in qualname.split("."):
        target = getattr(target, part, None)
        if target is None:
            return False
    return target is obj


def _by_value(module_name: str | None) -> bool:
    """Whether cloudpickle wants ``module_name``'s objects by value: a module registered with
    ``register_pickle_by_value``, or ``__main__`` while a cloudpickle pickler is pickling."""
    cloudpickle = sys.modules.get("cloudpickle")
    if cloudpickle is None:
        return False
    inner = sys.modules.get("cloudpickle.cloudpickle")
    registry = getattr(inner, "list_registry_pickle_by_value", None)
    if registry is not None and module_name in registry():
        return True
    return module_name == "__main__" and _cloudpickling(cloudpickle)


def _cloudpickling(cloudpickle: Any) -> bool:
    """Whether the pickler running now is cloudpickle's: its ``dump`` method is the Python frame
    below the reduction (the C pickler in between has none), so the nearest frame holding a
    pickler as ``self`` tells. ``pickle.dumps`` and the C ``Pickler.dump`` leave no frame."""
    pickler = getattr(cloudpickle, "Pickler", None)
    if pickler is None:
        return False
    frame = sys._getframe(1)
    while frame is not None:
        candidate = frame.f_locals.get("self")
        if isinstance(candidate, pickle.Pickler):
            return isinstance(candidate, pickler)
        frame = frame.f_back
    return False
