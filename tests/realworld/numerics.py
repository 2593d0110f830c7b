"""Real-world loop kernels: solvers, iterations, linear algebra and simulations (textbook style)."""
from __future__ import annotations

import numpy as np


def game_of_life(board, steps):
    """Conway's Game of Life on a torus, vectorized neighbour count, steps in a loop."""
    b = board.copy()
    for _ in range(steps):
        nb = sum(np.roll(np.roll(b, dy, 0), dx, 1)
                 for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0))
        b = ((nb == 3) | ((b == 1) & (nb == 2))).astype(b.dtype)
    return b


def mandelbrot_pixels(xs, ys, maxit):
    """Escape-time Mandelbrot, one pixel at a time with `while abs(z) < 2 and n < maxit`."""
    out = np.zeros((ys.shape[0], xs.shape[0]), dtype=np.int64)
    for i in range(ys.shape[0]):
        for j in range(xs.shape[0]):
            c = complex(xs[j], ys[i])
            z = 0j
            n = 0
            while abs(z) < 2 and n < maxit:
                z = z * z + c
                n += 1
            out[i, j] = n
    return out


def mandelbrot_vectorized(xs, ys, maxit):
    """Escape-time Mandelbrot over the whole grid with masks, real arithmetic."""
    cr = xs[None, :] + 0.0 * ys[:, None]
    ci = ys[:, None] + 0.0 * xs[None, :]
    zr = np.zeros_like(cr)
    zi = np.zeros_like(ci)
    count = np.zeros(cr.shape, dtype=np.int64)
    for _ in range(maxit):
        alive = zr * zr + zi * zi < 4.0
        zr, zi = np.where(alive, zr * zr - zi * zi + cr, zr), np.where(alive, 2 * zr * zi + ci, zi)
        count += alive
    return count


def jacobi(A, b, tol):
    """Jacobi iteration until the update is smaller than tol (or 500 sweeps)."""
    x = np.zeros_like(b)
    D = np.diag(A)
    R = A - np.diagflat(D)
    err = np.inf
    it = 0
    while err > tol and it < 500:
        x_new = (b - R @ x) / D
        err = np.linalg.norm(x_new - x, np.inf)
        x = x_new
        it += 1
    return x, it


def gauss_seidel(A, b, tol):
    """Gauss-Seidel sweeps with the row loop, until the residual is below tol."""
    n = len(b)
    x = np.zeros(n)
    for sweep in range(200):
        x_old = x.copy()
        for i in range(n):
            s = A[i] @ x - A[i, i] * x[i]
            x[i] = (b[i] - s) / A[i, i]
        if np.linalg.norm(x - x_old) < tol:
            break
    return x


def bisection(coeffs, a, b, tol):
    """Root of a polynomial on [a, b] by bisection."""
    fa = np.polyval(coeffs, a)
    while b - a > tol:
        m = 0.5 * (a + b)
        fm = np.polyval(coeffs, m)
        if np.sign(fm) == np.sign(fa):
            a, fa = m, fm
        else:
            b = m
    return 0.5 * (a + b)


def secant(coeffs, x0, x1, tol, maxiter=50):
    """Root of a polynomial by the secant method with a convergence test."""
    f0 = np.polyval(coeffs, x0)
    f1 = np.polyval(coeffs, x1)
    for _ in range(maxiter):
        if f1 == f0:
            break
        x2 = x1 - f1 * (x1 - x0) / (f1 - f0)
        x0, f0 = x1, f1
        x1, f1 = x2, np.polyval(coeffs, x2)
        if abs(x1 - x0) < tol:
            break
    return x1


def horner(coeffs, x):
    """Evaluate a polynomial at many points by Horner's rule."""
    result = np.zeros_like(x)
    for c in coeffs:
        result = result * x + c
    return result


def power_iteration(A, tol):
    """Dominant eigenpair by power iteration with a convergence test on the eigenvalue."""
    v = np.ones(A.shape[0]) / np.sqrt(A.shape[0])
    lam = 0.0
    for _ in range(1000):
        w = A @ v
        v = w / np.linalg.norm(w)
        lam_new = v @ A @ v
        if abs(lam_new - lam) < tol:
            lam = lam_new
            break
        lam = lam_new
    return lam, v


def matrix_power(M, n):
    """M**n by exponentiation by squaring (`while n: if n & 1:`)."""
    result = np.eye(M.shape[0])
    base = M.copy()
    while n:
        if n & 1:
            result = result @ base
        base = base @ base
        n >>= 1
    return result


