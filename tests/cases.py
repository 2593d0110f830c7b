"""Input generators shared by the op tests: values per dtype and the shape cases
(odd sizes, broadcasting, 0-d, zero-size, size-1 dims, non-contiguous, negative strides)."""
from __future__ import annotations

import numpy as np

MAIN_DTYPES = [np.dtype(d) for d in ("bool", "int32", "int64", "float32", "float64")]
EXTRA_DTYPES = [np.dtype(d) for d in ("int8", "int16", "uint8", "uint16", "uint32", "uint64")]

SPECIALS = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 0.5, -2.5, 1e-30, 3e38])


def values(rng: np.random.Generator, shape, dtype, domain: str = "any") -> np.ndarray:
    """Random values of ``dtype`` suited to an op's ``domain``:
    'any', 'positive', 'unit' (|x| <= 1), 'small' (small ints/floats), 'shift' (0..bits+2),
    'exponent' (0..5), 'atleast1' (x >= 1)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.random(shape) < 0.5
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        if domain == "shift":
            lo, hi = 0, dtype.itemsize * 8 + 2
        elif domain in ("exponent", "small"):
            lo, hi = (0 if dtype.kind == "u" else -3), 6
        elif domain in ("positive", "atleast1"):
            lo, hi = 1, min(100, int(info.max))
        else:
            lo, hi = max(-100, int(info.min)), min(100, int(info.max))
        return rng.integers(lo, hi, size=shape, endpoint=True).astype(dtype)
    x = rng.standard_normal(shape) * 3
    if domain == "positive":
        x = np.abs(x) + 0.01
    elif domain == "unit":
        x = np.tanh(x)
    elif domain == "atleast1":
        x = 1 + np.abs(x)
    elif domain in ("small", "exponent"):
        x = rng.uniform(-2, 2, shape)
    x = x.astype(dtype)
    if domain == "any" and x.size >= 16:  # sprinkle special values
        flat = x.reshape(-1)
        k = min(len(SPECIALS), flat.size // 4)
        pos = rng.choice(flat.size, size=k, replace=False)
        with np.errstate(over="ignore"):
            flat[pos] = SPECIALS[:k].astype(dtype)
    return x


def shape_cases(rng, dtype, arity: int, domain: str = "any") -> list[tuple]:
    """Operand tuples covering the layouts a kernel must handle."""
    def v(shape):
        return values(rng, shape, dtype, domain)

    cases = []
    shapes = [
        [(37,)] * arity,                                  # odd length: vector loop + tail
        [(3, 33)] + [(33,)] * (arity - 1),                # broadcasting a row
        [()] + [(5,)] * (arity - 1),                      # 0-d with 1-d
        [(0, 4)] + [(4,)] * (arity - 1),                  # zero-size
        [(4, 1)] + [(1, 5)] * (arity - 1),                # size-1 dims on both sides
        [()] * arity,                                     # all 0-d
    ]
    for group in shapes:
        cases.append(tuple(v(s) for s in group))
    big = v((9, 22))
    other = v((22, 9))
    strided = [big[::2, 1::3], other.T[::2, 1::3]] + [big[1::2, ::3]] * (arity - 2)
    cases.append(tuple(strided[:arity]))                  # non-contiguous, transposed
    rev = v((40,))
    cases.append(tuple([rev[::-1]] + [rev[::-3][:14]] * 0 + [v((40,))[::-1]] * (arity - 1)))  # negative strides
    return cases
