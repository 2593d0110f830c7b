"""Real-world loop kernels: graphs, dynamic programming, sorting and searching (textbook and
competitive-programming style), with their inputs; ``CASES`` and ``XFAIL`` are merged in __init__."""
from __future__ import annotations

import numpy as np

# ---------------------------------------------------------------- graphs


def bfs_distances(adj, start):
    """Hop distances from start by BFS with a preallocated queue array (-1: unreachable)."""
    n = adj.shape[0]
    dist = np.full(n, -1, dtype=np.int64)
    queue = np.zeros(n, dtype=np.int64)
    head = tail = 0
    queue[tail] = start
    tail += 1
    dist[start] = 0
    while head < tail:
        u = queue[head]
        head += 1
        for v in range(n):
            if adj[u, v] and dist[v] == -1:
                dist[v] = dist[u] + 1
                queue[tail] = v
                tail += 1
    return dist


def dfs_preorder(adj, start):
    """Iterative DFS with an explicit stack; the visiting order (padded with -1) and its length."""
    n = adj.shape[0]
    visited = np.zeros(n, dtype=bool)
    stack = np.empty(n * n + 1, dtype=np.int64)
    order = np.full(n, -1)
    top = 0
    stack[top] = start
    top += 1
    k = 0
    while top > 0:
        top -= 1
        u = stack[top]
        if visited[u]:
            continue
        visited[u] = True
        order[k] = u
        k += 1
        for v in range(n - 1, -1, -1):
            if adj[u, v] and not visited[v]:
                stack[top] = v
                top += 1
    return order, k


def topological_sort_kahn(adj):
    """Kahn's algorithm; the order and whether the graph is acyclic."""
    n = len(adj)
    indeg = adj.sum(axis=0)
    q = np.zeros(n, dtype=np.int64)
    head = tail = 0
    for i in range(n):
        if indeg[i] == 0:
            q[tail] = i
            tail += 1
    order = np.zeros(n, dtype=np.int64)
    count = 0
    while head < tail:
        u = q[head]
        head += 1
        order[count] = u
        count += 1
        for v in range(n):
            if adj[u, v]:
                indeg[v] -= 1
                if indeg[v] == 0:
                    q[tail] = v
                    tail += 1
    return order, count == n


def prim_mst(W):
    """Prim's MST on a dense weight matrix (np.inf: no edge): total weight and parent array."""
    n = W.shape[0]
    key = np.full(n, np.inf)
    parent = np.full(n, -1, dtype=np.int64)
    in_tree = np.zeros(n, dtype=bool)
    key[0] = 0.0
    total = 0.0
    for _ in range(n):
        u = -1
        best = np.inf
        for v in range(n):
            if not in_tree[v] and key[v] < best:
                best = key[v]
                u = v
        if u == -1:
            break
        in_tree[u] = True
        total += key[u]
        for v in range(n):
            if not in_tree[v] and W[u, v] < key[v]:
                key[v] = W[u, v]
                parent[v] = u
    return total, parent


def label_propagation_components(adj):
    """Connected components: every vertex takes the smallest label of its neighbours until stable."""
    n = adj.shape[0]
    labels = np.arange(n)
    changed = True
    while changed:
        changed = False
        for i in range(n):
            for j in range(n):
                if adj[i, j] and labels[j] < labels[i]:
                    labels[i] = labels[j]
                    changed = True
    return labels, len(np.unique(labels))


def is_bipartite(adj):
    """Two-colouring by BFS from every uncoloured vertex; False at the first conflict."""
    n = adj.shape[0]
    color = np.full(n, -1)
    queue = np.empty(n, dtype=np.int64)
    for s in range(n):
        if color[s] != -1:
            continue
        color[s] = 0
        head, tail = 0, 1
        queue[0] = s
        while head < tail:
            u = queue[head]
            head += 1
            for v in range(n):
                if adj[u, v] == 0:
                    continue
                if color[v] == -1:
                    color[v] = 1 - color[u]
                    queue[tail] = v
                    tail += 1
                elif color[v] == color[u]:
                    return False
    return True


# ---------------------------------------------------------------- dynamic programming


def rod_cutting(prices, n):
    """Bottom-up rod cutting (CLRS): best revenue and the first cut for each length."""
    r = np.zeros(n + 1)
    s = np.zeros(n + 1, dtype=int)
    for j in range(1, n + 1):
        q = -float("inf")
        for i in range(1, j + 1):
            if i <= len(prices) and q < prices[i - 1] + r[j - i]:
                q = prices[i - 1] + r[j - i]
                s[j] = i
        r[j] = q
    return r[n], s


