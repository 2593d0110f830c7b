"""Real-world applied kernels, statistics/finance and machine learning by loops (tutorial and cookbook style)."""
from __future__ import annotations

import math

import numpy as np


def online_covariance(x, y):
    """Sample covariance in one pass (Welford's co-moment update)."""
    n = 0
    mean_x = 0.0
    mean_y = 0.0
    C = 0.0
    for a, b in zip(x, y):
        n += 1
        dx = a - mean_x
        mean_x += dx / n
        mean_y += (b - mean_y) / n
        C += dx * (b - mean_y)
    if n < 2:
        return 0.0
    return C / (n - 1)


def ewm_variance(x, alpha):
    """Exponentially weighted mean and variance (incremental form), both as arrays."""
    mean = np.empty(len(x))
    var = np.empty(len(x))
    m = x[0]
    v = 0.0
    mean[0] = m
    var[0] = v
    for i in range(1, len(x)):
        diff = x[i] - m
        incr = alpha * diff
        m = m + incr
        v = (1 - alpha) * (v + diff * incr)
        mean[i] = m
        var[i] = v
    return mean, var


def bootstrap_ci(x, idx, alpha):
    """Percentile bootstrap interval of the mean from a (B, n) array of resampling indices."""
    B = idx.shape[0]
    means = np.empty(B)
    for b in range(B):
        sample = x[idx[b]]
        means[b] = sample.mean()
    means.sort()
    lo = means[int(math.floor(alpha / 2 * B))]
    hi = means[min(B - 1, int(math.ceil((1 - alpha / 2) * B)) - 1)]
    return lo, hi


def max_drawdown(prices):
    """Largest peak-to-trough fall and where it starts and ends."""
    peak = prices[0]
    peak_i = 0
    mdd = 0.0
    start = end = 0
    for i in range(1, len(prices)):
        if prices[i] > peak:
            peak = prices[i]
            peak_i = i
        dd = (peak - prices[i]) / peak
        if dd > mdd:
            mdd = dd
            start = peak_i
            end = i
    return mdd, start, end


def rsi(prices, period=14):
    """Wilder's relative strength index; NaN until the first full period."""
    deltas = np.diff(prices)
    out = np.full(len(prices), np.nan)
    gain = 0.0
    loss = 0.0
    for i in range(period):
        d = deltas[i]
        if d > 0:
            gain += d
        else:
            loss -= d
    avg_gain = gain / period
    avg_loss = loss / period
    for i in range(period, len(prices)):
        if avg_loss == 0:
            out[i] = 100.0
        else:
            rs = avg_gain / avg_loss
            out[i] = 100.0 - 100.0 / (1.0 + rs)
        if i < len(deltas):
            d = deltas[i]
            up = d if d > 0 else 0.0
            down = -d if d < 0 else 0.0
            avg_gain = (avg_gain * (period - 1) + up) / period
            avg_loss = (avg_loss * (period - 1) + down) / period
    return out


def _ema(values, span):
    alpha = 2.0 / (span + 1)
    out = np.empty_like(values)
    out[0] = values[0]
    for i in range(1, len(values)):
        out[i] = alpha * values[i] + (1 - alpha) * out[i - 1]
    return out


def macd(prices, fast=12, slow=26, signal=9):
    """MACD line, signal line and histogram, from a helper EMA called three times."""
    macd_line = _ema(prices, fast) - _ema(prices, slow)
    signal_line = _ema(macd_line, signal)
    return macd_line, signal_line, macd_line - signal_line


def loan_schedule(principal, annual_rate, payment, max_months):
    """Amortization table (interest, principal paid, balance) until the loan is repaid."""
    r = annual_rate / 12.0
    table = np.zeros((max_months, 3))
    balance = principal
    month = 0
    while balance > 0 and month < max_months:
        interest = balance * r
        paid = min(payment - interest, balance)
        balance -= paid
        table[month, 0] = interest
        table[month, 1] = paid
        table[month, 2] = balance
        month += 1
    return table, month


