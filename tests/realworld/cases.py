"""Inputs of the real-world kernels: ``CASES`` maps a name to (kernel, make_inputs), make_inputs(rng, scale)
returning the argument tuple for a size scale (0 for the first call, larger for a second call)."""
from __future__ import annotations

import numpy as np

from tests.realworld.algorithms import (
    argmax_loop,
    bubble_sort,
    clip_loop,
    collatz_steps,
    count_sign_changes,
    cumprod_reset,
    edit_distance,
    floyd_warshall,
    histogram_loop,
    insertion_sort,
    kadane,
    lcs_length,
    merge_sorted,
    moving_average,
    prefix_sum,
    run_length_encode,
    running_max_min,
    sieve,
    viterbi,
)
from tests.realworld.idioms import (
    bellman_ford,
    binary_search,
    coin_change,
    conjugate_gradient,
    count_inversions,
    determinant_gauss,
    dijkstra,
    gcd_elementwise,
    is_sorted,
    knapsack,
    lif_neuron,
    linear_search,
    logistic_map_lyapunov,
    longest_increasing_subsequence,
    lu_pivot,
    max_pool_loops,
    polymul,
    reflecting_walk,
    relu_inplace,
    rk4,
    simpson,
    union_find_components,
    welford,
)
from tests.realworld.idioms2 import (
    cosine_similarity_loop,
    ema_rows,
    euler_history,
    find_peaks_loop,
    first_pair_with_sum,
    float_accumulate,
    flood_relax,
    kmeans,
    pascal_triangle,
    running_sum_slices,
    trapezoid_math,
    weighted_mean_zip,
)
from tests.realworld.numerics import (
    back_substitution,
    bisection,
    convolve2d_loops,
    game_of_life,
    gauss_seidel,
    gradient_descent,
    gram_schmidt,
    heat_1d,
    horner,
    householder_qr,
    jacobi,
    mandelbrot_pixels,
    mandelbrot_vectorized,
    matrix_power,
    nbody,
    newton_sqrt,
    power_iteration,
    secant,
    softmax_rows,
    thomas,
)


def _spd(rng, n):
    m = rng.standard_normal((n, n))
    return m @ m.T + n * np.eye(n)


def _diag_dominant(rng, n):
    m = rng.uniform(-1, 1, (n, n))
    return m + np.diag(np.abs(m).sum(axis=1) + 1.0)


def _graph(rng, n):
    d = rng.uniform(1, 10, (n, n))
    d[rng.uniform(size=(n, n)) < 0.5] = np.inf
    np.fill_diagonal(d, 0.0)
    return d


def _hmm(rng, s):
    a = rng.uniform(0.1, 1, (s, s))
    b = rng.uniform(0.1, 1, (s, 4))
    pi = rng.uniform(0.1, 1, s)
    return pi / pi.sum(), a / a.sum(axis=1, keepdims=True), b / b.sum(axis=1, keepdims=True)


def _tridiag(rng, n):
    a = rng.uniform(-1, 1, n)
    c = rng.uniform(-1, 1, n)
    b = 4.0 + rng.uniform(0, 1, n)
    return a, b, c, rng.standard_normal(n)


def _viterbi_inputs(rng, s):
    pi, a, b = _hmm(rng, 3)
    return rng.integers(0, 4, 6 + 2 * s), pi, a, b


def _life(rng, s):
    return (rng.uniform(size=(5 + s, 6 + s)) < 0.4).astype(np.int64), 3


def _sorted(rng, n):
    return np.sort(rng.integers(0, 50, n))


def _gd(rng, s):
    X = rng.standard_normal((10 + 5 * s, 3))
    return X, X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.standard_normal(X.shape[0]), 0.1, 1e-8


