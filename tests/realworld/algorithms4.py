"""Real-world loop kernels: more sorts, grid searches, checksums and puzzles (Rosetta Code and
interview style), with their inputs; ``CASES`` and ``XFAIL`` are merged in __init__."""
from __future__ import annotations

import numpy as np


def gnome_sort(arr):
    """Gnome sort: one index walking forward, and back after each swap."""
    a = arr.copy()
    i = 0
    while i < len(a):
        if i == 0 or a[i - 1] <= a[i]:
            i += 1
        else:
            a[i], a[i - 1] = a[i - 1], a[i]
            i -= 1
    return a


def cocktail_shaker_sort(arr):
    """Cocktail shaker sort: alternate forward and backward bubble passes until none swaps."""
    a = arr.copy()
    start, end = 0, len(a) - 1
    swapped = True
    while swapped:
        swapped = False
        for i in range(start, end):
            if a[i] > a[i + 1]:
                a[i], a[i + 1] = a[i + 1], a[i]
                swapped = True
        if not swapped:
            break
        swapped = False
        end -= 1
        for i in range(end - 1, start - 1, -1):
            if a[i] > a[i + 1]:
                a[i], a[i + 1] = a[i + 1], a[i]
                swapped = True
        start += 1
    return a


def count_islands(grid):
    """Number of 4-connected islands of 1s, by an explicit stack flood fill (and the largest area)."""
    rows, cols = grid.shape
    seen = np.zeros((rows, cols), dtype=bool)
    stack = np.zeros((rows * cols, 2), dtype=np.int64)
    islands = 0
    largest = 0
    for r in range(rows):
        for c in range(cols):
            if grid[r, c] == 0 or seen[r, c]:
                continue
            islands += 1
            area = 0
            top = 0
            stack[top] = r, c
            top += 1
            seen[r, c] = True
            while top > 0:
                top -= 1
                y, x = stack[top]
                area += 1
                for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                    ny, nx = y + dy, x + dx
                    if 0 <= ny < rows and 0 <= nx < cols and grid[ny, nx] == 1 and not seen[ny, nx]:
                        seen[ny, nx] = True
                        stack[top, 0] = ny
                        stack[top, 1] = nx
                        top += 1
            largest = max(largest, area)
    return islands, largest


def luhn_valid(digits):
    """Luhn checksum of each row of decimal digits (rightmost is the check digit)."""
    n_rows, n = digits.shape
    ok = np.zeros(n_rows, dtype=bool)
    for r in range(n_rows):
        total = 0
        for k, d in enumerate(reversed(digits[r])):
            if k % 2 == 1:
                d = d * 2
                if d > 9:
                    d -= 9
            total += d
        ok[r] = total % 10 == 0
    return ok


def caesar_cipher(text, shift):
    """Shift the letters of a byte string (other bytes unchanged), upper and lower case."""
    out = text.copy()
    for i in range(len(text)):
        c = int(text[i])
        if ord("a") <= c <= ord("z"):
            out[i] = (c - ord("a") + shift) % 26 + ord("a")
        elif ord("A") <= c <= ord("Z"):
            out[i] = (c - ord("A") + shift) % 26 + ord("A")
    return out


def josephus(n, k):
    """Josephus problem by simulation on an alive mask: the order of elimination and the survivor."""
    alive = np.ones(n, dtype=bool)
    order = np.zeros(n, dtype=np.int64)
    idx = -1
    for e in range(n):
        steps = 0
        while steps < k:
            idx = (idx + 1) % n
            if alive[idx]:
                steps += 1
        alive[idx] = False
        order[e] = idx
    return order, order[-1]


def bresenham_line(canvas, x0, y0, x1, y1):
    """Rasterize a line into a copy of canvas with Bresenham's integer algorithm; the pixel count."""
    img = canvas.copy()
    dx = abs(x1 - x0)
    dy = -abs(y1 - y0)
    sx = 1 if x0 < x1 else -1
    sy = 1 if y0 < y1 else -1
    err = dx + dy
    count = 0
    while True:
        img[y0, x0] = 1
        count += 1
        if x0 == x1 and y0 == y1:
            break
        e2 = 2 * err
        if e2 >= dy:
            err += dy
            x0 += sx
        if e2 <= dx:
            err += dx
            y0 += sy
    return img, count


def spiral_order(M):
    """The elements of a matrix in clockwise spiral order by shrinking bounds."""
    rows, cols = M.shape
    out = np.empty(rows * cols, dtype=M.dtype)
    top, bottom, left, right = 0, rows - 1, 0, cols - 1
    k = 0
    while top <= bottom and left <= right:
        for j in range(left, right + 1):
            out[k] = M[top, j]
            k += 1
        top += 1
        for i in range(top, bottom + 1):
            out[k] = M[i, right]
            k += 1
        right -= 1
        if top <= bottom:
            for j in range(right, left - 1, -1):
                out[k] = M[bottom, j]
                k += 1
            bottom -= 1
        if left <= right:
            for i in range(bottom, top - 1, -1):
                out[k] = M[i, left]
                k += 1
            left += 1
    return out


