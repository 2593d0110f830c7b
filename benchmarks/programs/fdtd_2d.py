"""FDTD 2-D (PolyBench): electric and magnetic fields updated in place, T time steps."""

SIZES = {"test": {"nx": 12, "ny": 14, "steps": 2}, "bench": {"nx": 1000, "ny": 1200, "steps": 10}}


def init(rng, nx, ny, steps):
    return rng.random((nx, ny)), rng.random((nx, ny)), rng.random((nx, ny)), rng.random(steps)


def kernel(ex, ey, hz, fict):
    for t in range(fict.shape[0]):
        ey[0, :] = fict[t]
        ey[1:, :] = ey[1:, :] - 0.5 * (hz[1:, :] - hz[:-1, :])
        ex[:, 1:] = ex[:, 1:] - 0.5 * (hz[:, 1:] - hz[:, :-1])
        hz[:-1, :-1] = hz[:-1, :-1] - 0.7 * (ex[:-1, 1:] - ex[:-1, :-1] + ey[1:, :-1] - ey[:-1, :-1])
