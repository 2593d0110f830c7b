"""LLVM IR generation for kernels, with ``llvmlite.ir``."""