def subset_sum(nums, target):
    """Whether some subset of nums sums to target, by the boolean DP table."""
    n = len(nums)
    dp = np.zeros((n + 1, target + 1), dtype=bool)
    dp[:, 0] = True
    for i in range(1, n + 1):
        for t in range(1, target + 1):
            if nums[i - 1] > t:
                dp[i, t] = dp[i - 1, t]
            else:
                dp[i, t] = dp[i - 1, t] or dp[i - 1, t - nums[i - 1]]
    return dp[n, target]


def matrix_chain_order(p):
    """Matrix-chain multiplication order (CLRS): minimal scalar multiplications and split table."""
    n = len(p) - 1
    m = np.zeros((n, n))
    s = np.zeros((n, n), dtype=np.int64)
    for length in range(2, n + 1):
        for i in range(n - length + 1):
            j = i + length - 1
            m[i, j] = np.inf
            for k in range(i, j):
                cost = m[i, k] + m[k + 1, j] + p[i] * p[k + 1] * p[j + 1]
                if cost < m[i, j]:
                    m[i, j] = cost
                    s[i, j] = k
    return m[0, n - 1], s


def longest_palindromic_subsequence(s):
    """Length of the longest palindromic subsequence of an integer (character code) array."""
    n = len(s)
    L = np.zeros((n, n), dtype=np.int32)
    for i in range(n):
        L[i][i] = 1
    for cl in range(2, n + 1):
        for i in range(n - cl + 1):
            j = i + cl - 1
            if s[i] == s[j] and cl == 2:
                L[i][j] = 2
            elif s[i] == s[j]:
                L[i][j] = L[i + 1][j - 1] + 2
            else:
                L[i][j] = max(L[i][j - 1], L[i + 1][j])
    return L[0][n - 1]


def min_path_sum(grid):
    """Minimum path sum from the top-left to the bottom-right moving right or down (in place on a copy)."""
    g = grid.copy()
    rows, cols = g.shape
    for i in range(rows):
        for j in range(cols):
            if i == 0 and j == 0:
                continue
            elif i == 0:
                g[i, j] += g[i, j - 1]
            elif j == 0:
                g[i, j] += g[i - 1, j]
            else:
                g[i, j] += min(g[i - 1, j], g[i, j - 1])
    return g[-1, -1]


def unique_paths_with_obstacles(obstacles):
    """Number of right/down paths avoiding cells marked 1 (LeetCode 63)."""
    m, n = obstacles.shape
    if obstacles[0, 0] == 1:
        return 0
    dp = np.zeros((m, n), dtype=np.int64)
    dp[0, 0] = 1
    for i in range(m):
        for j in range(n):
            if obstacles[i, j] == 1:
                dp[i, j] = 0
                continue
            if i > 0:
                dp[i, j] += dp[i - 1, j]
            if j > 0:
                dp[i, j] += dp[i, j - 1]
    return int(dp[m - 1, n - 1])


# ---------------------------------------------------------------- sorting and searching


def selection_sort(arr):
    """Selection sort in place on a copy, swapping the minimum of the rest into place."""
    a = arr.copy()
    n = len(a)
    for i in range(n - 1):
        min_idx = i
        for j in range(i + 1, n):
            if a[j] < a[min_idx]:
                min_idx = j
        if min_idx != i:
            a[i], a[min_idx] = a[min_idx], a[i]
    return a


def shell_sort(arr):
    """Shell sort with the halving gap sequence."""
    a = np.array(arr)
    n = len(a)
    gap = n // 2
    while gap > 0:
        for i in range(gap, n):
            temp = a[i]
            j = i
            while j >= gap and a[j - gap] > temp:
                a[j] = a[j - gap]
                j -= gap
            a[j] = temp
        gap //= 2
    return a


def counting_sort(a, k):
    """Stable counting sort of integers in [0, k) by counts, prefix sums and a backwards pass."""
    count = np.zeros(k, dtype=np.int64)
    for x in a:
        count[x] += 1
    for i in range(1, k):
        count[i] += count[i - 1]
    out = np.empty_like(a)
    for i in reversed(range(len(a))):
        count[a[i]] -= 1
        out[count[a[i]]] = a[i]
    return out


def _lomuto_partition(a, lo, hi):
    pivot = a[hi]
    i = lo
    for j in range(lo, hi):
        if a[j] <= pivot:
            a[i], a[j] = a[j], a[i]
            i += 1
    a[i], a[hi] = a[hi], a[i]
    return i


def quickselect(arr, k):
    """k-th smallest element by iterative quickselect with the Lomuto partition (last element pivot)."""
    a = arr.copy()
    lo, hi = 0, len(a) - 1
    while lo < hi:
        p = _lomuto_partition(a, lo, hi)
        if p == k:
            return a[p]
        elif p < k:
            lo = p + 1
        else:
            hi = p - 1
    return a[lo]


