"""Jacobi 2-D (PolyBench): a five-point stencil, two grids updated in place, T steps."""

SIZES = {"test": {"n": 20, "steps": 2}, "bench": {"n": 1000, "steps": 10}}


def init(rng, n, steps):
    return rng.random((n, n)), rng.random((n, n)), steps


def kernel(a, b, steps):
    for _ in range(steps):
        b[1:-1, 1:-1] = 0.2 * (a[1:-1, 1:-1] + a[1:-1, :-2] + a[1:-1, 2:] + a[2:, 1:-1] + a[:-2, 1:-1])
        a[1:-1, 1:-1] = 0.2 * (b[1:-1, 1:-1] + b[1:-1, :-2] + b[1:-1, 2:] + b[2:, 1:-1] + b[:-2, 1:-1])
