"""Which code is the user's: everything outside NumPy, tracejit, the standard library
and installed packages (``sysconfig``'s stdlib/platstdlib/purelib/platlib paths and
``site``'s package directories). Only the user's functions are run converted
(``frontend/convert.py``); a library's internal ``np.zeros`` always gives NumPy arrays."""
from __future__ import annotations

import os
import site
import sys
import sysconfig
import types

import numpy as np


def _library_prefixes() -> tuple[str, ...]:
    dirs = {os.path.dirname(np.__file__), os.path.dirname(os.path.dirname(__file__))}  # (tracejit/)
    for scheme_vars in ({}, {"base": sys.base_prefix, "platbase": sys.base_exec_prefix}):
        paths = sysconfig.get_paths(vars=scheme_vars) if scheme_vars else sysconfig.get_paths()
        dirs.update(paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths)
    try:
        dirs.update(site.getsitepackages())
        dirs.add(site.getusersitepackages())
    except AttributeError:  # some embedded interpreters lack them
        pass
    out = set()
    for d in dirs:
        if d:
            out.add(os.path.join(os.path.normpath(d), ""))
            out.add(os.path.join(os.path.realpath(d), ""))
    return tuple(sorted(out))


_PREFIXES = _library_prefixes()
_by_file: dict[str, bool] = {}


def is_library_file(filename: str) -> bool:
    """Whether code compiled from ``filename`` belongs to a library (cached)."""
    known = _by_file.get(filename)
    if known is None:
        known = filename.startswith("<frozen") or (os.path.isabs(filename) and (
            filename.startswith(_PREFIXES) or os.path.realpath(filename).startswith(_PREFIXES)))
        _by_file[filename] = known
    return known


def is_user_function(value: object) -> bool:
    """A plain Python function written by the user (not NumPy's, tracejit's or a library's)."""
    return type(value) is types.FunctionType and not is_library_file(value.__code__.co_filename)


def is_user_module(module: types.ModuleType) -> bool:
    """A module of the user's: loaded from a file that is not a library's (or ``__main__``)."""
    filename = getattr(module, "__file__", None)
    return module.__name__ == "__main__" or (isinstance(filename, str) and not is_library_file(filename))


_namespaces: tuple = (-1, [])  # (len(sys.modules) when listed, the namespaces)
_verdicts: dict[str, tuple] = {}  # module name -> (the module, its namespace if it is the user's, else None)


def _user_namespace(module: object) -> dict | None:
    """``module``'s globals if it is a module of the user's, else None."""
    if isinstance(module, types.ModuleType) and is_user_module(module):
        namespace = getattr(module, "__dict__", None)
        if isinstance(namespace, dict):
            return namespace
    return None


def user_namespaces() -> list[dict]:
    """The global namespaces of the user's modules that are loaded (``__main__`` included;
    listed again when modules were imported since). Each module is judged once, when first
    seen under its name: with jax and torch loaded (3,000+ modules) judging all of them
    again took 10-30 ms of every first trace that followed an import."""
    global _namespaces, _verdicts
    count = len(sys.modules)
    if _namespaces[0] != count:
        out, verdicts = [], {}
        for name, module in list(sys.modules.items()):
            known = _verdicts.get(name)
            if known is None or known[0] is not module:
                known = (module, _user_namespace(module))
            verdicts[name] = known
            if known[1] is not None:
                out.append(known[1])
        _namespaces, _verdicts = (count, out), verdicts
    return _namespaces[1]