CASES = {
    "floyd_warshall": (floyd_warshall, lambda rng, s: (_graph(rng, 5 + s),)),
    "edit_distance": (edit_distance, lambda rng, s: (rng.integers(0, 3, 5 + s), rng.integers(0, 3, 4 + s))),
    "lcs_length": (lcs_length, lambda rng, s: (rng.integers(0, 3, 6 + s), rng.integers(0, 3, 5 + s))),
    "viterbi": (viterbi, _viterbi_inputs),
    "bubble_sort": (bubble_sort, lambda rng, s: (rng.standard_normal(7 + s),)),
    "insertion_sort": (insertion_sort, lambda rng, s: (rng.integers(-20, 20, 8 + s),)),
    "histogram_loop": (histogram_loop, lambda rng, s: (rng.uniform(-0.2, 1.2, 20 + 5 * s), 5)),
    "running_max_min": (running_max_min, lambda rng, s: (rng.standard_normal(9 + s),)),
    "game_of_life": (game_of_life, _life),
    "mandelbrot_pixels": (mandelbrot_pixels, lambda rng, s: (np.linspace(-2, 0.5, 5 + s),
                                                           np.linspace(-1, 1, 4 + s), 20)),
    "mandelbrot_vectorized": (mandelbrot_vectorized, lambda rng, s: (np.linspace(-2, 0.5, 7 + s),
                                                                   np.linspace(-1, 1, 6 + s), 25)),
    "jacobi": (jacobi, lambda rng, s: (_diag_dominant(rng, 4 + s), rng.standard_normal(4 + s), 1e-10)),
    "gauss_seidel": (gauss_seidel, lambda rng, s: (_diag_dominant(rng, 4 + s), rng.standard_normal(4 + s), 1e-10)),
    "bisection": (bisection, lambda rng, s: (np.array([1.0, 0.0, -2.0 - s]), 0.0, 4.0, 1e-9)),
    "secant": (secant, lambda rng, s: (np.array([1.0, 0.0, -2.0 - s]), 1.0, 2.0, 1e-12)),
    "horner": (horner, lambda rng, s: (rng.standard_normal(4 + s), rng.standard_normal(6 + s))),
    "power_iteration": (power_iteration, lambda rng, s: (_spd(rng, 4 + s), 1e-10)),
    "matrix_power": (matrix_power, lambda rng, s: (rng.uniform(-0.5, 0.5, (3 + s, 3 + s)), 13 + s)),
    "nbody": (nbody, lambda rng, s: (rng.standard_normal((4 + s, 3)), rng.standard_normal((4 + s, 3)),
                                     rng.uniform(0.5, 1.5, 4 + s), 0.01, 5)),
    "heat_1d": (heat_1d, lambda rng, s: (rng.standard_normal(10 + s), 0.25, 20)),
    "prefix_sum": (prefix_sum, lambda rng, s: (rng.integers(-5, 5, 9 + s),)),
    "moving_average": (moving_average, lambda rng, s: (rng.standard_normal(12 + s), 3)),
    "kadane": (kadane, lambda rng, s: (rng.standard_normal(10 + s),)),
    "merge_sorted": (merge_sorted, lambda rng, s: (_sorted(rng, 5 + s), _sorted(rng, 7))),
    "run_length_encode": (run_length_encode, lambda rng, s: (rng.integers(0, 2, 12 + s),)),
    "argmax_loop": (argmax_loop, lambda rng, s: (rng.integers(0, 10, 11 + s),)),
    "gradient_descent": (gradient_descent, _gd),
    "gram_schmidt": (gram_schmidt, lambda rng, s: (rng.standard_normal((5 + s, 3 + s)),)),
    "householder_qr": (householder_qr, lambda rng, s: (rng.standard_normal((5 + s, 3 + s)),)),
    "back_substitution": (back_substitution, lambda rng, s: (np.triu(rng.standard_normal((5 + s, 5 + s)))
                                                           + 5 * np.eye(5 + s), rng.standard_normal(5 + s))),
    "thomas": (thomas, lambda rng, s: _tridiag(rng, 6 + s)),
    "sieve": (sieve, lambda rng, s: (30 + 7 * s,)),
    "convolve2d_loops": (convolve2d_loops, lambda rng, s: (rng.standard_normal((6 + s, 7 + s)),
                                                         rng.standard_normal((3, 3)))),
    "softmax_rows": (softmax_rows, lambda rng, s: (rng.standard_normal((4 + s, 5)),)),
    "cumprod_reset": (cumprod_reset, lambda rng, s: (rng.uniform(0.5, 3.0, 10 + s), 10.0)),
    "clip_loop": (clip_loop, lambda rng, s: (rng.standard_normal(10 + s), -0.5, 0.5)),
    "count_sign_changes": (count_sign_changes, lambda rng, s: (np.round(rng.standard_normal(15 + s)),)),
    "newton_sqrt": (newton_sqrt, lambda rng, s: (rng.uniform(0.1, 50, 6 + s), 1e-12)),
    "collatz_steps": (collatz_steps, lambda rng, s: (rng.integers(1, 30, 5 + s),)),
}


def _edges(rng, s):
    n = 6 + s
    return n, rng.integers(0, n, (4 + s, 2))


def _bellman(rng, s):
    n = 5 + s
    m = 3 * n
    return n, rng.integers(0, n, m), rng.integers(0, n, m), rng.uniform(0.5, 5, m)


