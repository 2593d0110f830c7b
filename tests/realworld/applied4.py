"""Real-world applied kernels: delay lines, row-wise in-place updates, comprehensions, helpers with early returns."""
from __future__ import annotations

import math

import numpy as np


def comb_echo(x, delay, feedback):
    """Feedback comb filter (echo) with a circular delay line indexed modulo its length."""
    buf = np.zeros(delay)
    idx = 0
    y = np.empty_like(x)
    for n in range(len(x)):
        out = x[n] + feedback * buf[idx]
        buf[idx] = out
        idx = (idx + 1) % delay
        y[n] = out
    return y


def normalize_rows_inplace(M):
    """Scale each row to unit max-abs in place, skipping all-zero rows; returns how many were scaled."""
    scaled = 0
    for row in M:
        m = np.abs(row).max()
        if m == 0:
            continue
        row /= m
        scaled += 1
    return scaled


def windowed_energy(x, w):
    """Energy of each length-w window, by a list comprehension of slice sums."""
    return np.array([np.sum(x[i:i + w] ** 2) for i in range(len(x) - w + 1)])


def _angle_deg(dx, dy):
    if dx == 0 and dy == 0:
        return 0.0
    return math.degrees(math.atan2(dy, dx))


def path_stats(xs, ys):
    """Length of a polyline and the heading of each segment (a helper with an early return)."""
    length = 0.0
    headings = np.zeros(len(xs) - 1)
    for i, (x0, y0, x1, y1) in enumerate(zip(xs[:-1], ys[:-1], xs[1:], ys[1:])):
        length += math.hypot(x1 - x0, y1 - y0)
        headings[i] = _angle_deg(x1 - x0, y1 - y0)
    return length, headings


def nearest_centroid(X, C):
    """Index of the nearest centroid for each point, best distance started at float('inf')."""
    labels = np.zeros(len(X), dtype=np.int64)
    for i in range(len(X)):
        best = float("inf")
        for j in range(len(C)):
            d = 0.0
            for k in range(X.shape[1]):
                diff = X[i, k] - C[j, k]
                d += diff * diff
            if d < best:
                best = d
                labels[i] = j
    return labels


def backward_cumsum_reset(x, cap):
    """Sums of x from the right, restarting whenever the running total exceeds cap (reversed range)."""
    out = np.zeros_like(x)
    total = 0.0
    for i in reversed(range(len(x))):
        total += x[i]
        if total > cap:
            total = x[i]
        out[i] = total
    return out


def row_reduce_echelon(A, tol=1e-12):
    """Reduced row echelon form by Gauss-Jordan with partial pivoting and row swaps; returns (R, rank)."""
    R = A.astype(float)
    rows, cols = R.shape
    r = 0
    for c in range(cols):
        if r >= rows:
            break
        p = r + np.argmax(np.abs(R[r:, c]))
        if abs(R[p, c]) < tol:
            continue
        if p != r:
            R[[r, p]] = R[[p, r]]
        R[r] = R[r] / R[r, c]
        for i in range(rows):
            if i != r:
                R[i] -= R[i, c] * R[r]
        r += 1
    return R, r


def plateau_peaks_count(x):
    """Count peaks that may be flat on top: walk over the plateau with a while loop."""
    count = 0
    i = 1
    n = len(x)
    while i < n - 1:
        if x[i] > x[i - 1]:
            j = i
            while j < n - 1 and x[j + 1] == x[i]:
                j += 1
            if j < n - 1 and x[j + 1] < x[i]:
                count += 1
            i = j + 1
        else:
            i += 1
    return count


def leaky_integrator_spikes(I, dt, tau, v_th, v_reset, refractory_steps):
    """Integrate-and-fire with a refractory counter; spike times collected as a boolean raster."""
    v = 0.0
    ref = 0
    raster = np.zeros(len(I), dtype=bool)
    for t in range(len(I)):
        if ref > 0:
            ref -= 1
            v = v_reset
            continue
        v += dt / tau * (-v + I[t])
        if v >= v_th:
            raster[t] = True
            v = v_reset
            ref = refractory_steps
    return raster, raster.sum()


def clamp_and_count(x, lo, hi):
    """Clip in place with a conditional expression, counting the values changed (any() guard first)."""
    if not np.any((x < lo) | (x > hi)):
        return 0
    changed = 0
    for i in range(len(x)):
        v = x[i]
        x[i] = lo if v < lo else (hi if v > hi else v)
        if x[i] != v:
            changed += 1
    return changed


