"""Time delay between two signals by FFT cross-correlation (rfft with zero padding to a power of two)."""
import numpy as np

SIZES = {"test": {"n": 64}, "test2": {"n": 20}, "bench": {"n": 100_000}}
RTOL = 1e-8


def init(rng, n):
    x = rng.standard_normal(n)
    return x, np.roll(x, 7) + 0.1 * rng.standard_normal(n)


def kernel(a, b):
    n = len(a) + len(b) - 1
    nfft = 1 << (n - 1).bit_length()
    A = np.fft.rfft(a - a.mean(), nfft)
    B = np.fft.rfft(b - b.mean(), nfft)
    xc = np.fft.irfft(np.conj(A) * B, nfft)
    xc = np.concatenate((xc[-(len(a) - 1):], xc[:len(b)]))
    lags = np.arange(-(len(a) - 1), len(b))
    scale = np.sqrt(np.sum((a - a.mean()) ** 2) * np.sum((b - b.mean()) ** 2))
    xc /= scale
    direct = np.correlate(b - b.mean(), a - a.mean(), "full") / scale if len(a) < 1000 else xc
    return lags[np.argmax(xc)], xc.max(), np.allclose(xc, direct)
