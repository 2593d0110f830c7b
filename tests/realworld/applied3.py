"""Real-world applied kernels: event detection, state machines, trading rules and small estimators by loops."""
from __future__ import annotations

import math

import numpy as np


def dft_loops(x):
    """Discrete Fourier transform by the textbook double loop."""
    N = len(x)
    X = np.zeros(N, dtype=complex)
    for k in range(N):
        for n in range(N):
            X[k] += x[n] * np.exp(-2j * np.pi * k * n / N)
    return X


def schmitt_trigger(x, low, high):
    """Binary output with hysteresis: switches on above `high`, off below `low`."""
    state = False
    out = np.zeros(len(x), dtype=bool)
    for i in range(len(x)):
        if not state and x[i] > high:
            state = True
        elif state and x[i] < low:
            state = False
        out[i] = state
    return out


def kalman_1d(z, q, r):
    """Scalar Kalman filter for a random walk observed with noise; estimates and variances."""
    n = len(z)
    xhat = np.zeros(n)
    P = np.zeros(n)
    x_est = z[0]
    p_est = 1.0
    for k in range(n):
        x_pred = x_est
        p_pred = p_est + q
        K = p_pred / (p_pred + r)
        x_est = x_pred + K * (z[k] - x_pred)
        p_est = (1 - K) * p_pred
        xhat[k] = x_est
        P[k] = p_est
    return xhat, P


def otsu_threshold(img, nbins=16):
    """Otsu's threshold: the histogram split maximizing the between-class variance."""
    hist = np.zeros(nbins)
    lo, hi = img.min(), img.max()
    width = (hi - lo) / nbins
    for v in img.flat:
        b = int((v - lo) / width)
        if b >= nbins:
            b = nbins - 1
        hist[b] += 1
    total = hist.sum()
    sum_all = 0.0
    for i in range(nbins):
        sum_all += i * hist[i]
    w0 = 0.0
    sum0 = 0.0
    best_var = -1.0
    best_t = 0
    for t in range(nbins):
        w0 += hist[t]
        if w0 == 0:
            continue
        w1 = total - w0
        if w1 == 0:
            break
        sum0 += t * hist[t]
        m0 = sum0 / w0
        m1 = (sum_all - sum0) / w1
        between = w0 * w1 * (m0 - m1) ** 2
        if between > best_var:
            best_var = between
            best_t = t
    return lo + (best_t + 1) * width


def bollinger_signals(prices, window, k):
    """Bollinger bands by a rolling loop; +1 below the lower band, -1 above the upper one."""
    n = len(prices)
    upper = np.full(n, np.nan)
    lower = np.full(n, np.nan)
    signal = np.zeros(n, dtype=np.int64)
    for i in range(window - 1, n):
        w = prices[i - window + 1:i + 1]
        m = w.mean()
        s = w.std()
        upper[i] = m + k * s
        lower[i] = m - k * s
        if prices[i] < lower[i]:
            signal[i] = 1
        elif prices[i] > upper[i]:
            signal[i] = -1
    return upper, lower, signal


def backtest_crossover(prices, fast, slow, cash):
    """Moving-average crossover: all in when fast > slow, all out otherwise; final equity and trades."""
    shares = 0.0
    trades = 0
    equity = np.zeros(len(prices))
    for i in range(len(prices)):
        if i >= slow:
            f = prices[i - fast:i].mean()
            s = prices[i - slow:i].mean()
            if f > s and shares == 0:
                shares = cash / prices[i]
                cash = 0.0
                trades += 1
            elif f < s and shares > 0:
                cash = shares * prices[i]
                shares = 0.0
                trades += 1
        equity[i] = cash + shares * prices[i]
    return equity, trades


def r_peak_count(ecg, threshold, refractory):
    """Beats: samples above threshold that are local maxima, at least `refractory` samples apart."""
    count = 0
    last = -refractory
    first = -1
    for i in range(1, len(ecg) - 1):
        if ecg[i] < threshold:
            continue
        if ecg[i] >= ecg[i - 1] and ecg[i] > ecg[i + 1] and i - last >= refractory:
            count += 1
            last = i
            if first < 0:
                first = i
    return count, first


def cusum_detect(x, target, k, h):
    """Two-sided CUSUM change detection: number of alarms and the first one (statistics reset at alarms)."""
    s_pos = 0.0
    s_neg = 0.0
    alarms = 0
    first_alarm = -1
    for i, v in enumerate(x):
        s_pos = max(0.0, s_pos + v - target - k)
        s_neg = max(0.0, s_neg - v + target - k)
        if s_pos > h or s_neg > h:
            alarms += 1
            if first_alarm == -1:
                first_alarm = i
            s_pos = 0.0
            s_neg = 0.0
    return alarms, first_alarm