def sudoku_valid(board):
    """Whether a filled 9x9 Sudoku is valid: rows, columns and boxes by seen-flag arrays."""
    for i in range(9):
        row_seen = np.zeros(10, dtype=bool)
        col_seen = np.zeros(10, dtype=bool)
        box_seen = np.zeros(10, dtype=bool)
        for j in range(9):
            r = board[i, j]
            c = board[j, i]
            b = board[3 * (i // 3) + j // 3, 3 * (i % 3) + j % 3]
            if row_seen[r] or col_seen[c] or box_seen[b]:
                return False
            row_seen[r] = col_seen[c] = box_seen[b] = True
    return True


def binary_gcd(a, b):
    """Stein's binary GCD of each pair (shifts, parity tests and subtraction)."""
    out = np.zeros(len(a), dtype=np.int64)
    for i in range(len(a)):
        u, v = int(a[i]), int(b[i])
        if u == 0 or v == 0:
            out[i] = u | v
            continue
        shift = 0
        while ((u | v) & 1) == 0:
            u >>= 1
            v >>= 1
            shift += 1
        while (u & 1) == 0:
            u >>= 1
        while v != 0:
            while (v & 1) == 0:
                v >>= 1
            if u > v:
                u, v = v, u
            v -= u
        out[i] = u << shift
    return out


def z_function(s):
    """Z-array of an integer string: z[i] = longest common prefix of s and s[i:]."""
    n = len(s)
    z = np.zeros(n, dtype=np.int64)
    left = right = 0
    for i in range(1, n):
        if i < right:
            z[i] = min(right - i, z[i - left])
        while i + z[i] < n and s[z[i]] == s[i + z[i]]:
            z[i] += 1
        if i + z[i] > right:
            left, right = i, i + z[i]
    return z


def pancake_sort(arr):
    """Pancake sort: flip the largest remaining element to the front, then into place."""
    a = arr.copy()
    for size in range(len(a), 1, -1):
        mi = np.argmax(a[:size])
        if mi != size - 1:
            a[:mi + 1] = a[:mi + 1][::-1]
            a[:size] = a[:size][::-1]
    return a


def _make_sudoku(rng, bad):
    base = np.array([[(3 * (r % 3) + r // 3 + c) % 9 + 1 for c in range(9)] for r in range(9)])
    board = base.copy()
    if bad:
        board[4, 4] = board[4, 5]
    return board


def _luhn_rows(rng, s):
    d = rng.integers(0, 10, (4 + s, 12))
    d[0] = [0, 7, 9, 9, 2, 7, 3, 9, 8, 7, 1, 3]  # 79927398713: valid
    return (d,)


CASES = {
    "gnome_sort": (gnome_sort, lambda rng, s: (rng.integers(-9, 9, 7 + s),)),
    "cocktail_shaker_sort": (cocktail_shaker_sort, lambda rng, s: (rng.standard_normal(8 + s),)),
    "count_islands": (count_islands, lambda rng, s: ((rng.uniform(size=(4 + s, 5)) < 0.45).astype(np.int64),)),
    "luhn_valid": (luhn_valid, _luhn_rows),
    "caesar_cipher": (caesar_cipher, lambda rng, s: (np.frombuffer(b"Hello, World! xyz" + b"Ab" * s, np.uint8).copy(),
                                                     3 + 20 * s)),
    "josephus": (josephus, lambda rng, s: (7 + s, 3 if s == 0 else 2)),
    "bresenham_line": (bresenham_line, lambda rng, s: (np.zeros((8 + s, 9), dtype=np.uint8), 1, 6 + s, 7, 0)),
    "spiral_order": (spiral_order, lambda rng, s: (rng.integers(0, 99, (3 + s, 4)),)),
    "sudoku_valid": (sudoku_valid, lambda rng, s: (_make_sudoku(rng, s > 0),)),
    "binary_gcd": (binary_gcd, lambda rng, s: (np.concatenate([[0, 12], rng.integers(0, 2**20, 5 + s)]),
                                               np.concatenate([[5, 0], rng.integers(0, 2**20, 5 + s)]))),
    "z_function": (z_function, lambda rng, s: (rng.integers(0, 2, 10 + 2 * s),)),
    "pancake_sort": (pancake_sort, lambda rng, s: (rng.standard_normal(6 + s),)),
}

XFAIL: dict[str, str] = {}
