"""One predict/update step of a Kalman filter, with the gain by np.linalg.inv."""
import numpy as np

SIZES = {"test": {"n": 4, "m": 2}, "test2": {"n": 6, "m": 3}, "bench": {"n": 64, "m": 32}}
RTOL = 1e-9


def init(rng, n, m):
    F = np.eye(n) + 0.01 * rng.standard_normal((n, n))
    H = rng.standard_normal((m, n))
    P = np.eye(n)
    Q, R = 0.01 * np.eye(n), 0.1 * np.eye(m)
    return rng.standard_normal(n), P, F, H, Q, R, rng.standard_normal(m)


def kernel(x, P, F, H, Q, R, z):
    x_pred = F @ x
    P_pred = F @ P @ F.T + Q
    S = H @ P_pred @ H.T + R
    K = P_pred @ H.T @ np.linalg.inv(S)
    x_new = x_pred + K @ (z - H @ x_pred)
    P_new = (np.eye(P.shape[0]) - K @ H) @ P_pred
    return x_new, P_new
