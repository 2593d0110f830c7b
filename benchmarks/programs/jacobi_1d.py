"""Jacobi 1-D (PolyBench): two arrays updated in place, alternately, for T steps."""

SIZES = {"test": {"n": 50, "steps": 3}, "bench": {"n": 400_000, "steps": 20}}


def init(rng, n, steps):
    return rng.random(n), rng.random(n), steps


def kernel(a, b, steps):
    for _ in range(steps):
        b[1:-1] = (a[:-2] + a[1:-1] + a[2:]) / 3.0
        a[1:-1] = (b[:-2] + b[1:-1] + b[2:]) / 3.0