def session_vwap(prices, volumes, session):
    """Volume-weighted average price, reset whenever the session id changes."""
    out = np.empty(len(prices))
    pv = 0.0
    vol = 0.0
    for i in range(len(prices)):
        if i > 0 and session[i] != session[i - 1]:
            pv = 0.0
            vol = 0.0
        pv += prices[i] * volumes[i]
        vol += volumes[i]
        out[i] = pv / vol if vol > 0 else np.nan
    return out


def rolling_zscore(x, window):
    """Z-score of each value against the previous `window` values (0 when flat, NaN before)."""
    z = np.full(len(x), np.nan)
    for i in range(window, len(x)):
        hist = x[i - window:i]
        mu = hist.mean()
        sd = hist.std()
        if sd == 0:
            z[i] = 0.0
        else:
            z[i] = (x[i] - mu) / sd
    return z


def perceptron(X, y, epochs, lr):
    """Rosenblatt perceptron with labels in {-1, 1}; stops after an epoch without mistakes."""
    w = np.zeros(X.shape[1])
    b = 0.0
    for epoch in range(epochs):
        errors = 0
        for xi, target in zip(X, y):
            if target * (np.dot(w, xi) + b) <= 0:
                w += lr * target * xi
                b += lr * target
                errors += 1
        if errors == 0:
            break
    return w, b, epoch + 1


def knn_predict(X_train, y_train, X_test, k, n_classes):
    """k-nearest-neighbour majority vote by loops (ties to the smallest label)."""
    preds = np.zeros(len(X_test), dtype=np.int64)
    for i in range(len(X_test)):
        dists = np.sqrt(((X_train - X_test[i]) ** 2).sum(axis=1))
        nearest = np.argsort(dists)[:k]
        votes = np.zeros(n_classes, dtype=np.int64)
        for j in nearest:
            votes[y_train[j]] += 1
        preds[i] = np.argmax(votes)
    return preds


def naive_bayes_fit(X, y, n_classes, alpha=1.0):
    """Bernoulli naive Bayes: class priors and smoothed feature log-probabilities by counting."""
    n_samples, n_features = X.shape
    class_count = np.zeros(n_classes)
    feature_count = np.zeros((n_classes, n_features))
    for i in range(n_samples):
        c = y[i]
        class_count[c] += 1
        for j in range(n_features):
            if X[i, j] > 0:
                feature_count[c, j] += 1
    log_prior = np.log(class_count / n_samples)
    log_prob = np.log((feature_count + alpha) / (class_count[:, None] + 2 * alpha))
    return log_prior, log_prob


def decision_stump(X, y, w):
    """Best weighted one-feature threshold classifier (AdaBoost's weak learner) by exhaustive search."""
    n, d = X.shape
    best_err = np.inf
    best_feat, best_thr, best_pol = 0, 0.0, 1
    for j in range(d):
        for thr in np.unique(X[:, j]):
            for polarity in (1, -1):
                pred = np.ones(n)
                if polarity == 1:
                    pred[X[:, j] < thr] = -1
                else:
                    pred[X[:, j] >= thr] = -1
                err = np.sum(w[pred != y])
                if err < best_err:
                    best_err = err
                    best_feat, best_thr, best_pol = j, thr, polarity
    return best_feat, best_thr, best_pol, best_err


def one_hot(labels, n_classes):
    """One-hot encoding by a loop over labels."""
    out = np.zeros((len(labels), n_classes))
    for i, lab in enumerate(labels):
        out[i, lab] = 1.0
    return out


def sgd_early_stopping(X, y, lr, epochs, batch_size, tol):
    """Mini-batch SGD for least squares; stops when the epoch loss improves by less than tol."""
    n, d = X.shape
    w = np.zeros(d)
    prev_loss = np.inf
    losses = []
    for epoch in range(epochs):
        for start in range(0, n, batch_size):
            xb = X[start:start + batch_size]
            yb = y[start:start + batch_size]
            grad = 2 * xb.T @ (xb @ w - yb) / len(yb)
            w -= lr * grad
        loss = np.mean((X @ w - y) ** 2)
        losses.append(loss)
        if prev_loss - loss < tol:
            break
        prev_loss = loss
    return w, np.array(losses)


