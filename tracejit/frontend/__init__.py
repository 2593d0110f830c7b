"""The frontend: the ``jit`` wrapper, the Tracer value and NumPy protocol dispatch."""
