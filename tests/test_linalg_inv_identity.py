"""``np.linalg.inv`` solves against an identity made from the element index (no n x n constant
in the program above the fold limit) and still matches NumPy bit for bit."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj

RNG = np.random.default_rng(1717)


@pytest.mark.parametrize("shape,dtype", [((2, 260, 260), np.float32), ((3, 5, 5), np.int64)])
def test_inv_identity_from_index_is_bit_identical(shape, dtype):
    a = (RNG.standard_normal(shape) * 4).astype(dtype)
    f = tj.jit(lambda a: np.linalg.inv(a))
    want, got = np.linalg.inv(a), f(a)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    program = f.lower(a).optimized.program
    n = shape[-1]
    if n * n > 1 << 16:  # (above the fold limit: smaller identities are folded into constants)
        assert [b.name for b in program.buffers if b.kind == "constant" and b.shape[-2:] == (n, n)] == []
