"""Bad input never crashes: clear exceptions naming the argument or the user's line."""
from __future__ import annotations

import re

import numpy as np
import pytest

import tracejit as tj

HERE = "test_errors.py:"


def test_unsupported_numpy_function_names_it_and_the_line():  # (with fallback=False: no host call)
    with pytest.raises(tj.UnsupportedError, match=rf"numpy\.setdiff1d is not supported.*{HERE}\d+"):
        tj.jit(lambda x: np.setdiff1d(x, x), fallback=False)(np.ones(3))
    with pytest.raises(tj.UnsupportedError, match=r"numpy\.linalg\.svd"):
        tj.jit(lambda x: np.linalg.svd(x), fallback=False)(np.eye(3))
    with pytest.raises(tj.UnsupportedError, match=r"numpy\.subtract\.accumulate"):
        tj.jit(lambda x: np.subtract.accumulate(x), fallback=False)(np.ones(3))
    # a host call whose result size is the data's: returned, fine; combined with a fixed shape, refused
    np.testing.assert_array_equal(tj.jit(lambda x: np.setdiff1d(x, x[:1]))(np.arange(3.0)), [1.0, 2.0])
    combined = tj.jit(lambda x: np.setdiff1d(x, x) + x)  # refused: the whole function runs eagerly, as NumPy
    (name, _, why), = combined.lower(np.ones(3)).fallbacks
    assert "whole function" in name and re.search(rf"numpy\.setdiff1d.*{HERE}\d+", why)
    with pytest.raises(ValueError, match="broadcast"):  # NumPy's own error (shapes (0,) and (3,))
        combined(np.ones(3))
    # a NumPy array made while tracing (not traced): tracejit cannot write into it
    # (arrays from outside are captured inputs and can be written: tests/test_capture.py)
    with pytest.raises(tj.UnsupportedError, match="not supported"):
        tj.jit(lambda x: np.add(x, 1, out=np.eye(3)[0]), fallback=False)(np.ones(3))


def test_data_dependent_control_flow_points_to_the_line():
    def f(x):
        if x.sum() > 0:
            return x
        return -x

    with pytest.raises(tj.TracerConversionError, match=rf"truth value.*{HERE}\d+.*np\.where"):
        tj.jit(f, autograph=False, fallback=False)(np.ones(3))  # (converted by default: tests/test_autograph.py)
    for conv in (float, int, bool):
        with pytest.raises(tj.TracerConversionError):
            tj.jit(lambda x: conv(x[0]), fallback=False)(np.ones(3))
    # np.asarray of a traced value converts as NumPy does (frontend/arrayconv.py)
    np.testing.assert_array_equal(tj.jit(lambda x: np.asarray(x) + 1, fallback=False)(np.ones(3)), np.full(3, 2.0))
    with pytest.raises(tj.TracerConversionError):
        tj.jit(lambda x: x.item(), fallback=False)(np.ones(1))
    with pytest.raises(tj.TracerConversionError):
        tj.jit(lambda x: range(x.max()), fallback=False)(np.ones(3, int))


def test_bad_argument_dtypes_name_the_argument():
    f = tj.jit(lambda x, y: x + y)
    with pytest.raises(TypeError, match="argument 'y'.*complex256"):
        f(np.ones(3), np.ones(3, np.clongdouble))  # complex64 and complex128 are supported
    with pytest.raises(TypeError, match="argument 'x'.*object"):
        f(np.array([1, None], dtype=object), np.ones(2))
    with pytest.raises(TypeError, match="argument 'x'.*float128"):
        f(np.ones(3, np.longdouble), np.ones(3))
    with pytest.raises(TypeError, match="argument 'x'.*<U"):
        f(np.array(["a", "b"]), np.ones(2))


def test_unhashable_static_arguments():
    f = tj.jit(lambda x, opts: x * len(opts))
    with pytest.raises(TypeError, match=r"argument 'opts\[0\]' is static.*hashable"):
        f(np.ones(2), [{1, 2}])
    assert f(np.ones(2), [{"a": 1}])[0] == 1  # nests of hashable values are fine


def test_shape_errors_point_to_the_line():
    with pytest.raises(ValueError, match=rf"broadcast.*{HERE}\d+"):
        tj.jit(lambda a, b: a + b)(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="cannot reshape"):
        tj.jit(lambda a: a.reshape(4, 2))(np.ones(6))
    with pytest.raises(np.exceptions.AxisError):
        tj.jit(lambda a: a.sum(axis=2))(np.ones((2, 2)))
    with pytest.raises(ValueError, match="duplicate"):
        tj.jit(lambda a: a.sum(axis=(0, 0)))(np.ones((2, 2)))
    with pytest.raises(ValueError, match="concatenation axis"):
        tj.jit(lambda a, b: np.concatenate([a, b], axis=0))(np.ones((2, 2)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="squeeze"):
        tj.jit(lambda a: a.squeeze(axis=0))(np.ones((2, 2)))
    with pytest.raises(ValueError, match="axes don't match"):
        tj.jit(lambda a: a.transpose(0, 0))(np.ones((2, 2)))


def test_unsupported_dtype_inside_the_function():
    with pytest.raises(tj.UnsupportedError, match="not supported"):
        tj.jit(lambda a: a.astype(np.clongdouble), fallback=False)(np.ones(2))
    with pytest.raises(TypeError, match="float128 is not supported"):
        tj.jit(lambda a: a.astype(np.longdouble), fallback=False)(np.ones(2))
    with pytest.raises(TypeError, match="boolean negative"):
        tj.jit(lambda a: -a, fallback=False)(np.ones(2, bool))


def test_leaked_tracer_is_reported():
    leaked = []

    @tj.jit
    def f(x):
        leaked.append(x)
        return x + 1

    @tj.jit
    def g(y):
        return y + leaked[0]

    f(np.ones(2))
    with pytest.raises(tj.TraceError, match="another trace"):
        g(np.ones(2))


def test_odd_inputs_work_like_numpy():
    f = tj.jit(lambda a, b: a * 2 + b)
    x = np.arange(12.0)
    cases = [
        (x[::-1], x),                                  # negative stride
        (x.reshape(3, 4).T, np.ones(3)),               # Fortran order
        (np.asfortranarray(x.reshape(3, 4)), 1.5),     # Python float, static
        (x.astype(">f8"), x),                          # big-endian
        (np.frombuffer(b"\0" + x.tobytes(), dtype=np.float64, count=12, offset=1), x),  # misaligned
        (np.float32(3.0), x),                          # NumPy scalar
        (np.zeros((0, 5)), np.ones(5)),                # zero-size
        (np.array(2.0), np.array(3.0)),                # 0-d
    ]
    ro = x.copy()
    ro.flags.writeable = False
    cases.append((ro, x))
    for a, b in cases:
        np.testing.assert_array_equal(f(a, b), f.eager(a, b))
