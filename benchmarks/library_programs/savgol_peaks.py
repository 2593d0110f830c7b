"""Smooth with scipy.signal.savgol_filter, locate peaks with scipy.signal.find_peaks, their prominences."""
import numpy as np
from scipy.signal import find_peaks, savgol_filter

SIZES = {"test": {"n": 200}, "test2": {"n": 60}, "bench": {"n": 200_000}}
RTOL = 1e-8


def init(rng, n):
    t = np.linspace(0, 10, n)
    return (np.sin(3 * t) + 0.2 * rng.standard_normal(n),)


def kernel(x):
    smooth = savgol_filter(x, 11, 3)
    peaks, props = find_peaks(smooth, prominence=0.5)
    return smooth, peaks, props["prominences"], peaks.size
