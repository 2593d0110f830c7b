"""tracejit: a tracing JIT compiler for plain NumPy code.

``@tracejit.jit`` traces a NumPy function into a graph, optimizes it (constant folding,
CSE, fusion), lowers each fused kernel to LLVM IR with llvmlite and runs native code (``compile.py``).

Importing the package is cheap: it loads the configuration and the error classes only. Every
other public name is imported on first use (module ``__getattr__``, PEP 562): ``tj.jit``
loads the frontend, ``tj.export`` the exporter, and the first compilation loads llvmlite.
"""
import importlib

import tracejit.export as _export_package  # noqa: F401 - its __init__ is light; see _shadowed below
from tracejit._version import __version__
from tracejit.config import config
from tracejit.errors import InternalError, TraceError, TracejitError, TracerConversionError, UnsupportedError

__all__ = ["jit", "export", "grad", "value_and_grad", "vjp", "jvp", "jacfwd", "jacrev", "hessian", "stop_gradient",
           "while_loop", "fori_loop", "cond", "unroll", "JitFunction", "Lowered", "CacheInfo", "config",
           "UnsupportedError", "InternalError", "TracerConversionError", "TraceError", "TracejitError", "__version__"]

# public name -> the module that defines it, imported on first access
_LAZY = {
    **dict.fromkeys(("jit", "JitFunction", "CacheInfo"), "tracejit.frontend.api"),
    **dict.fromkeys(("grad", "value_and_grad", "vjp", "jvp", "stop_gradient"), "tracejit.frontend.autodiff"),
    **dict.fromkeys(("jacfwd", "jacrev", "hessian"), "tracejit.frontend.jacobians"),
    **dict.fromkeys(("while_loop", "fori_loop", "cond"), "tracejit.frontend.control"),
    "unroll": "tracejit.frontend.autograph.loops",
    "Lowered": "tracejit.frontend.lowered",
    "export": "tracejit.export.api",
}
# ``tracejit.export`` names both a subpackage and the function: the subpackage was imported
# above (so importing ``tracejit.export.<module>`` later never rebinds the attribute), and its
# binding is dropped so that the attribute resolves to the function through ``__getattr__``.
del globals()["export"]


def __getattr__(name: str) -> object:
    """The public name ``name``, importing the module that defines it on first access."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tracejit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later accesses skip this function
    return value


def __dir__() -> list[str]:
    """The module's attributes, with the public names not imported yet."""
    return sorted(set(globals()) | set(__all__))
