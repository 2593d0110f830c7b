"""Power spectral density by scipy.signal.welch and the dominant frequency, next to a hand-rolled periodogram."""
import numpy as np
from scipy import signal

SIZES = {"test": {"n": 512}, "test2": {"n": 300}, "bench": {"n": 200_000}}
RTOL = 1e-8


def init(rng, n):
    t = np.arange(n) / 1000.0
    return np.sin(2 * np.pi * 50 * t) + 0.5 * np.sin(2 * np.pi * 120 * t) + rng.standard_normal(n), 1000.0


def kernel(x, fs):
    f, Pxx = signal.welch(x, fs=fs, nperseg=256)
    peak = f[np.argmax(Pxx)]
    win = np.hanning(x.size)
    X = np.fft.rfft((x - x.mean()) * win)
    freqs = np.fft.rfftfreq(x.size, d=1.0 / fs)
    periodogram = np.abs(X) ** 2 / (fs * (win ** 2).sum())
    return f, Pxx, peak, freqs[np.argmax(periodogram)]
