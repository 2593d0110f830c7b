"""The cyclic collector is paused while a function compiles and restored after."""
from __future__ import annotations

import gc

import numpy as np

import tracejit as tj
from tracejit.runtime.gcpause import paused_gc


def test_collector_paused_during_compile_and_restored():
    seen = []

    def f(x):
        seen.append(gc.isenabled())
        return x + 1

    assert gc.isenabled()
    tj.jit(f)(np.ones(3))
    assert seen == [False] and gc.isenabled()


def test_nesting_and_an_already_disabled_collector():
    gc.disable()
    try:
        with paused_gc():
            with paused_gc():
                assert not gc.isenabled()
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()
    with paused_gc():
        try:
            with paused_gc():
                raise ValueError
        except ValueError:
            pass
        assert not gc.isenabled()
    assert gc.isenabled()