def gini_best_split(x, y, n_classes):
    """Best threshold on one feature by weighted Gini impurity, class counts updated as the split moves."""
    order = np.argsort(x)
    xs = x[order]
    ys = y[order]
    n = len(xs)
    left = np.zeros(n_classes)
    right = np.zeros(n_classes)
    for c in ys:
        right[c] += 1
    best_gini = 1.0
    best_thr = xs[0]
    for i in range(n - 1):
        c = ys[i]
        left[c] += 1
        right[c] -= 1
        if xs[i] == xs[i + 1]:
            continue
        nl = i + 1
        nr = n - nl
        gl = 1.0 - np.sum((left / nl) ** 2)
        gr = 1.0 - np.sum((right / nr) ** 2)
        g = (nl * gl + nr * gr) / n
        if g < best_gini:
            best_gini = g
            best_thr = 0.5 * (xs[i] + xs[i + 1])
    return best_thr, best_gini


def huber_location(x, delta, tol=1e-10, max_iter=100):
    """Huber M-estimate of location by iteratively reweighted means (weights by a loop)."""
    mu = np.median(x)
    for it in range(max_iter):
        w = np.empty(len(x))
        for i in range(len(x)):
            r = abs(x[i] - mu)
            w[i] = 1.0 if r <= delta else delta / r
        new_mu = np.sum(w * x) / np.sum(w)
        if abs(new_mu - mu) < tol:
            mu = new_mu
            break
        mu = new_mu
    return mu, it


def nearest_resize(img, scale):
    """Nearest-neighbour upscaling by loops over output pixels."""
    h, w = img.shape
    H = int(h * scale)
    W = int(w * scale)
    out = np.zeros((H, W), dtype=img.dtype)
    for i in range(H):
        for j in range(W):
            si = min(int(i / scale), h - 1)
            sj = min(int(j / scale), w - 1)
            out[i, j] = img[si, sj]
    return out


def logistic_sgd(X, y, lr, epochs):
    """Logistic regression by per-sample SGD with math.exp, returning weights and per-epoch accuracy."""
    n, d = X.shape
    w = np.zeros(d)
    acc = []
    for epoch in range(epochs):
        for i in range(n):
            z = np.dot(X[i], w)
            if z >= 0:
                p = 1.0 / (1.0 + math.exp(-z))
            else:
                ez = math.exp(z)
                p = ez / (1.0 + ez)
            w -= lr * (p - y[i]) * X[i]
        correct = 0
        for i in range(n):
            pred = 1 if np.dot(X[i], w) > 0 else 0
            if pred == y[i]:
                correct += 1
        acc.append(correct / n)
    return w, np.array(acc)


def _ecg(rng, s):
    t = np.arange(60 + 10 * s)
    return np.sin(t / 3.0) ** 9 + 0.05 * rng.standard_normal(t.size), 0.5, 5


def _classes(rng, s):
    X = rng.standard_normal((10 + s, 2))
    return X, (X[:, 0] - X[:, 1] > 0).astype(np.int64), 0.2, 3


CASES = {
    "dft_loops": (dft_loops, lambda rng, s: (rng.standard_normal(6 + s),)),
    "schmitt_trigger": (schmitt_trigger, lambda rng, s: (np.cumsum(rng.standard_normal(20 + s)), -0.5, 0.5)),
    "kalman_1d": (kalman_1d, lambda rng, s: (np.cumsum(rng.standard_normal(15 + s)), 0.01, 0.5)),
    "otsu_threshold": (otsu_threshold, lambda rng, s: (np.concatenate([rng.normal(0, 1, 20 + 5 * s),
                                                                       rng.normal(4, 1, 15)]).reshape(-1, 5), 8)),
    "bollinger_signals": (bollinger_signals, lambda rng, s: (100 + np.cumsum(rng.standard_normal(20 + s)), 5, 1.0)),
    "backtest_crossover": (backtest_crossover, lambda rng, s: (100 + np.cumsum(rng.standard_normal(30 + s)),
                                                             3, 6, 1000.0)),
    "r_peak_count": (r_peak_count, _ecg),
    "cusum_detect": (cusum_detect, lambda rng, s: (np.concatenate([rng.normal(0, 1, 15), rng.normal(2, 1, 10 + s)]),
                                                 0.0, 0.5, 4.0)),
    "gini_best_split": (gini_best_split, lambda rng, s: (np.round(rng.standard_normal(12 + s), 1),
                                                       rng.integers(0, 3, 12 + s), 3)),
    "huber_location": (huber_location, lambda rng, s: (np.concatenate([rng.standard_normal(9 + s), [8.0, -6.0]]),
                                                     1.0)),
    "nearest_resize": (nearest_resize, lambda rng, s: (rng.integers(0, 9, (3 + s, 4)), 2.5)),
    "logistic_sgd": (logistic_sgd, _classes),
}

XFAIL: dict[str, str] = {}
