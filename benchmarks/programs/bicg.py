"""BiCG sub-kernel (PolyBench bicg): s = A^T r and q = A p, two sweeps over one matrix."""

SIZES = {"test": {"m": 20, "n": 24}, "bench": {"m": 4000, "n": 5000}}


def init(rng, m, n):
    return rng.random((n, m)), rng.random(n), rng.random(m)


def kernel(a, r, p):
    return r @ a, a @ p
