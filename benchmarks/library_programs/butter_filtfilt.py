"""Zero-phase low-pass filtering (scipy.signal.butter + filtfilt) and the residual's RMS."""
import numpy as np
from scipy.signal import butter, filtfilt

SIZES = {"test": {"n": 300}, "test2": {"n": 100}, "bench": {"n": 100_000}}
RTOL = 1e-8


def init(rng, n):
    t = np.linspace(0, 1, n)
    return t, np.sin(2 * np.pi * 3 * t) + 0.3 * rng.standard_normal(n)


def kernel(t, x, order=4, cutoff=0.05):
    b, a = butter(order, cutoff)
    smooth = filtfilt(b, a, x)
    resid = x - smooth
    rms = np.sqrt(np.mean(resid ** 2))
    return smooth, rms
