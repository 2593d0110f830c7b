"""Kernel passes: named, timed, dumped and verified like graph passes."""
from __future__ import annotations

import dataclasses
import logging
import re

import numpy as np
import pytest

import tracejit as tj
from tracejit.compiler import schedule
from tracejit.compiler.kernelize.form import form_kernels
from tracejit.compiler.passes import run_passes
from tracejit.compiler.pipeline import optimize
from tracejit.compiler.schedule import KERNEL_PASSES, run_kernel_passes

KERNEL_STEPS = ["kernelize"] + [name for name, _ in KERNEL_PASSES]


def _column_sums(x):
    return np.exp(x).sum(axis=0) + 1


def _graph():
    return tj.jit(_column_sums).lower(np.ones((64, 8))).traced.graph


def test_kernel_passes_appear_with_timings_in_as_text():
    text = tj.jit(_column_sums).lower(np.ones((64, 8))).as_text("passes")
    steps = re.findall(r"^== after (\S+) \((\d+\.\d\d) ms, (?:changed|unchanged)\)$", text, re.M)
    names = [name for name, _ in steps]
    assert names[names.index("fusion") + 1:] == KERNEL_STEPS  # after the graph passes, in order
    after_kernelize = text[text.index("== after kernelize"):]
    assert "kernel k0" in after_kernelize and "buffer out" in after_kernelize  # each dumps the kernel program
    assert "schedule: " in text[text.index("== after schedule_kernels"):]


def test_kernel_passes_appear_in_the_passes_log(caplog, monkeypatch):
    monkeypatch.setattr(tj.config, "log", frozenset({"passes"}))
    with caplog.at_level(logging.INFO, logger="tracejit"):
        tj.jit(_column_sums)(np.ones((64, 8)))
    messages = [r.getMessage() for r in caplog.records]
    for name in KERNEL_STEPS:
        assert any(re.match(rf"after {re.escape(name)} \(\d+\.\d\d ms, (changed|unchanged)\):\nbuffer ", m)
                   for m in messages), name


def _out_of_bounds(program, graph):
    """A broken pass: the first kernel's store moves past the end of its buffer."""
    kernel = program.kernels[0]
    nest = kernel.nests[0]
    kernel.nests[0] = dataclasses.replace(nest, store=dataclasses.replace(nest.store, offset=10 ** 6))
    return program


def test_a_verification_failure_names_the_kernel_pass():
    passes = KERNEL_PASSES[:2] + [("break_bounds", _out_of_bounds)] + KERNEL_PASSES[2:]
    graph = _graph().copy()
    run_passes(graph)
    with pytest.raises(AssertionError, match=r"after kernel pass break_bounds: kernel k0: access"):
        run_kernel_passes(graph, lambda g: form_kernels(g, lambda sub: optimize(sub).program), passes, verify=True)


def test_the_test_run_verifies_after_every_kernel_pass(monkeypatch):
    assert tj.config.verify  # tests/conftest.py sets TRACEJIT_VERIFY=1
    graph = _graph()
    monkeypatch.setattr(schedule, "KERNEL_PASSES", KERNEL_PASSES[:1] + [("break_bounds", _out_of_bounds)])
    with pytest.raises(AssertionError, match="after kernel pass break_bounds"):
        optimize(graph)  # verify defaults to the switch
    monkeypatch.setattr(tj.config, "verify", False)
    optimize(graph)  # unverified: nothing else checks the broken store in this pass list
