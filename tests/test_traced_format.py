"""Formatting traced values (met by examples/train_digits.py: a layer loop over ``f"W{i}"``
keys): a traced 0-d value's text needs its value, so the conversion fails and a loop whose
body formats its index unrolls."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj


def test_layer_loop_with_f_string_keys_unrolls():
    """``for i in range(n_layers): h = f(h @ params[f"W{i}"])``: the loop cannot roll (the body
    needs ``i``'s text, and the carried ``h`` changes shape). Formatting the traced index gave
    its repr ("WTracer<i64[]> %0"), the loop rolled with the first layer's shapes and the call
    raised a KeyError-like LookupError or a shape mismatch; now formatting a 0-d traced value
    fails like any concrete conversion and the loop unrolls."""
    def predict(params, x):
        n_layers = len(params) // 2
        h = x
        for i in range(n_layers - 1):
            h = np.maximum(h @ params[f"W{i}"] + params[f"b{i}"], 0.0)
        return h @ params[f"W{n_layers - 1}"] + params[f"b{n_layers - 1}"]

    rng = np.random.default_rng(0)
    sizes = [4, 8, 8, 6, 3]
    params = {}
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        params[f"W{i}"], params[f"b{i}"] = rng.standard_normal((a, b)), rng.standard_normal(b)
    x = rng.standard_normal((5, 4))
    np.testing.assert_allclose(tj.jit(predict)(params, x), predict(params, x), rtol=1e-12)
    grads = tj.grad(lambda p: np.sum(predict(p, x) ** 2))(params)
    assert set(grads) == set(params) and grads["W0"].shape == (4, 8)


def test_formatting_a_traced_scalar_is_a_conversion_error():
    """f"{s}" of a traced 0-d value needs its value (as ``float(s)`` does); an array's f"{x}"
    is still its repr (as in JAX), for debugging prints."""
    @tj.jit(fallback=False)
    def label(x):
        return f"{np.sum(x)}"

    with pytest.raises(tj.TracerConversionError, match="formatting"):
        label(np.ones(3))

    @tj.jit
    def shown(x):
        text = f"{x}"
        return x + len(text) * 0
    np.testing.assert_array_equal(shown(np.ones(3)), np.ones(3))
