"""What differs between the Pythons tracejit supports (3.10 to 3.13; .ci/run runs this file on the
oldest and the newest too): regressions found running the suite on 3.10."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tracejit.errors import add_note
from tracejit.frontend.randomness import is_random


def test_notes_are_kept_where_python_has_no_add_note():
    # 3.10 has no BaseException.add_note: tracejit's notes on a user's error (host calls) crashed there
    error = IndexError("index 5 is out of bounds")
    add_note(error, "first")
    add_note(error, "second")
    assert error.__notes__ == ["first", "second"] and str(error) == "index 5 is out of bounds"


def test_a_user_error_inside_a_numpy_call_keeps_its_type_and_gets_a_note():
    def f(x):
        return np.apply_along_axis(lambda row: row[[5]], 0, x)  # a host call whose function raises
    with pytest.raises(IndexError) as raised:
        tj.jit(f)(np.ones((3, 2)))
    with pytest.raises(IndexError):
        f(np.ones((3, 2)))
    assert any("tracejit" in note for note in getattr(raised.value, "__notes__", []))


def test_a_type_whose_module_is_not_a_string_is_not_random():
    # Cython's function type under 3.10: numpy.random's methods read from their class had a member
    # descriptor for their type's __module__, and is_random crashed on it (an internal error)
    odd = type("Odd", (), {"__module__": property(lambda self: "numpy.random")})
    assert not isinstance(odd.__module__, str)
    assert is_random(odd()) is False


@pytest.mark.parametrize("method", ["random", "standard_normal"])
def test_generator_methods_called_on_the_class(method):
    def f(x, rng):
        return x + getattr(np.random.Generator, method)(rng, 3)
    x = np.arange(3.0)
    got = tj.jit(f)(x, np.random.default_rng(7))
    np.testing.assert_array_equal(got, f(x, np.random.default_rng(7)))
