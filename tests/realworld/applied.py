"""Real-world applied kernels, signal and image processing by loops (DSP textbook and StackOverflow style)."""
from __future__ import annotations

import math

import numpy as np


def fir_filter(x, h):
    """Direct-form FIR: y[n] = sum_k h[k] x[n-k], zero before the start."""
    N = len(x)
    M = len(h)
    y = np.zeros(N)
    for n in range(N):
        acc = 0.0
        for k in range(M):
            if n - k >= 0:
                acc += h[k] * x[n - k]
        y[n] = acc
    return y


def biquad(x, b0, b1, b2, a1, a2):
    """Biquad IIR section, direct form I with the four delay values in scalars."""
    y = np.zeros_like(x)
    x1 = x2 = 0.0
    y1 = y2 = 0.0
    for n in range(len(x)):
        xn = x[n]
        yn = b0 * xn + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
        x2, x1 = x1, xn
        y2, y1 = y1, yn
        y[n] = yn
    return y


def goertzel(samples, target_freq, sample_rate):
    """Power of one DFT bin by the Goertzel recurrence."""
    n = len(samples)
    k = int(0.5 + n * target_freq / sample_rate)
    omega = 2.0 * math.pi * k / n
    coeff = 2.0 * math.cos(omega)
    s_prev = 0.0
    s_prev2 = 0.0
    for sample in samples:
        s = sample + coeff * s_prev - s_prev2
        s_prev2 = s_prev
        s_prev = s
    power = s_prev2 * s_prev2 + s_prev * s_prev - coeff * s_prev * s_prev2
    return power


def autocorrelation(x, max_lag):
    """Normalized autocorrelation for lags 0..max_lag by explicit loops."""
    n = len(x)
    x = x - x.mean()
    r = np.zeros(max_lag + 1)
    for lag in range(max_lag + 1):
        s = 0.0
        for i in range(n - lag):
            s += x[i] * x[i + lag]
        r[lag] = s
    if r[0] == 0:
        return r
    return r / r[0]


def zero_crossing_rate(x):
    """Fraction of consecutive samples whose sign changes (zeros count as positive)."""
    count = 0
    for i in range(1, len(x)):
        if (x[i - 1] >= 0 and x[i] < 0) or (x[i - 1] < 0 and x[i] >= 0):
            count += 1
    return count / (len(x) - 1)


def envelope_follower(x, attack, release):
    """Peak envelope with separate attack and release coefficients."""
    env = np.zeros(len(x))
    level = 0.0
    for i, v in enumerate(x):
        a = abs(v)
        if a > level:
            level = attack * level + (1 - attack) * a
        else:
            level = release * level + (1 - release) * a
        env[i] = level
    return env


def peak_hold(x, hold, decay):
    """Peak meter: hold a new peak for `hold` samples, then let it decay geometrically."""
    out = np.empty(len(x))
    peak = 0.0
    counter = 0
    for i in range(len(x)):
        v = abs(x[i])
        if v >= peak:
            peak = v
            counter = hold
        elif counter > 0:
            counter -= 1
        else:
            peak *= decay
        out[i] = peak
    return out


def median_filter(x, k):
    """Running median with a window of k samples, shrunk at the edges."""
    half = k // 2
    n = len(x)
    out = np.empty(n)
    for i in range(n):
        lo = max(0, i - half)
        hi = min(n, i + half + 1)
        out[i] = np.median(x[lo:hi])
    return out


def linear_interp(xp, fp, xq):
    """np.interp by a merge-like scan over sorted query points (clamped outside the range)."""
    out = np.empty(len(xq))
    j = 0
    for i in range(len(xq)):
        x = xq[i]
        if x <= xp[0]:
            out[i] = fp[0]
            continue
        if x >= xp[-1]:
            out[i] = fp[-1]
            continue
        while xp[j + 1] < x:
            j += 1
        t = (x - xp[j]) / (xp[j + 1] - xp[j])
        out[i] = fp[j] + t * (fp[j + 1] - fp[j])
    return out


def cumulative_trapezoid(y, dx):
    """Running trapezoid integral, collected in a list and turned into an array."""
    result = [0.0]
    total = 0.0
    for i in range(1, len(y)):
        total += 0.5 * dx * (y[i] + y[i - 1])
        result.append(total)
    return np.array(result)


def dc_blocker(x, R=0.995):
    """One-pole DC-blocking filter y[n] = x[n] - x[n-1] + R y[n-1]."""
    y = np.zeros(len(x))
    prev_x = 0.0
    prev_y = 0.0
    for n in range(len(x)):
        y[n] = x[n] - prev_x + R * prev_y
        prev_x = x[n]
        prev_y = y[n]
    return y


def box_blur(img, r):
    """Mean over a (2r+1)^2 window clipped at the borders, pixel by pixel."""
    H, W = img.shape
    out = np.zeros((H, W))
    for i in range(H):
        for j in range(W):
            total = 0.0
            count = 0
            for di in range(-r, r + 1):
                for dj in range(-r, r + 1):
                    ii = i + di
                    jj = j + dj
                    if 0 <= ii < H and 0 <= jj < W:
                        total += img[ii, jj]
                        count += 1
            out[i, j] = total / count
    return out


def sobel_magnitude(img):
    """Sobel gradient magnitude by loops over interior pixels with 3x3 kernels."""
    Kx = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    Ky = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]])
    rows, cols = img.shape
    mag = np.zeros((rows, cols))
    for i in range(1, rows - 1):
        for j in range(1, cols - 1):
            patch = img[i - 1:i + 2, j - 1:j + 2]
            gx = np.sum(Kx * patch)
            gy = np.sum(Ky * patch)
            mag[i, j] = math.sqrt(gx * gx + gy * gy)
    return mag