def _lower_bound(a, x):
    lo, hi = 0, len(a)
    while lo < hi:
        mid = (lo + hi) // 2
        if a[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _upper_bound(a, x):
    lo, hi = 0, len(a)
    while lo < hi:
        mid = (lo + hi) // 2
        if a[mid] <= x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def count_in_sorted(a, queries):
    """Occurrences of each query in a sorted array by lower_bound/upper_bound helpers."""
    out = np.zeros(len(queries), dtype=np.int64)
    for qi, x in enumerate(queries):
        out[qi] = _upper_bound(a, x) - _lower_bound(a, x)
    return out


def dedupe_sorted(a):
    """Remove duplicates of a sorted array in place with two pointers; the unique prefix."""
    b = a.copy()
    if len(b) == 0:
        return b
    j = 0
    for i in range(1, len(b)):
        if b[i] != b[j]:
            j += 1
            b[j] = b[i]
    return b[:j + 1]


# ---------------------------------------------------------------- inputs


def _adjacency(rng, n, p, directed=False):
    a = (rng.uniform(size=(n, n)) < p).astype(np.int64)
    np.fill_diagonal(a, 0)
    return a if directed else np.maximum(a, a.T)


def _dag(rng, n):
    return np.triu(_adjacency(rng, n, 0.4, directed=True), 1)


def _weights(rng, n):
    w = np.where(_adjacency(rng, n, 0.5) > 0, rng.uniform(1, 9, (n, n)), np.inf)
    w = np.minimum(w, w.T)
    np.fill_diagonal(w, 0.0)
    return w


def _bipartite(rng, n, s):
    side = np.arange(n) % 2
    a = _adjacency(rng, n, 0.5) * (side[:, None] != side[None, :])
    if s:
        a[0, 2] = a[2, 0] = 1  # an odd cycle may appear: not bipartite
    return a


def _grid01(rng, m, n):
    g = (rng.uniform(size=(m, n)) < 0.2).astype(np.int64)
    g[0, 0] = 0
    return g


CASES = {
    "bfs_distances": (bfs_distances, lambda rng, s: (_adjacency(rng, 6 + s, 0.3), 0)),
    "dfs_preorder": (dfs_preorder, lambda rng, s: (_adjacency(rng, 6 + s, 0.3).astype(bool), 1)),
    "topological_sort_kahn": (topological_sort_kahn, lambda rng, s: (_dag(rng, 6 + s),)),
    "prim_mst": (prim_mst, lambda rng, s: (_weights(rng, 5 + s),)),
    "label_propagation_components": (label_propagation_components,
                                     lambda rng, s: (_adjacency(rng, 7 + s, 0.15),)),
    "is_bipartite": (is_bipartite, lambda rng, s: (_bipartite(rng, 6 + s, s),)),
    "rod_cutting": (rod_cutting, lambda rng, s: (np.array([1.0, 5, 8, 9, 10, 17, 17, 20]), 6 + s)),
    "subset_sum": (subset_sum, lambda rng, s: (rng.integers(1, 9, 5 + s), 13 + s)),
    "matrix_chain_order": (matrix_chain_order, lambda rng, s: (rng.integers(2, 30, 5 + s),)),
    "longest_palindromic_subsequence": (longest_palindromic_subsequence,
                                        lambda rng, s: (rng.integers(97, 100, 8 + s).astype(np.uint8),)),
    "min_path_sum": (min_path_sum, lambda rng, s: (rng.integers(0, 9, (3 + s, 4)),)),
    "unique_paths_with_obstacles": (unique_paths_with_obstacles, lambda rng, s: (_grid01(rng, 4 + s, 5),)),
    "selection_sort": (selection_sort, lambda rng, s: (rng.standard_normal(7 + s),)),
    "shell_sort": (shell_sort, lambda rng, s: (rng.integers(-50, 50, 9 + s),)),
    "counting_sort": (counting_sort, lambda rng, s: (rng.integers(0, 5 + s, 10 + s), 5 + s)),
    "quickselect": (quickselect, lambda rng, s: (rng.standard_normal(9 + s), 4)),
    "count_in_sorted": (count_in_sorted, lambda rng, s: (np.sort(rng.integers(0, 6, 12 + s)),
                                                         rng.integers(-1, 8, 4 + s))),
    "dedupe_sorted": (dedupe_sorted, lambda rng, s: (np.sort(rng.integers(0, 5, 9 + s)),)),
}

XFAIL: dict[str, str] = {}
