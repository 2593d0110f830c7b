"""Blur an image by a Gaussian kernel built on np.meshgrid, convolved through np.fft.fft2/ifft2 (circular)."""
import numpy as np

SIZES = {"test": {"h": 16, "w": 12}, "test2": {"h": 8, "w": 8}, "bench": {"h": 512, "w": 512}}
RTOL = 1e-8


def init(rng, h, w):
    return rng.random((h, w)), 1.5


def kernel(img, sigma):
    h, w = img.shape
    y, x = np.meshgrid(np.fft.fftfreq(h) * h, np.fft.fftfreq(w) * w, indexing="ij")
    g = np.exp(-(x ** 2 + y ** 2) / (2 * sigma ** 2))
    g /= g.sum()
    blurred = np.real(np.fft.ifft2(np.fft.fft2(img) * np.fft.fft2(g)))
    edges = np.hypot(*np.gradient(blurred))
    return blurred, edges.max()
