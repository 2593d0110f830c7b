"""Compile-time reporting (``tracejit/stagetimes.py``): a slow compilation logs one line
naming the function, ``TRACEJIT_LOG=compile`` lists every stage, fast ones say nothing."""
from __future__ import annotations

import logging
import os
import subprocess
import sys

import numpy as np
import pytest

import tracejit as tj
from tracejit.config import config
from tracejit.stagetimes import STAGES, StageTimes, measuring, stage


@pytest.fixture
def logs():
    """The tracejit logger's records (the logger's own handler, so it works with or without root handlers)."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    logger = logging.getLogger("tracejit")
    handler = Keep(logging.DEBUG)
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)  # (setLevel: it clears the logger's cache of enabled levels)
    yield records
    logger.setLevel(level)
    logger.removeHandler(handler)


def slow_function(x, y):
    return np.sin(x) * 2 + y


def test_a_slow_compilation_logs_exactly_one_line_naming_the_function(logs, monkeypatch):
    monkeypatch.setattr(config, "slow_compile_seconds", 0.0)  # every compilation counts as slow
    f = tj.jit(slow_function)
    x = np.arange(5.0)
    np.testing.assert_allclose(f(x, x), slow_function(x, x))
    f(x, x)  # cached: no compilation, no line
    warnings = [r for r in logs if r.levelno == logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in logs]
    text = warnings[0].getMessage()
    assert "slow_function" in text and "slowest stage" in text and "took" in text
    assert any(s in text for s in STAGES)


def test_fast_compilations_log_nothing_by_default(logs, monkeypatch):
    monkeypatch.setattr(config, "slow_compile_seconds", 1e9)
    monkeypatch.setattr(config, "log", frozenset())
    f = tj.jit(lambda x: x + 1)
    f(np.ones(3))
    assert not logs


def test_log_compile_lists_every_stage(logs, monkeypatch):
    monkeypatch.setattr(config, "log", frozenset({"compile"}))
    monkeypatch.setattr(config, "cache_enabled", False)  # compiled now: every stage runs
    f = tj.jit(lambda x, y: np.cos(x) @ y + x.sum())
    x = np.arange(9.0).reshape(3, 3)
    np.testing.assert_allclose(f(x, x), np.cos(x) @ x + x.sum())
    lines = [r.getMessage() for r in logs if r.levelno == logging.INFO]
    assert len(lines) == 1, lines
    for name in ("trace", "graph passes", "kernel formation", "kernel passes", "generic form", "codegen",
                 "LLVM optimize", "machine code", "load", "total"):
        assert name in lines[0], (name, lines[0])


def test_nested_stages_are_counted_apart_and_add_up():
    times = StageTimes()
    with measuring(times):
        with stage("kernel passes"):
            with stage("kernel formation"):
                with stage("graph passes"):
                    pass
    assert set(times.seconds) == {"kernel passes", "kernel formation", "graph passes"}
    assert sum(times.seconds.values()) <= times.total + 1e-9
    with stage("trace"):  # outside any compilation: nothing recorded, no error
        pass


def test_the_warning_reaches_stderr_without_configuration_and_can_be_silenced():
    script = ("import logging, numpy as np, tracejit as tj\n"
              "import sys\n"
              "if sys.argv[1] == 'quiet': logging.getLogger('tracejit').setLevel(logging.ERROR)\n"
              "def named_kernel(x): return x * 2\n"
              "tj.jit(named_kernel)(np.ones(3))\n")
    env = {**os.environ, "TRACEJIT_SLOW_COMPILE": "0"}
    env.pop("TRACEJIT_LOG", None)
    loud = subprocess.run([sys.executable, "-c", script, "loud"], capture_output=True, text=True, env=env,
                          timeout=120)
    assert loud.returncode == 0, loud.stderr
    lines = [line for line in loud.stderr.splitlines() if "named_kernel" in line]
    assert len(lines) == 1 and "[tracejit:compile]" in lines[0], loud.stderr
    quiet = subprocess.run([sys.executable, "-c", script, "quiet"], capture_output=True, text=True, env=env,
                           timeout=120)
    assert quiet.returncode == 0 and "named_kernel" not in quiet.stderr, quiet.stderr
