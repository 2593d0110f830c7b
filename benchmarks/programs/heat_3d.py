"""Heat 3-D (PolyBench): a seven-point stencil on a cube, two grids in place, T steps."""

SIZES = {"test": {"n": 10, "steps": 2}, "bench": {"n": 100, "steps": 10}}


def init(rng, n, steps):
    return rng.random((n, n, n)), rng.random((n, n, n)), steps


def _step(src, dst):
    c = src[1:-1, 1:-1, 1:-1]
    dst[1:-1, 1:-1, 1:-1] = (0.125 * (src[2:, 1:-1, 1:-1] - 2.0 * c + src[:-2, 1:-1, 1:-1])
                             + 0.125 * (src[1:-1, 2:, 1:-1] - 2.0 * c + src[1:-1, :-2, 1:-1])
                             + 0.125 * (src[1:-1, 1:-1, 2:] - 2.0 * c + src[1:-1, 1:-1, :-2]) + c)


def kernel(a, b, steps):
    for _ in range(steps):
        _step(a, b)
        _step(b, a)
