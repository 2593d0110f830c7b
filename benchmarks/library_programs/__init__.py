"""NumPy programs around library calls, written the natural way (issue 17).

Same protocol as ``benchmarks/loop_programs``: each module holds ``kernel(*args)`` (plain
NumPy, no ``tj.*`` calls), ``init(rng, **size)`` and ``SIZES`` (``test``, ``test2`` and
``bench``), plus ``RTOL`` (the tolerance jitted results are held to against eager; ``0.0``:
bit-identical). ``RANDOM`` marks programs drawing from a ``numpy.random.Generator``
argument, ``GLOBAL_RANDOM`` those drawing from NumPy's legacy global state (the caller seeds
it with ``np.random.seed``). ``python -m benchmarks.library`` times them.
"""
from __future__ import annotations

import copy
import importlib
import importlib.util
from types import ModuleType
from typing import Any

import numpy as np

NAMES = ("pairwise_hist", "normal_eq", "kalman", "gp_predict", "spectrum", "mc_pi", "option_mc", "random_walk",
         "unique_counts", "digitize_bincount", "interp_resample", "percentile_clip", "cov_eig", "corrcoef_eig",
         "cdf_sample", "select_piecewise", "weighted_average", "trapezoid_energy", "gauss_loglik", "qr_lstsq",
         "lstsq_fit", "fft_filter", "convolve_smooth", "polyfit_detrend", "moving_average", "nan_stats",
         "topk_sorted", "kron_laplacian", "einsum_bilinear", "softmax_xent", "clip_bounds", "add_at_degree",
         "argpartition_topk", "radial_profile", "robust_z", "mahalanobis_inv", "bootstrap_mean",
         # real-world kernels as users write them (SVD/PCA, pinv, histogram2d, np.vectorize, legacy and
         # Generator draws, np.random.shuffle, histogramdd, digitize + bincount, eigh, Sobel + histogram)
         "pca_svd", "ridge_pinv", "mutual_info_hist2d", "vectorize_tax", "gbm_legacy", "shuffle_split",
         "multinomial_dirichlet", "particle_resample", "binned_stats", "row_normalize", "histdd_density",
         "normal_modes", "sobel_orientation")
SCIPY_NAMES = ("kmeans_cdist", "ttest_stats", "logsumexp_mixture", "savgol_peaks", "expm_ode")
"""Programs calling SciPy (an optional extra): part of :data:`NAMES` where SciPy is installed."""
EXTRA_NAMES = ("welch_psd", "butter_filtfilt", "ecdf_ks", "apply_along_axis_detrend", "einsum_attention",
               "gaussian_blur_fft", "permutation_test", "poisson_glm", "fft_xcorr")
"""More real-world programs (SciPy among them), tested only with ``--runslow`` (CI time) and benchmarked
with ``--only``."""
if importlib.util.find_spec("scipy") is not None:
    NAMES += SCIPY_NAMES


def program(name: str) -> ModuleType:
    """The module of the program ``name`` (one of :data:`NAMES`)."""
    return importlib.import_module(f"benchmarks.library_programs.{name}")


def arguments(prog: ModuleType, size: str, seed: int) -> tuple:
    """The arguments of ``prog`` at its size ``size``, drawn from a generator seeded ``seed``."""
    return prog.init(np.random.default_rng(seed), **prog.SIZES[size])


def fresh(args: tuple) -> list:
    """Copies of ``args``: arrays and generators copied (the kernel may write into or draw from them)."""
    return [copy.deepcopy(a) if isinstance(a, (np.ndarray, np.random.Generator)) else a for a in args]


def call(kernel: Any, args: tuple, seed: int = 1234) -> Any:
    """``kernel`` on fresh copies of ``args``, NumPy's global random state seeded ``seed`` first."""
    np.random.seed(seed)
    with np.errstate(all="ignore"):
        return kernel(*fresh(args))
