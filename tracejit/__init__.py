"""tracejit: a tracing JIT compiler for plain NumPy code.

``@tracejit.jit`` traces a NumPy function into a graph, optimizes it (constant folding,
CSE, fusion), lowers each fused kernel to LLVM IR with llvmlite and runs native code (``compile.py``).
Importing the package loads no llvmlite: the first compilation does.
"""
from tracejit._version import __version__
from tracejit.config import config
from tracejit.errors import InternalError, TraceError, TracejitError, TracerConversionError, UnsupportedError
from tracejit.export import export
from tracejit.frontend.api import CacheInfo, JitFunction, jit
from tracejit.frontend.autodiff import grad, jvp, stop_gradient, value_and_grad, vjp
from tracejit.frontend.autograph.loops import unroll
from tracejit.frontend.control import cond, fori_loop, while_loop
from tracejit.frontend.jacobians import hessian, jacfwd, jacrev
from tracejit.frontend.lowered import Lowered

__all__ = ["jit", "export", "grad", "value_and_grad", "vjp", "jvp", "jacfwd", "jacrev", "hessian", "stop_gradient",
           "while_loop", "fori_loop", "cond", "unroll", "JitFunction", "Lowered", "CacheInfo", "config",
           "UnsupportedError", "InternalError", "TracerConversionError", "TraceError", "TracejitError", "__version__"]
