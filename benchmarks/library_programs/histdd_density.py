"""A 3-D density estimate with np.histogramdd (density=True), and the occupancy of its cells."""
import numpy as np

SIZES = {"test": {"n": 100, "bins": 4}, "test2": {"n": 30, "bins": 3}, "bench": {"n": 200_000, "bins": 16}}
RTOL = 1e-9


def init(rng, n, bins):
    return rng.standard_normal((n, 3)), bins


def kernel(sample, bins):
    H, edges = np.histogramdd(sample, bins=bins, range=[(-3, 3)] * 3, density=True)
    volume = np.prod([e[1] - e[0] for e in edges])
    occupied = np.count_nonzero(H)
    mode = np.unravel_index(np.argmax(H), H.shape)
    return H, (H * volume).sum(), occupied, mode