def label_components(img, thresh):
    """4-connected components of img > thresh, flood-filled with an explicit stack."""
    H, W = img.shape
    mask = img > thresh
    labels = np.zeros((H, W), dtype=np.int64)
    current = 0
    for i in range(H):
        for j in range(W):
            if mask[i, j] and labels[i, j] == 0:
                current += 1
                stack = [(i, j)]
                labels[i, j] = current
                while stack:
                    y, x = stack.pop()
                    for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                        ny, nx = y + dy, x + dx
                        if 0 <= ny < H and 0 <= nx < W and mask[ny, nx] and labels[ny, nx] == 0:
                            labels[ny, nx] = current
                            stack.append((ny, nx))
    return labels, current


def histogram_equalize(img, levels=256):
    """Histogram equalization of an integer image: histogram, CDF and lookup table by loops."""
    hist = np.zeros(levels, dtype=np.int64)
    for v in img.ravel():
        hist[v] += 1
    cdf = np.zeros(levels, dtype=np.int64)
    running = 0
    for k in range(levels):
        running += hist[k]
        cdf[k] = running
    cdf_min = 0
    for k in range(levels):
        if cdf[k] > 0:
            cdf_min = cdf[k]
            break
    total = img.size
    lut = np.zeros(levels, dtype=np.int64)
    for k in range(levels):
        if total == cdf_min:
            lut[k] = k
        else:
            lut[k] = round((cdf[k] - cdf_min) / (total - cdf_min) * (levels - 1))
    out = np.empty_like(img)
    for i in range(img.shape[0]):
        for j in range(img.shape[1]):
            out[i, j] = lut[img[i, j]]
    return out


def bilinear_resize(img, new_h, new_w):
    """Bilinear resize by loops, mapping output pixel centres to the input grid."""
    h, w = img.shape
    out = np.zeros((new_h, new_w))
    sy = h / new_h
    sx = w / new_w
    for i in range(new_h):
        for j in range(new_w):
            y = (i + 0.5) * sy - 0.5
            x = (j + 0.5) * sx - 0.5
            y = min(max(y, 0.0), h - 1.0)
            x = min(max(x, 0.0), w - 1.0)
            y0 = int(math.floor(y))
            x0 = int(math.floor(x))
            y1 = min(y0 + 1, h - 1)
            x1 = min(x0 + 1, w - 1)
            dy = y - y0
            dx = x - x0
            top = img[y0, x0] * (1 - dx) + img[y0, x1] * dx
            bottom = img[y1, x0] * (1 - dx) + img[y1, x1] * dx
            out[i, j] = top * (1 - dy) + bottom * dy
    return out


def integral_image(img):
    """Summed-area table by the recurrence, with the borders handled by ifs."""
    h, w = img.shape
    S = np.zeros((h, w), dtype=img.dtype)
    for i in range(h):
        for j in range(w):
            s = img[i, j]
            if i > 0:
                s += S[i - 1, j]
            if j > 0:
                s += S[i, j - 1]
            if i > 0 and j > 0:
                s -= S[i - 1, j - 1]
            S[i, j] = s
    return S


def _sinusoid(rng, s):
    n = 32 + 8 * s
    t = np.arange(n) / 100.0
    return (np.sin(2 * np.pi * 12.5 * t) + 0.3 * rng.standard_normal(n), 12.5, 100.0)


CASES = {
    "fir_filter": (fir_filter, lambda rng, s: (rng.standard_normal(12 + s), rng.standard_normal(4 + s))),
    "biquad": (biquad, lambda rng, s: (rng.standard_normal(15 + s), 0.2, 0.4, 0.2, -0.5, 0.3)),
    "goertzel": (goertzel, _sinusoid),
    "autocorrelation": (autocorrelation, lambda rng, s: (rng.standard_normal(14 + s), 4 + s)),
    "zero_crossing_rate": (zero_crossing_rate, lambda rng, s: (np.round(rng.standard_normal(16 + s), 1),)),
    "envelope_follower": (envelope_follower, lambda rng, s: (rng.standard_normal(20 + s), 0.3, 0.9)),
    "peak_hold": (peak_hold, lambda rng, s: (rng.standard_normal(25 + s), 3, 0.8)),
    "median_filter": (median_filter, lambda rng, s: (rng.standard_normal(11 + s), 3 + 2 * (s > 0))),
    "linear_interp": (linear_interp, lambda rng, s: (np.sort(rng.uniform(0, 10, 6 + s)), rng.standard_normal(6 + s),
                                                   np.sort(rng.uniform(-1, 11, 9 + s)))),
    "cumulative_trapezoid": (cumulative_trapezoid, lambda rng, s: (rng.standard_normal(9 + s), 0.1)),
    "dc_blocker": (dc_blocker, lambda rng, s: (1.0 + rng.standard_normal(13 + s),)),
    "box_blur": (box_blur, lambda rng, s: (rng.uniform(0, 1, (5 + s, 6)), 1)),
    "sobel_magnitude": (sobel_magnitude, lambda rng, s: (rng.uniform(0, 1, (6 + s, 5 + s)),)),
    "label_components": (label_components, lambda rng, s: (rng.uniform(0, 1, (5 + s, 6 + s)), 0.5)),
    "histogram_equalize": (histogram_equalize, lambda rng, s: (rng.integers(0, 16, (5 + s, 4)), 16)),
    "bilinear_resize": (bilinear_resize, lambda rng, s: (rng.standard_normal((4 + s, 5)), 7 + s, 3 + s)),
    "integral_image": (integral_image, lambda rng, s: (rng.integers(0, 9, (4 + s, 5 + s)),)),
}

XFAIL: dict[str, str] = {
    "label_components": "a Python list used as a stack (append/pop under traced conditions): a data-dependent length",
}
