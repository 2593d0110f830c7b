"""The compiler: Graph IR, op registry, passes, kernel formation and LLVM codegen."""
