"""Normalisations over a run-time batch: a length in the arithmetic (a mean's N, a sample
variance's N - 1, ``len(x)``) is read from the size table at run time (``export/lengths.py``),
so ``x - x.mean(axis=0)`` for ``f32[N,8]`` exports and runs at any N. Results are compared
with the host JIT at the same N: bit for bit (the JIT folds ``float32(N)``, the export
computes the same float from the int64 N), except where the JIT's column sums take another
order than the export's (noted per case)."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests import crossharness
from tracejit.export.plan import SizeError

SIZES = (1, 2, 7, 1000, 3001)
SPLIT = 2000  # from about this many rows the JIT splits a column sum in blocks, the export does not


def _close(got: np.ndarray, want: np.ndarray) -> bool:
    """Equal up to the float32 rounding of a column sum added in another order."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    finite = np.abs(want[np.isfinite(want)])
    scale = max(1.0, float(finite.max()) if finite.size else 1.0)
    return got.shape == want.shape and bool(np.allclose(got, want, rtol=0, atol=1e-5 * scale, equal_nan=True))


def _normalize(x):
    m = x.mean(axis=0)
    return (x - m) / x.std(axis=0)


PROGRAMS = {
    "center": lambda x: x - x.mean(axis=0),
    "standardize": _normalize,
    "var0_std": lambda x: (np.var(x, axis=0), np.std(x, axis=0)),
    "var1": lambda x: (np.var(x, axis=0, ddof=1), np.std(x, axis=0, ddof=1)),
    "sum_over_len": lambda x: x.sum(0) / len(x),
    "sum_over_shape": lambda x: x.sum(0) / x.shape[0] + len(x),
    "average": lambda x: np.average(x, axis=0),
    "times_reciprocal": lambda x: x * (1.0 / len(x)) - x.sum(0) * (1.0 / (len(x) + 1)),
}
F64 = {"center64": lambda x: (x - x.mean(0)) / np.std(x, axis=0, ddof=1), "reciprocal64": lambda x: x * (1.0 / len(x))}


def _same(got: np.ndarray, want: np.ndarray) -> bool:
    """Bit for bit, NaNs equal whatever their sign and payload."""
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape or got.dtype != want.dtype:
        return False
    nan = np.isnan(got)
    if not np.array_equal(nan, np.isnan(want)):
        return False
    bits = f"u{got.dtype.itemsize}"
    return bool(np.array_equal(got[~nan].view(bits), want[~nan].view(bits)))


def _run_all(fun, target: str, folder: str, name: str, dtype=np.float32, cols: int = 8) -> list[tuple]:
    """Export ``fun`` for ``[N, cols]`` once, run it at each of ``SIZES``: (N, code, got, want)."""
    spec = f"{'f64' if np.dtype(dtype) == np.float64 else 'f32'}[N,{cols}]"
    done = tj.export(fun, spec, target=target, out_dir=folder, name=name)
    exe = crossharness.build(done, folder, target)
    rng = np.random.default_rng(5)
    out = []
    for n in SIZES:
        x = (rng.standard_normal((n, cols)) * 3 + 1).astype(dtype)
        code, got, _ = crossharness.run(exe, done, target, [x.copy()])
        want = tj.jit(fun)(x.copy())
        out.append((n, code, got, [np.asarray(w) for w in (want if isinstance(want, tuple) else [want])]))
    return out


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_lengths_host(name, tmp_path):
    for n, code, got, want in _run_all(PROGRAMS[name], "host", str(tmp_path), name):
        assert code == 0
        for g, w in zip(got, want):
            assert _same(g, w) if n < SPLIT else _close(g, w), (name, n, g, w)


@pytest.mark.parametrize("name", sorted(F64))
def test_lengths_host_float64(name, tmp_path):
    for n, code, got, want in _run_all(F64[name], "host", str(tmp_path), name, np.float64, cols=5):
        assert code == 0
        for g, w in zip(got, want):
            assert _same(g, w) if n < SPLIT else _close(g, w), (name, n, g, w)


@pytest.mark.parametrize("name", ["standardize", "var1", "times_reciprocal"])
def test_lengths_aarch64(name, tmp_path):
    crossharness.toolchain("aarch64-linux-gnu")
    for n, code, got, want in _run_all(PROGRAMS[name], "aarch64-linux-gnu", str(tmp_path), name):
        assert code == 0
        for g, w in zip(got, want):  # column sums in the target's vector order: close, not bits
            assert _close(g, w), (name, n, g, w)


@pytest.mark.parametrize("fun", [lambda x: x / np.sqrt(len(x)), lambda x: x * (len(x) % 7)],
                         ids=["sqrt_of_length", "length_mod_7"])
def test_length_no_exact_fit_is_refused(fun, tmp_path):
    """A length the size table cannot hold exactly (sqrt(N)), or no polynomial of N (N % 7):
    still a SizeError, before any code is made."""
    with pytest.raises(SizeError):
        tj.export(fun, "f32[N,8]", target="host", out_dir=str(tmp_path))
    assert not list(tmp_path.iterdir())


def test_length_rounding_without_sums(tmp_path):
    """No sum in the way: N and 1/N as the kernel reads them equal the JIT's folded float32
    constants bit for bit at every N, 2^24 + 1 included (it rounds to 2^24 both ways: the
    int64 -> float conversion rounds once, as float32(float(N)) does)."""
    def fun(x):
        return x * len(x) + 1.0 / len(x), x - (len(x) - 3)

    done = tj.export(fun, "f32[N]", target="host", out_dir=str(tmp_path), name="scale")
    exe = crossharness.build(done, str(tmp_path), "host")
    for n in (*SIZES, 2 ** 24 + 1):
        x = np.linspace(-2, 2, n, dtype=np.float32)
        code, got, _ = crossharness.run(exe, done, "host", [x.copy()])
        want = tj.jit(fun)(x.copy())
        assert code == 0 and all(_same(g, np.asarray(w)) for g, w in zip(got, want)), n


def test_lengths_with_threads(tmp_path):
    """``threads=True``: the length slots sit after the grain slots; the pool's chunks do not
    change the values (a centring is a map after the column mean)."""
    fun = PROGRAMS["standardize"]
    done = tj.export(fun, "f32[N,8]", target="host", out_dir=str(tmp_path), name="std_mt", threads=True,
                     sizes={"N": 20000})
    exe = crossharness.build(done, str(tmp_path), "host")
    rng = np.random.default_rng(9)
    for n in (1, 7, 20000, 50001):
        x = rng.standard_normal((n, 8)).astype(np.float32)
        code, got, _ = crossharness.run(exe, done, "host", [x.copy()])
        ref = ((x - x.mean(0, dtype=np.float64)) / x.std(0, dtype=np.float64)).astype(np.float32)
        assert code == 0 and _close(got[0], ref), n
