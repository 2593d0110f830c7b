"""Benchmarks comparing tracejit with eager NumPy (and numexpr, numba, jax, torch when installed).

Run ``python -m benchmarks`` for the full suite or ``python -m benchmarks --quick`` for a
smoke run; ``python -m benchmarks --help`` lists the options.
"""
