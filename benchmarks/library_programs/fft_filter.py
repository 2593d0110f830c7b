"""Low-pass filtering by complex FFT: np.fft.fft, a frequency mask, np.fft.ifft, real part."""
import numpy as np

SIZES = {"test": {"n": 64}, "test2": {"n": 45}, "bench": {"n": 1 << 20}}
RTOL = 1e-9


def init(rng, n):
    t = np.arange(n) / n
    return np.sin(2 * np.pi * 5 * t) + 0.5 * rng.standard_normal(n), 0.05


def kernel(x, cutoff):
    X = np.fft.fft(x)
    freqs = np.fft.fftfreq(x.shape[0])
    X[np.abs(freqs) > cutoff] = 0
    y = np.fft.ifft(X).real
    return y, np.sqrt(np.mean((x - y) ** 2))
