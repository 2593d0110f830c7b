"""Real-world loop kernels: searches, early returns, graph relaxations, DP and in-place updates (textbook style)."""
from __future__ import annotations

import numpy as np


def binary_search(a, x):
    """Leftmost insertion point of x in sorted a (bisect_left)."""
    lo, hi = 0, len(a)
    while lo < hi:
        mid = (lo + hi) // 2
        if a[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def linear_search(a, target):
    """Index of the first element equal to target, -1 if none (return inside the loop)."""
    for i in range(len(a)):
        if a[i] == target:
            return i
    return -1


def is_sorted(a):
    """Whether a is non-decreasing, by an early return."""
    for i in range(len(a) - 1):
        if a[i] > a[i + 1]:
            return False
    return True


def gcd_elementwise(a, b):
    """Euclid's algorithm on each pair of integers."""
    out = np.empty_like(a)
    for k in range(len(a)):
        x, y = a[k], b[k]
        while y != 0:
            x, y = y, x % y
        out[k] = x
    return out


def dijkstra(W, source):
    """Dijkstra on a dense weight matrix (inf: no edge), the closest unvisited vertex by argmin."""
    n = W.shape[0]
    dist = np.full(n, np.inf)
    dist[source] = 0.0
    visited = np.zeros(n, dtype=bool)
    for _ in range(n):
        u = np.argmin(np.where(visited, np.inf, dist))
        if np.isinf(dist[u]):
            break
        visited[u] = True
        dist = np.minimum(dist, dist[u] + W[u])
    return dist


def bellman_ford(n, src, dst, w):
    """Bellman-Ford over an edge list with the relaxation `if`."""
    dist = np.full(n, np.inf)
    dist[0] = 0.0
    for _ in range(n - 1):
        for e in range(len(w)):
            if dist[src[e]] + w[e] < dist[dst[e]]:
                dist[dst[e]] = dist[src[e]] + w[e]
    return dist


def knapsack(weights, values, capacity):
    """0/1 knapsack by the DP table."""
    n = len(weights)
    dp = np.zeros((n + 1, capacity + 1))
    for i in range(1, n + 1):
        for c in range(capacity + 1):
            dp[i, c] = dp[i - 1, c]
            if weights[i - 1] <= c:
                dp[i, c] = max(dp[i, c], dp[i - 1, c - weights[i - 1]] + values[i - 1])
    return dp[n, capacity]


def longest_increasing_subsequence(a):
    """Length of the longest strictly increasing subsequence, O(n^2) DP."""
    n = len(a)
    L = np.ones(n, dtype=np.int64)
    for i in range(1, n):
        for j in range(i):
            if a[j] < a[i] and L[j] + 1 > L[i]:
                L[i] = L[j] + 1
    return L.max()


def count_inversions(a):
    """Number of pairs i < j with a[i] > a[j], by a double loop."""
    count = 0
    n = len(a)
    for i in range(n):
        for j in range(i + 1, n):
            if a[i] > a[j]:
                count += 1
    return count


def coin_change(coins, amount):
    """Fewest coins summing to amount (-1 if impossible), the classic DP."""
    dp = np.full(amount + 1, np.inf)
    dp[0] = 0
    for a in range(1, amount + 1):
        for c in coins:
            if c <= a and dp[a - c] + 1 < dp[a]:
                dp[a] = dp[a - c] + 1
    return dp[amount] if dp[amount] != np.inf else -1


def rk4(y0, t0, t1, nsteps):
    """Classical Runge-Kutta for a damped oscillator, the right-hand side a nested function."""
    def f(t, y):
        return np.array([y[1], -0.5 * y[1] - 4.0 * y[0]])

    h = (t1 - t0) / nsteps
    y = y0.astype(float)
    t = t0
    for _ in range(nsteps):
        k1 = f(t, y)
        k2 = f(t + h / 2, y + h / 2 * k1)
        k3 = f(t + h / 2, y + h / 2 * k2)
        k4 = f(t + h, y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        t += h
    return y


def lif_neuron(current, dt, threshold):
    """Leaky integrate-and-fire neuron: membrane trace and spike train."""
    v = 0.0
    vs = np.zeros_like(current)
    spikes = np.zeros(current.shape, dtype=bool)
    for t in range(len(current)):
        v += dt * (-v + current[t])
        if v >= threshold:
            spikes[t] = True
            v = 0.0
        vs[t] = v
    return vs, spikes


def welford(x):
    """Online mean and variance (Welford)."""
    mean = 0.0
    m2 = 0.0
    n = 0
    for v in x:
        n += 1
        delta = v - mean
        mean += delta / n
        m2 += delta * (v - mean)
    return mean, m2 / (n - 1)


def relu_inplace(X):
    """Zero the negative entries of X in place by a double loop (returns nothing)."""
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            if X[i, j] < 0:
                X[i, j] = 0


def conjugate_gradient(A, b, tol):
    """Conjugate gradient with the residual test and `break`."""
    x = np.zeros_like(b)
    r = b - A @ x
    p = r.copy()
    rs = r @ r
    for _ in range(len(b) * 2):
        Ap = A @ p
        alpha = rs / (p @ Ap)
        x = x + alpha * p
        r = r - alpha * Ap
        rs_new = r @ r
        if np.sqrt(rs_new) < tol:
            break
        p = r + (rs_new / rs) * p
        rs = rs_new
    return x


def determinant_gauss(A):
    """Determinant by Gaussian elimination with partial pivoting (row swaps flip the sign)."""
    M = A.astype(float)
    n = M.shape[0]
    det = 1.0
    for k in range(n):
        p = k + np.argmax(np.abs(M[k:, k]))
        if M[p, k] == 0:
            return 0.0
        if p != k:
            M[[k, p]] = M[[p, k]]
            det = -det
        det *= M[k, k]
        M[k + 1:] -= np.outer(M[k + 1:, k] / M[k, k], M[k])
    return det


def max_pool_loops(img, size):
    """Non-overlapping max pooling by loops over output cells."""
    H, W = img.shape[0] // size, img.shape[1] // size
    out = np.empty((H, W), dtype=img.dtype)
    for i in range(H):
        for j in range(W):
            out[i, j] = img[i * size:(i + 1) * size, j * size:(j + 1) * size].max()
    return out


def simpson(y, dx):
    """Composite Simpson's rule with the 4/2 weights chosen by the index parity."""
    n = len(y) - 1
    total = y[0] + y[n]
    for i in range(1, n):
        if i % 2 == 1:
            total += 4 * y[i]
        else:
            total += 2 * y[i]
    return total * dx / 3


def reflecting_walk(steps, lo, hi):
    """A walk that reflects at the walls: positions after each step."""
    pos = np.zeros(len(steps) + 1)
    x = 0.0
    for t, s in enumerate(steps):
        x += s
        if x > hi:
            x = 2 * hi - x
        elif x < lo:
            x = 2 * lo - x
        pos[t + 1] = x
    return pos


def polymul(a, b):
    """Product of two polynomials by the double loop over coefficients."""
    out = np.zeros(len(a) + len(b) - 1, dtype=np.result_type(a, b))
    for i in range(len(a)):
        for j in range(len(b)):
            out[i + j] += a[i] * b[j]
    return out


def union_find_components(n, edges):
    """Number of connected components by union-find with path halving."""
    parent = np.arange(n)
    for e in range(edges.shape[0]):
        a, b = edges[e, 0], edges[e, 1]
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        while parent[b] != b:
            parent[b] = parent[parent[b]]
            b = parent[b]
        if a != b:
            parent[a] = b
    roots = 0
    for i in range(n):
        if parent[i] == i:
            roots += 1
    return roots


def lu_pivot(A):
    """LU with partial pivoting: P, L, U as textbooks write it."""
    n = A.shape[0]
    U = A.astype(float)
    L = np.eye(n)
    P = np.eye(n)
    for k in range(n - 1):
        p = np.argmax(np.abs(U[k:, k])) + k
        if p != k:
            U[[k, p], k:] = U[[p, k], k:]
            P[[k, p]] = P[[p, k]]
            L[[k, p], :k] = L[[p, k], :k]
        for i in range(k + 1, n):
            L[i, k] = U[i, k] / U[k, k]
            U[i, k:] -= L[i, k] * U[k, k:]
    return P, L, U


def logistic_map_lyapunov(r, x0, n):
    """Lyapunov exponent of the logistic map for each r (vectorized over r, loop over time)."""
    x = np.full_like(r, x0)
    acc = np.zeros_like(r)
    for _ in range(n):
        x = r * x * (1 - x)
        acc += np.log(np.abs(r * (1 - 2 * x)))
    return acc / n