CASES.update({
    "binary_search": (binary_search, lambda rng, s: (np.sort(rng.standard_normal(9 + s)), 0.1)),
    "linear_search": (linear_search, lambda rng, s: (rng.integers(0, 6, 8 + s), 3)),
    "is_sorted": (is_sorted, lambda rng, s: (np.sort(rng.integers(0, 9, 7 + s)) if s else rng.integers(0, 9, 7),)),
    "gcd_elementwise": (gcd_elementwise, lambda rng, s: (rng.integers(1, 100, 6 + s), rng.integers(1, 100, 6 + s))),
    "dijkstra": (dijkstra, lambda rng, s: (np.where(np.eye(5 + s, dtype=bool), 0.0, _graph(rng, 5 + s)), 0)),
    "bellman_ford": (bellman_ford, _bellman),
    "knapsack": (knapsack, lambda rng, s: (rng.integers(1, 6, 4 + s), rng.uniform(1, 10, 4 + s), 8 + s)),
    "longest_increasing_subsequence": (longest_increasing_subsequence, lambda rng, s: (rng.integers(0, 20, 9 + s),)),
    "count_inversions": (count_inversions, lambda rng, s: (rng.standard_normal(8 + s),)),
    "coin_change": (coin_change, lambda rng, s: (np.array([3, 5, 7]), 11 + s)),
    "rk4": (rk4, lambda rng, s: (np.array([1.0, 0.0]), 0.0, 2.0, 20 + s)),
    "lif_neuron": (lif_neuron, lambda rng, s: (rng.uniform(0, 3, 30 + s), 0.1, 1.0)),
    "welford": (welford, lambda rng, s: (rng.standard_normal(10 + s),)),
    "relu_inplace": (relu_inplace, lambda rng, s: (rng.standard_normal((3 + s, 4)),)),
    "conjugate_gradient": (conjugate_gradient, lambda rng, s: (_spd(rng, 4 + s), rng.standard_normal(4 + s), 1e-10)),
    "determinant_gauss": (determinant_gauss, lambda rng, s: (rng.standard_normal((4 + s, 4 + s)),)),
    "max_pool_loops": (max_pool_loops, lambda rng, s: (rng.standard_normal((4 + 2 * s, 6)), 2)),
    "simpson": (simpson, lambda rng, s: (np.sin(np.linspace(0, 1, 9 + 2 * s)), 0.125)),
    "reflecting_walk": (reflecting_walk, lambda rng, s: (rng.standard_normal(12 + s), -1.0, 1.0)),
    "polymul": (polymul, lambda rng, s: (rng.integers(-3, 3, 3 + s), rng.standard_normal(4))),
    "union_find_components": (union_find_components, _edges),
    "lu_pivot": (lu_pivot, lambda rng, s: (rng.standard_normal((4 + s, 4 + s)),)),
    "logistic_map_lyapunov": (logistic_map_lyapunov, lambda rng, s: (np.linspace(2.5, 3.9, 5 + s), 0.3, 50)),
})


CASES.update({
    "find_peaks_loop": (find_peaks_loop, lambda rng, s: (rng.standard_normal(12 + s),)),
    "euler_history": (euler_history, lambda rng, s: (1.0 + s, 0.05, 10 + s)),
    "trapezoid_math": (trapezoid_math, lambda rng, s: (0.0, 2.0, 16 + s, 1.0 + 0.5 * s)),
    "kmeans": (kmeans, lambda rng, s: (rng.standard_normal((20 + s, 2)), rng.standard_normal((3, 2)), 4)),
    "flood_relax": (flood_relax, lambda rng, s: (np.where(rng.uniform(size=(5 + s, 6)) < 0.2, -1.0,
                                                          rng.uniform(0, 1, (5 + s, 6))), 50)),
    "first_pair_with_sum": (first_pair_with_sum, lambda rng, s: (rng.integers(0, 10, 8 + s), 9)),
    "weighted_mean_zip": (weighted_mean_zip, lambda rng, s: (rng.standard_normal(9 + s), rng.uniform(-0.5, 1, 9 + s))),
    "float_accumulate": (float_accumulate, lambda rng, s: (rng.standard_normal(10 + s).astype(np.float32),)),
    "running_sum_slices": (running_sum_slices, lambda rng, s: (rng.standard_normal(9 + s),)),
    "pascal_triangle": (pascal_triangle, lambda rng, s: (6 + s,)),
    "ema_rows": (ema_rows, lambda rng, s: (rng.standard_normal((3 + s, 8)), 0.3)),
    "cosine_similarity_loop": (cosine_similarity_loop, lambda rng, s: (rng.standard_normal((4 + s, 3)),)),
})

# Refused with an error naming the user's line (not a wrong answer): strict xfails in test_realworld_loops.py.
XFAIL: dict[str, str] = {  # refused with an error naming the user's line (not a wrong answer)
    "determinant_gauss": "a loop with an early `return` whose body needs its index as a Python value (M[k:, k]): "
                         "the probe does not take loops a traced `break` may end",
}
