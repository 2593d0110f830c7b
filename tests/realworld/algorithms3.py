"""Real-world loop kernels: number theory, simulations and strings as byte arrays (Project Euler,
Rosetta Code and textbook style), with their inputs; ``CASES`` and ``XFAIL`` are merged in __init__."""
from __future__ import annotations

import math

import numpy as np

# ---------------------------------------------------------------- number theory


def prime_factorization(nums):
    """Trial division of each number: distinct prime factors and exponents (padded) and their count."""
    m = len(nums)
    primes = np.zeros((m, 8), dtype=np.int64)
    exps = np.zeros((m, 8), dtype=np.int64)
    counts = np.zeros(m, dtype=np.int64)
    for r in range(m):
        n = int(nums[r])
        k = 0
        d = 2
        while d * d <= n:
            if n % d == 0:
                e = 0
                while n % d == 0:
                    n //= d
                    e += 1
                primes[r, k] = d
                exps[r, k] = e
                k += 1
            d += 1 if d == 2 else 2
        if n > 1:
            primes[r, k] = n
            exps[r, k] = 1
            k += 1
        counts[r] = k
    return primes, exps, counts


def largest_prime_factor(n):
    """Project Euler 3: the largest prime factor of n."""
    factor = 2
    last = 1
    while n > 1:
        if n % factor == 0:
            last = factor
            n = n // factor
            while n % factor == 0:
                n = n // factor
        factor += 1
        if factor * factor > n:
            if n > 1:
                last = n
            break
    return last


def mod_pow_array(bases, exps, mod):
    """Right-to-left binary modular exponentiation of each base (bit tests and shifts)."""
    out = np.empty_like(bases)
    for i in range(len(bases)):
        result = 1
        b = bases[i] % mod
        e = exps[i]
        while e > 0:
            if e & 1:
                result = (result * b) % mod
            b = (b * b) % mod
            e >>= 1
        out[i] = result
    return out


def euler_totient(ns):
    """Euler's phi of each number by trial division over its prime factors."""
    phi = np.zeros(len(ns), dtype=np.int64)
    for idx, n in enumerate(ns):
        result = n
        p = 2
        while p * p <= n:
            if n % p == 0:
                while n % p == 0:
                    n //= p
                result -= result // p
            p += 1
        if n > 1:
            result -= result // n
        phi[idx] = result
    return phi


def digit_sum_and_reverse(nums):
    """Digit sum and digit reversal of each non-negative integer, and how many are palindromes."""
    sums = np.zeros_like(nums)
    revs = np.zeros_like(nums)
    palindromes = 0
    for i, x in enumerate(nums):
        n = x
        s = 0
        r = 0
        while n > 0:
            d = n % 10
            s += d
            r = r * 10 + d
            n //= 10
        sums[i] = s
        revs[i] = r
        if r == x:
            palindromes += 1
    return sums, revs, palindromes


def amicable_sum(limit):
    """Project Euler 21: the sum of amicable numbers below limit via a table of proper divisor sums."""
    d = np.zeros(limit, dtype=np.int64)
    for n in range(2, limit):
        total = 1
        root = int(math.sqrt(n))
        for i in range(2, root + 1):
            if n % i == 0:
                total += i
                if i != n // i:
                    total += n // i
        d[n] = total
    result = 0
    for a in range(2, limit):
        b = d[a]
        if b < limit and b != a and d[b] == a:
            result += a
    return result


