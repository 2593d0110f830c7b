"""LLVM IR generation for kernels, with ``llvmlite.ir``.

Entry points (called by ``tracejit/compile.py``): ``module.build_module(generic, prefix)``
builds the module of a generic program (``compiler/generic_sizes.py``), only on a cache
miss; ``symbols.symbol_names(generic, prefix)`` names its functions without building it.
This package's ``__init__`` imports nothing: ``symbols.py`` (names, and where NumPy's array
struct holds what the call wrapper reads) is read by ``compile.py`` and the runtime
without llvmlite, which the rest of the package imports (``import tracejit`` loads none).
"""