def dtw_distance(a, b):
    """Dynamic time warping distance with the classic (n+1) x (m+1) cost table and builtin min."""
    n, m = len(a), len(b)
    cost = np.full((n + 1, m + 1), np.inf)
    cost[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d = abs(a[i - 1] - b[j - 1])
            cost[i, j] = d + min(cost[i - 1, j], cost[i, j - 1], cost[i - 1, j - 1])
    return cost[n, m]


def levinson_durbin(r, order):
    """LPC coefficients from autocorrelations by the Levinson-Durbin recursion (reversed slices)."""
    a = np.zeros(order + 1)
    a[0] = 1.0
    e = r[0]
    k = np.zeros(order)
    for i in range(1, order + 1):
        acc = r[i]
        for j in range(1, i):
            acc += a[j] * r[i - j]
        ki = -acc / e
        k[i - 1] = ki
        a_prev = a.copy()
        for j in range(1, i):
            a[j] = a_prev[j] + ki * a_prev[i - j]
        a[i] = ki
        e *= 1.0 - ki * ki
    return a, e, k


def threshold_events(x, thr):
    """(start, end) index pairs of the runs above thr, appended as tuples when a run ends."""
    events = []
    start = -1
    for i in range(len(x)):
        if x[i] > thr and start < 0:
            start = i
        elif x[i] <= thr and start >= 0:
            events.append((start, i))
            start = -1
    if start >= 0:
        events.append((start, len(x)))
    return np.array(events, dtype=np.int64).reshape(-1, 2)


def outlier_indices(x, z):
    """Indices whose z-score exceeds z, appended in a loop, and the mean without them."""
    mu = x.mean()
    sd = x.std()
    idx = []
    for i in range(len(x)):
        if abs(x[i] - mu) > z * sd:
            idx.append(i)
    mask = np.ones(len(x), dtype=bool)
    mask[np.array(idx, dtype=np.int64)] = False
    return np.array(idx, dtype=np.int64), x[mask].mean()


def _autocorr(x, lags):
    return np.correlate(x, x, "full")[len(x) - 1:len(x) + lags]


CASES = {
    "comb_echo": (comb_echo, lambda rng, s: (rng.standard_normal(20 + s), 3 + s, 0.5)),
    "normalize_rows_inplace": (normalize_rows_inplace, lambda rng, s: (
        np.where(np.arange(4 + s)[:, None] % 2 == 0, rng.standard_normal((4 + s, 3)), 0.0),)),
    "windowed_energy": (windowed_energy, lambda rng, s: (rng.standard_normal(12 + s), 4)),
    "path_stats": (path_stats, lambda rng, s: (np.cumsum(rng.integers(-1, 2, 9 + s)).astype(float),
                                              np.cumsum(rng.integers(-1, 2, 9 + s)).astype(float))),
    "nearest_centroid": (nearest_centroid, lambda rng, s: (rng.standard_normal((7 + s, 2)),
                                                         rng.standard_normal((3, 2)))),
    "backward_cumsum_reset": (backward_cumsum_reset, lambda rng, s: (rng.uniform(0, 1, 15 + s), 2.0)),
    "row_reduce_echelon": (row_reduce_echelon, lambda rng, s: (np.vstack([rng.integers(-3, 4, (2 + s, 4)),
                                                                          np.zeros((1, 4), dtype=np.int64)]),)),
    "plateau_peaks_count": (plateau_peaks_count, lambda rng, s: (rng.integers(0, 4, 16 + s),)),
    "leaky_integrator_spikes": (leaky_integrator_spikes, lambda rng, s: (rng.uniform(0, 3, 40 + s), 0.1, 0.5, 1.0,
                                                                         0.0, 2)),
    "clamp_and_count": (clamp_and_count, lambda rng, s: (rng.standard_normal(10 + s) * (s + 0.5), -1.0, 1.0)),
    "dtw_distance": (dtw_distance, lambda rng, s: (rng.standard_normal(6 + s), rng.standard_normal(5 + 2 * s))),
    "levinson_durbin": (levinson_durbin, lambda rng, s: (_autocorr(rng.standard_normal(40), 5 + s), 4 + s)),
    "threshold_events": (threshold_events, lambda rng, s: (rng.standard_normal(15 + s), 0.3)),
    "outlier_indices": (outlier_indices, lambda rng, s: (np.concatenate([rng.standard_normal(12 + s), [6.0, -5.0]]),
                                                         2.0)),
}

XFAIL: dict[str, str] = {
    "threshold_events": "a list of tuples appended under a traced condition (rows of several values), then appended "
                        "after the loop under a traced condition",
}