def nbody(pos, vel, mass, dt, steps):
    """Direct-sum gravitational n-body with softening, leapfrog-ish steps in a loop."""
    pos = pos.copy()
    vel = vel.copy()
    for _ in range(steps):
        d = pos[None, :, :] - pos[:, None, :]
        r2 = (d ** 2).sum(axis=-1) + 0.01
        inv = r2 ** -1.5
        acc = (d * (mass[None, :, None] * inv[:, :, None])).sum(axis=1)
        vel += dt * acc
        pos += dt * vel
    return pos, vel


def heat_1d(u0, alpha, steps):
    """Explicit 1-D heat equation with fixed ends."""
    u = u0.copy()
    for _ in range(steps):
        u[1:-1] = u[1:-1] + alpha * (u[2:] - 2 * u[1:-1] + u[:-2])
    return u


def gradient_descent(X, y, lr, tol):
    """Least squares by gradient descent with early stopping on the loss change."""
    w = np.zeros(X.shape[1])
    prev = np.inf
    losses = []
    for epoch in range(500):
        r = X @ w - y
        loss = 0.5 * np.mean(r ** 2)
        losses.append(loss)
        if prev - loss < tol:
            break
        prev = loss
        w -= lr * X.T @ r / len(y)
    return w, len(losses)


def gram_schmidt(A):
    """Modified Gram-Schmidt orthonormalization of the columns of A."""
    m, n = A.shape
    Q = np.zeros((m, n))
    R = np.zeros((n, n))
    V = A.astype(float)
    for j in range(n):
        R[j, j] = np.linalg.norm(V[:, j])
        Q[:, j] = V[:, j] / R[j, j]
        for k in range(j + 1, n):
            R[j, k] = Q[:, j] @ V[:, k]
            V[:, k] = V[:, k] - R[j, k] * Q[:, j]
    return Q, R


def householder_qr(A):
    """QR by Householder reflections, the trailing block updated in a loop."""
    m, n = A.shape
    R = A.astype(float)
    Q = np.eye(m)
    for k in range(n):
        x = R[k:, k]
        v = x.copy()
        s = 1.0 if x[0] >= 0 else -1.0
        v[0] += s * np.linalg.norm(x)
        v = v / np.linalg.norm(v)
        R[k:, k:] -= 2.0 * np.outer(v, v @ R[k:, k:])
        Q[:, k:] -= 2.0 * np.outer(Q[:, k:] @ v, v)
    return Q, R


def back_substitution(U, b):
    """Solve an upper-triangular system by back substitution."""
    n = len(b)
    x = np.zeros(n)
    for i in range(n - 1, -1, -1):
        x[i] = (b[i] - U[i, i + 1:] @ x[i + 1:]) / U[i, i]
    return x


def thomas(a, b, c, d):
    """Thomas algorithm for a tridiagonal system (sub a, diag b, super c)."""
    n = len(d)
    cp = np.zeros(n)
    dp = np.zeros(n)
    cp[0] = c[0] / b[0]
    dp[0] = d[0] / b[0]
    for i in range(1, n):
        denom = b[i] - a[i] * cp[i - 1]
        cp[i] = c[i] / denom if i < n - 1 else 0.0
        dp[i] = (d[i] - a[i] * dp[i - 1]) / denom
    x = np.zeros(n)
    x[-1] = dp[-1]
    for i in range(n - 2, -1, -1):
        x[i] = dp[i] - cp[i] * x[i + 1]
    return x


def convolve2d_loops(img, kernel):
    """'Valid' 2-D correlation of an image by explicit loops over output pixels."""
    kh, kw = kernel.shape
    H, W = img.shape
    out = np.zeros((H - kh + 1, W - kw + 1))
    for i in range(H - kh + 1):
        for j in range(W - kw + 1):
            out[i, j] = np.sum(img[i:i + kh, j:j + kw] * kernel)
    return out


def softmax_rows(X):
    """Numerically stable softmax of each row by a loop over rows."""
    out = np.empty_like(X)
    for i in range(X.shape[0]):
        row = X[i] - np.max(X[i])
        e = np.exp(row)
        out[i] = e / e.sum()
    return out


def newton_sqrt(a, tol):
    """Elementwise square root by Newton's method until all entries converged."""
    x = np.maximum(a, 1.0)
    while True:
        x_new = 0.5 * (x + a / x)
        if np.max(np.abs(x_new - x)) < tol:
            return x_new
        x = x_new