def confusion_matrix(y_true, y_pred, n_classes):
    """Confusion matrix, precision and recall per class by loops."""
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    for t, p in zip(y_true, y_pred):
        cm[t, p] += 1
    precision = np.zeros(n_classes)
    recall = np.zeros(n_classes)
    for c in range(n_classes):
        col = cm[:, c].sum()
        row = cm[c, :].sum()
        precision[c] = cm[c, c] / col if col > 0 else 0.0
        recall[c] = cm[c, c] / row if row > 0 else 0.0
    return cm, precision, recall


def _prices(rng, n):
    return 100.0 * np.exp(np.cumsum(0.02 * rng.standard_normal(n)))


def _separable(rng, s):
    X = rng.standard_normal((12 + 3 * s, 2))
    y = np.where(X[:, 0] + 0.5 * X[:, 1] > 0.1, 1.0, -1.0)
    return X, y, 20, 0.5


def _knn(rng, s):
    Xtr = rng.standard_normal((15 + s, 2))
    return Xtr, rng.integers(0, 3, 15 + s), rng.standard_normal((4 + s, 2)), 3, 3


def _stump(rng, s):
    X = np.round(rng.standard_normal((8 + s, 2)), 1)
    y = np.where(X[:, 1] > 0.2, 1.0, -1.0)
    y[0] = -y[0]
    w = rng.uniform(0.5, 1.5, 8 + s)
    return X, y, w / w.sum()


def _sgd(rng, s):
    X = rng.standard_normal((18 + 4 * s, 3))
    return X, X @ np.array([0.5, -1.0, 2.0]) + 0.05 * rng.standard_normal(X.shape[0]), 0.05, 50, 4, 1e-4


CASES = {
    "online_covariance": (online_covariance, lambda rng, s: (rng.standard_normal(10 + s), rng.standard_normal(10 + s))),
    "ewm_variance": (ewm_variance, lambda rng, s: (rng.standard_normal(12 + s), 0.2)),
    "bootstrap_ci": (bootstrap_ci, lambda rng, s: (rng.standard_normal(9 + s), rng.integers(0, 9 + s, (20 + s, 9 + s)),
                                                 0.1)),
    "max_drawdown": (max_drawdown, lambda rng, s: (_prices(rng, 30 + s),)),
    "rsi": (rsi, lambda rng, s: (_prices(rng, 20 + s), 5)),
    "macd": (macd, lambda rng, s: (_prices(rng, 30 + s), 4, 9, 3)),
    "loan_schedule": (loan_schedule, lambda rng, s: (1000.0 + 100 * s, 0.06, 95.0, 24)),
    "session_vwap": (session_vwap, lambda rng, s: (_prices(rng, 14 + s), rng.uniform(0, 5, 14 + s),
                                                 np.sort(rng.integers(0, 3, 14 + s)))),
    "rolling_zscore": (rolling_zscore, lambda rng, s: (np.round(rng.standard_normal(15 + s), 0), 3 + s)),
    "perceptron": (perceptron, _separable),
    "knn_predict": (knn_predict, _knn),
    "naive_bayes_fit": (naive_bayes_fit, lambda rng, s: (rng.integers(0, 2, (10 + s, 4)), np.arange(10 + s) % 3, 3)),
    "decision_stump": (decision_stump, _stump),
    "one_hot": (one_hot, lambda rng, s: (rng.integers(0, 4, 7 + s), 4)),
    "sgd_early_stopping": (sgd_early_stopping, _sgd),
    "confusion_matrix": (confusion_matrix, lambda rng, s: (rng.integers(0, 3, 12 + s), rng.integers(0, 3, 12 + s), 3)),
}

XFAIL: dict[str, str] = {
    "decision_stump": "a loop over np.unique of a traced array (a data-dependent length)",
}
