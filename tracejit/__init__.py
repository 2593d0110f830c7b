"""tracejit: a tracing JIT compiler for plain NumPy code.

``@tracejit.jit`` traces a NumPy function into a graph, optimizes it (constant folding,
CSE, fusion), lowers each fused kernel to LLVM IR with llvmlite and runs native code.
"""
__version__ = "0.1.0"  # first: runtime modules read it while the package imports

from tracejit.config import config
from tracejit.errors import InternalError, TraceError, TracejitError, TracerConversionError, UnsupportedError
from tracejit.frontend.api import CacheInfo, JitFunction, jit
from tracejit.frontend.control import cond, fori_loop, while_loop
from tracejit.frontend.lowered import Lowered

__all__ = ["jit", "while_loop", "fori_loop", "cond", "JitFunction", "Lowered", "CacheInfo", "config", "UnsupportedError",
           "InternalError", "TracerConversionError", "TraceError", "TracejitError", "__version__"]
