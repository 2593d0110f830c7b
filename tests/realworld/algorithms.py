"""Real-world loop kernels: sorting, dynamic programming, scans and sequences (textbook style)."""
from __future__ import annotations

import numpy as np


def floyd_warshall(dist):
    """All-pairs shortest paths: relax through each intermediate vertex k with np.minimum on rows."""
    d = dist.copy()
    n = d.shape[0]
    for k in range(n):
        d = np.minimum(d, d[:, k:k + 1] + d[k:k + 1, :])
    return d


def edit_distance(a, b):
    """Levenshtein distance between two integer sequences by the DP table."""
    m, n = len(a), len(b)
    dp = np.zeros((m + 1, n + 1), dtype=np.int64)
    for i in range(m + 1):
        dp[i, 0] = i
    for j in range(n + 1):
        dp[0, j] = j
    for i in range(1, m + 1):
        for j in range(1, n + 1):
            if a[i - 1] == b[j - 1]:
                dp[i, j] = dp[i - 1, j - 1]
            else:
                dp[i, j] = 1 + min(dp[i - 1, j], dp[i, j - 1], dp[i - 1, j - 1])
    return dp[m, n]


def lcs_length(a, b):
    """Length of the longest common subsequence by the DP table."""
    m, n = a.shape[0], b.shape[0]
    L = np.zeros((m + 1, n + 1))
    for i in range(1, m + 1):
        for j in range(1, n + 1):
            if a[i - 1] == b[j - 1]:
                L[i, j] = L[i - 1, j - 1] + 1
            else:
                L[i, j] = max(L[i - 1, j], L[i, j - 1])
    return L[m, n]


def viterbi(obs, pi, A, B):
    """Most likely state path of an HMM (log domain) with backpointers."""
    T = obs.shape[0]
    S = A.shape[0]
    logA, logB = np.log(A), np.log(B)
    delta = np.zeros((T, S))
    psi = np.zeros((T, S), dtype=np.int64)
    delta[0] = np.log(pi) + logB[:, obs[0]]
    for t in range(1, T):
        scores = delta[t - 1][:, None] + logA
        psi[t] = np.argmax(scores, axis=0)
        delta[t] = np.max(scores, axis=0) + logB[:, obs[t]]
    path = np.zeros(T, dtype=np.int64)
    path[T - 1] = np.argmax(delta[T - 1])
    for t in range(T - 2, -1, -1):
        path[t] = psi[t + 1, path[t + 1]]
    return path, delta[T - 1].max()


def bubble_sort(a):
    """Bubble sort in place on a copy, with the early exit when a pass swaps nothing."""
    x = a.copy()
    n = len(x)
    for i in range(n):
        swapped = False
        for j in range(n - i - 1):
            if x[j] > x[j + 1]:
                x[j], x[j + 1] = x[j + 1], x[j]
                swapped = True
        if not swapped:
            break
    return x


def insertion_sort(a):
    """Insertion sort with the inner while loop shifting larger elements right."""
    x = a.copy()
    for i in range(1, len(x)):
        key = x[i]
        j = i - 1
        while j >= 0 and x[j] > key:
            x[j + 1] = x[j]
            j -= 1
        x[j + 1] = key
    return x


def histogram_loop(data, nbins):
    """Histogram by a loop with an `if` skipping out-of-range values."""
    counts = np.zeros(nbins, dtype=np.int64)
    lo, hi = 0.0, 1.0
    width = (hi - lo) / nbins
    for v in data:
        if v < lo or v >= hi:
            continue
        counts[int((v - lo) / width)] += 1
    return counts


def running_max_min(x):
    """Running max and min by a loop with `if`."""
    rmax = np.empty_like(x)
    rmin = np.empty_like(x)
    cur_max = x[0]
    cur_min = x[0]
    for i in range(len(x)):
        if x[i] > cur_max:
            cur_max = x[i]
        if x[i] < cur_min:
            cur_min = x[i]
        rmax[i] = cur_max
        rmin[i] = cur_min
    return rmax, rmin


def prefix_sum(x):
    """Inclusive prefix sum by a loop."""
    out = np.empty_like(x)
    total = 0
    for i in range(len(x)):
        total += x[i]
        out[i] = total
    return out


def moving_average(x, w):
    """Moving average of window w by a loop over windows."""
    n = len(x) - w + 1
    out = np.zeros(n)
    for i in range(n):
        out[i] = x[i:i + w].mean()
    return out


def kadane(x):
    """Kadane's maximum subarray sum with its bounds."""
    best = x[0]
    cur = 0.0
    start = best_start = best_end = 0
    for i in range(len(x)):
        if cur <= 0:
            start = i
            cur = x[i]
        else:
            cur += x[i]
        if cur > best:
            best = cur
            best_start = start
            best_end = i + 1
    return best, best_start, best_end


def merge_sorted(a, b):
    """Two-pointer merge of two sorted arrays."""
    out = np.empty(len(a) + len(b), dtype=a.dtype)
    i = j = k = 0
    while i < len(a) and j < len(b):
        if a[i] <= b[j]:
            out[k] = a[i]
            i += 1
        else:
            out[k] = b[j]
            j += 1
        k += 1
    while i < len(a):
        out[k] = a[i]
        i += 1
        k += 1
    while j < len(b):
        out[k] = b[j]
        j += 1
        k += 1
    return out


def run_length_encode(x):
    """Run-length encoding into value and length arrays (padded) plus the number of runs."""
    values = np.zeros(len(x), dtype=x.dtype)
    lengths = np.zeros(len(x), dtype=np.int64)
    nruns = 0
    i = 0
    while i < len(x):
        j = i
        while j < len(x) and x[j] == x[i]:
            j += 1
        values[nruns] = x[i]
        lengths[nruns] = j - i
        nruns += 1
        i = j
    return values, lengths, nruns


def argmax_loop(x):
    """Index of the first maximum by a loop."""
    best = 0
    for i in range(1, len(x)):
        if x[i] > x[best]:
            best = i
    return best


def sieve(n):
    """Sieve of Eratosthenes on a boolean array."""
    is_prime = np.ones(n + 1, dtype=bool)
    is_prime[:2] = False
    p = 2
    while p * p <= n:
        if is_prime[p]:
            is_prime[p * p::p] = False
        p += 1
    return np.nonzero(is_prime)[0]


def cumprod_reset(x, threshold):
    """Cumulative product that restarts at 1 whenever it exceeds a threshold."""
    out = np.empty_like(x)
    acc = 1.0
    for i, v in enumerate(x):
        acc *= v
        if acc > threshold:
            acc = 1.0
        out[i] = acc
    return out


def clip_loop(x, lo, hi):
    """Clip values in place by a loop with if/elif."""
    y = x.copy()
    for i in range(y.shape[0]):
        if y[i] < lo:
            y[i] = lo
        elif y[i] > hi:
            y[i] = hi
    return y


def count_sign_changes(x):
    """Number of sign changes between consecutive samples (zeros skipped)."""
    count = 0
    prev = 0.0
    for v in x:
        if v == 0:
            continue
        if prev != 0 and (v > 0) != (prev > 0):
            count += 1
        prev = v
    return count


def collatz_steps(start):
    """Collatz stopping time of each integer in an array."""
    steps = np.zeros_like(start)
    for k in range(len(start)):
        n = start[k]
        s = 0
        while n != 1:
            if n % 2 == 0:
                n = n // 2
            else:
                n = 3 * n + 1
            s += 1
        steps[k] = s
    return steps