def classify_numbers(nums):
    """Deficient (-1), perfect (0) or abundant (1) by the sum of proper divisors, and primality by for-else."""
    kind = np.zeros(len(nums), dtype=np.int8)
    prime = np.zeros(len(nums), dtype=bool)
    for i in range(len(nums)):
        n = nums[i]
        s = 0
        for d in range(1, n // 2 + 1):
            if n % d == 0:
                s += d
        if s < n:
            kind[i] = -1
        elif s == n:
            kind[i] = 0
        else:
            kind[i] = 1
        for d in range(2, n):
            if d * d > n:
                prime[i] = True
                break
            if n % d == 0:
                break
        else:
            prime[i] = n >= 2
    return kind, prime


def happy_numbers(nums):
    """Whether each number is happy (its digit-square sums reach 1), by `while True` with break."""
    out = np.zeros(len(nums), dtype=bool)
    for i in range(len(nums)):
        n = nums[i]
        while True:
            if n == 1:
                out[i] = True
                break
            if n == 4:
                break
            total = 0
            while n:
                n, digit = divmod(n, 10)
                total += digit * digit
            n = total
    return out


# ---------------------------------------------------------------- simulations


def elementary_ca(cells, rule, steps):
    """Elementary cellular automaton (rule 30, 110, ...) on a ring: the space-time diagram."""
    n = len(cells)
    history = np.zeros((steps + 1, n), dtype=np.uint8)
    history[0] = cells
    for t in range(steps):
        row = history[t]
        for i in range(n):
            left = row[(i - 1) % n]
            center = row[i]
            right = row[(i + 1) % n]
            pattern = 4 * left + 2 * center + right
            history[t + 1, i] = (rule >> pattern) & 1
    return history


def langtons_ant(size, steps):
    """Langton's ant on a torus: the final grid, the ant's position and heading."""
    grid = np.zeros((size, size), dtype=np.int8)
    dx = np.array([0, 1, 0, -1])
    dy = np.array([-1, 0, 1, 0])
    x = y = size // 2
    heading = 0
    for _ in range(steps):
        if grid[y, x] == 0:
            heading = (heading + 1) % 4
            grid[y, x] = 1
        else:
            heading = (heading - 1) % 4
            grid[y, x] = 0
        x = (x + dx[heading]) % size
        y = (y + dy[heading]) % size
    return grid, x, y, heading


def gamblers_ruin(steps, start, lo, hi):
    """Random walks from given +-1 steps with absorbing barriers: end position and absorption time (-1: none)."""
    n_walks, n_steps = steps.shape
    final = np.zeros(n_walks, dtype=np.int64)
    hit = np.full(n_walks, -1, dtype=np.int64)
    for w in range(n_walks):
        pos = start
        for t in range(n_steps):
            pos += steps[w, t]
            if pos <= lo or pos >= hi:
                hit[w] = t + 1
                break
        final[w] = pos
    return final, hit


def sir_epidemic(beta, gamma, s0, i0, dt, t_max):
    """SIR model by forward Euler until the infected fraction dies out or t_max; the history and the peak."""
    n_steps = int(t_max / dt)
    hist = np.zeros((n_steps + 1, 3))
    s, i, r = s0, i0, 1.0 - s0 - i0
    hist[0] = s, i, r
    peak_i, peak_t = i, 0.0
    k = 0
    while k < n_steps:
        new_inf = beta * s * i * dt
        new_rec = gamma * i * dt
        s -= new_inf
        i += new_inf - new_rec
        r += new_rec
        k += 1
        hist[k] = [s, i, r]
        if i > peak_i:
            peak_i, peak_t = i, k * dt
        if i < 1e-4:
            break
    return hist[:k + 1], peak_i, peak_t


def bouncing_ball(h0, restitution, dt, t_max):
    """A ball dropped from h0 bouncing with restitution, by a while loop on time: height, bounces, max speed."""
    g = 9.81
    y, v, t = h0, 0.0, 0.0
    bounces = 0
    vmax = 0.0
    while t < t_max:
        v -= g * dt
        y += v * dt
        if y < 0.0:
            y = -y
            v = -v * restitution
            bounces += 1
        vmax = max(vmax, abs(v))
        t += dt
    return y, bounces, vmax


def nagel_schreckenberg(pos, vel, draws, vmax, p, length):
    """Nagel-Schreckenberg traffic on a ring road with given random draws; positions, speeds, mean flow."""
    x = pos.copy()
    v = vel.copy()
    n = len(x)
    flow = 0.0
    for t in range(draws.shape[0]):
        order = np.argsort(x)
        x = x[order]
        v = v[order]
        for i in range(n):
            gap = (x[(i + 1) % n] - x[i] - 1) % length
            v[i] = min(v[i] + 1, vmax)
            v[i] = min(v[i], gap)
            if v[i] > 0 and draws[t, i] < p:
                v[i] -= 1
        x = (x + v) % length
        flow += v.sum() / length
    return x, v, flow / draws.shape[0]


# ---------------------------------------------------------------- strings as byte arrays


def is_palindrome(s):
    """Two-pointer palindrome test of a byte string, skipping non-letters and ignoring case."""
    i, j = 0, len(s) - 1
    while i < j:
        a, b = s[i], s[j]
        if not (65 <= a <= 90 or 97 <= a <= 122):
            i += 1
            continue
        if not (65 <= b <= 90 or 97 <= b <= 122):
            j -= 1
            continue
        if a | 32 != b | 32:
            return False
        i += 1
        j -= 1
    return True


def hamming_distance(a, b):
    """Hamming distance of two byte strings and of their bits (popcount of XOR by Kernighan's trick)."""
    chars = 0
    bits = 0
    for x, y in zip(a, b):
        if x != y:
            chars += 1
        z = int(x) ^ int(y)
        while z:
            z &= z - 1
            bits += 1
    return chars, bits


def kmp_search(text, pattern):
    """KMP: the prefix function of pattern and the start of every match of it in text (padded count)."""
    m = len(pattern)
    pi = np.zeros(m, dtype=np.int64)
    k = 0
    for q in range(1, m):
        while k > 0 and pattern[k] != pattern[q]:
            k = pi[k - 1]
        if pattern[k] == pattern[q]:
            k += 1
        pi[q] = k
    matches = np.full(len(text), -1, dtype=np.int64)
    count = 0
    q = 0
    for i in range(len(text)):
        while q > 0 and pattern[q] != text[i]:
            q = pi[q - 1]
        if pattern[q] == text[i]:
            q += 1
        if q == m:
            matches[count] = i - m + 1
            count += 1
            q = pi[q - 1]
    return pi, matches, count


def run_length_decode(values, counts):
    """Run-length decoding into a preallocated array sized by the total count."""
    out = np.empty(counts.sum(), dtype=values.dtype)
    pos = 0
    for v, c in zip(values, counts):
        out[pos:pos + c] = v
        pos += c
    return out


# ---------------------------------------------------------------- inputs


def _letters(rng, n, palindrome):
    half = rng.integers(97, 100, n).astype(np.uint8)
    if palindrome:
        upper = half[::-1].copy()
        upper[::2] -= 32
        return np.concatenate([half, np.array([32, 33], dtype=np.uint8), upper])
    return np.concatenate([half, rng.integers(97, 100, n).astype(np.uint8)])


CASES = {
    "prime_factorization": (prime_factorization, lambda rng, s: (rng.integers(1, 5000, 6 + s),)),
    "largest_prime_factor": (largest_prime_factor, lambda rng, s: (13195 if s == 0 else 600851,)),
    "mod_pow_array": (mod_pow_array, lambda rng, s: (rng.integers(0, 1000, 6 + s), rng.integers(0, 60, 6 + s),
                                                     1_000_000_007 - 2 * s)),
    "euler_totient": (euler_totient, lambda rng, s: (rng.integers(1, 3000, 7 + s),)),
    "digit_sum_and_reverse": (digit_sum_and_reverse,
                              lambda rng, s: (np.concatenate([[0, 121, 1001], rng.integers(1, 10**6, 5 + s)]),)),
    "amicable_sum": (amicable_sum, lambda rng, s: (300 + 100 * s,)),
    "classify_numbers": (classify_numbers, lambda rng, s: (np.concatenate([[1, 2, 6, 28, 12, 13], rng.integers(
        1, 500, 4 + s)]),)),
    "happy_numbers": (happy_numbers, lambda rng, s: (rng.integers(1, 1000, 8 + s),)),
    "elementary_ca": (elementary_ca, lambda rng, s: (rng.integers(0, 2, 9 + s).astype(np.uint8), 30 if s else 110,
                                                     6 + s)),
    "langtons_ant": (langtons_ant, lambda rng, s: (7 + s, 40 + 10 * s)),
    "gamblers_ruin": (gamblers_ruin, lambda rng, s: (rng.choice([-1, 1], size=(4 + s, 15)), 3, 0, 6)),
    "sir_epidemic": (sir_epidemic, lambda rng, s: (0.5 + 0.1 * s, 0.2 + 0.05 * s, 0.99, 0.01, 0.5, 40.0 + 40 * s)),
    "bouncing_ball": (bouncing_ball, lambda rng, s: (2.0 + s, 0.8, 0.01, 1.5 + 0.5 * s)),
    "nagel_schreckenberg": (nagel_schreckenberg, lambda rng, s: (
        np.sort(rng.choice(20 + 2 * s, 6 + s, replace=False)), rng.integers(0, 3, 6 + s),
        rng.uniform(size=(5 + s, 6 + s)), 5, 0.3, 20 + 2 * s)),
    "is_palindrome": (is_palindrome, lambda rng, s: (_letters(rng, 4 + s, s == 0),)),
    "hamming_distance": (hamming_distance, lambda rng, s: (rng.integers(97, 101, 9 + s).astype(np.uint8),
                                                           rng.integers(97, 101, 9 + s).astype(np.uint8))),
    "kmp_search": (kmp_search, lambda rng, s: (rng.integers(0, 2, 20 + 3 * s), np.array([1, 0, 1] + [1] * (s > 0)))),
    "run_length_decode": (run_length_decode, lambda rng, s: (rng.standard_normal(4 + s), rng.integers(0, 4, 4 + s))),
}

XFAIL: dict[str, str] = {  # refused with an error naming the user's line (not a wrong answer)
    "run_length_decode": "np.empty(counts.sum()): an array whose size is computed from the data",
}
