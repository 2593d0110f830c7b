"""Real-world loop kernels: Python lists of results, the math module, masks in loops, nested breaks (textbook style)."""
from __future__ import annotations

import math

import numpy as np


def find_peaks_loop(x):
    """Indices of strict local maxima, appended to a list as found."""
    peaks = []
    for i in range(1, len(x) - 1):
        if x[i] > x[i - 1] and x[i] > x[i + 1]:
            peaks.append(i)
    return np.array(peaks, dtype=np.int64)


def euler_history(y0, h, n):
    """Explicit Euler for y' = -2y + sin(t), keeping every state in a list, stacked at the end."""
    y = y0
    t = 0.0
    history = [y]
    for _ in range(n):
        y = y + h * (-2.0 * y + math.sin(t))
        t += h
        history.append(y)
    return np.array(history)


def trapezoid_math(a, b, n, k):
    """Trapezoid rule for exp(-k x^2) with the math module on each sample."""
    h = (b - a) / n
    total = 0.5 * (math.exp(-k * a * a) + math.exp(-k * b * b))
    for i in range(1, n):
        x = a + i * h
        total += math.exp(-k * x * x)
    return total * h


def kmeans(X, centers, iters):
    """Lloyd's k-means: assign by distances, update each center from its members (kept when empty)."""
    C = centers.copy()
    for _ in range(iters):
        d = ((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=2)
        labels = d.argmin(axis=1)
        for j in range(C.shape[0]):
            members = X[labels == j]
            if len(members) > 0:
                C[j] = members.mean(axis=0)
    return C, labels


def flood_relax(grid, iters_max):
    """Relax a grid to the max of its 4 neighbours on open cells until nothing changes."""
    g = grid.copy()
    open_cells = grid >= 0
    changed = True
    it = 0
    while changed and it < iters_max:
        nb = g.copy()
        nb[1:, :] = np.maximum(nb[1:, :], g[:-1, :])
        nb[:-1, :] = np.maximum(nb[:-1, :], g[1:, :])
        nb[:, 1:] = np.maximum(nb[:, 1:], g[:, :-1])
        nb[:, :-1] = np.maximum(nb[:, :-1], g[:, 1:])
        new = np.where(open_cells, nb, g)
        changed = np.any(new != g)
        g = new
        it += 1
    return g, it


def first_pair_with_sum(a, target):
    """First pair (i, j), i < j, with a[i] + a[j] == target; nested loops with a flag and breaks."""
    found_i, found_j = -1, -1
    for i in range(len(a)):
        for j in range(i + 1, len(a)):
            if a[i] + a[j] == target:
                found_i, found_j = i, j
                break
        if found_i >= 0:
            break
    return found_i, found_j


def weighted_mean_zip(values, weights):
    """Weighted mean by a loop over zip(values, weights), skipping non-positive weights."""
    num = 0.0
    den = 0.0
    for v, w in zip(values, weights):
        if w <= 0:
            continue
        num += v * w
        den += w
    return num / den


def float_accumulate(x):
    """Sum of squares of the positive entries through float() conversions."""
    total = 0.0
    for i in range(x.shape[0]):
        v = float(x[i])
        if v > 0:
            total += v * v
    return total


def running_sum_slices(x):
    """Prefix sums by summing a growing slice (O(n^2), as beginners write it)."""
    out = np.zeros(len(x))
    for i in range(len(x)):
        out[i] = np.sum(x[:i + 1])
    return out


def pascal_triangle(n):
    """Rows of Pascal's triangle in a square int array, each from the previous one."""
    T = np.zeros((n, n), dtype=np.int64)
    T[:, 0] = 1
    for i in range(1, n):
        for j in range(1, i + 1):
            T[i, j] = T[i - 1, j - 1] + T[i - 1, j]
    return T


def ema_rows(X, alpha):
    """Exponential moving average over time for each row of X, looping over rows."""
    out = np.empty_like(X)
    for r, row in enumerate(X):
        s = row[0]
        for t in range(len(row)):
            s = alpha * row[t] + (1 - alpha) * s
            out[r, t] = s
    return out


def cosine_similarity_loop(A):
    """Pairwise cosine similarity by a double loop with math.sqrt of dot products."""
    n = A.shape[0]
    S = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            S[i, j] = A[i] @ A[j] / (math.sqrt(A[i] @ A[i]) * math.sqrt(A[j] @ A[j]))
    return S
