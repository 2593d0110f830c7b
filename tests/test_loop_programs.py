"""The loop-and-branch programs of issue 16 (benchmarks/loop_programs) run eagerly, and the
runner (benchmarks/loops.py) reports timeouts and exceptions as statuses."""
from __future__ import annotations

import sys

import numpy as np
import pytest

from benchmarks.loop_programs import CASES, NAMES, program
from benchmarks.loops import format_table, run_case, status_of, timeout_status
from benchmarks.programs import arguments


@pytest.mark.parametrize("name", NAMES)
def test_eager_kernel_is_finite(name):
    prog = program(name)
    result = prog.kernel(*arguments(prog, "test", 0))
    for leaf in result if isinstance(result, tuple) else (result,):
        assert np.isfinite(np.asarray(leaf, dtype=float)).all(), name


def test_every_case_names_a_size_of_its_program():
    for case, module, size in CASES:
        assert size in program(module).SIZES and "test" in program(module).SIZES, case


def test_timeout_is_a_status():
    row = run_case("stub", 0.5, [sys.executable, "-c", "import time; time.sleep(30)"])
    assert row["status"] == timeout_status(0.5) == "timeout at 0.5 s"


def test_partial_rows_survive_a_timeout():
    script = "import time; print('{\"name\": \"stub\", \"first_s\": 1.5}', flush=True); time.sleep(30)"
    row = run_case("stub", 2, [sys.executable, "-c", script])
    assert row["first_s"] == 1.5 and row["status"] == "timeout at 2 s"


def test_exception_is_a_status():
    row = run_case("stub", 20, [sys.executable, "-c", "raise ValueError('boom')"])
    assert row["status"].startswith("exit 1") and "ValueError: boom" in row["status"]
    assert status_of(TypeError("bad operand\nsecond line")) == "TypeError: bad operand"


def test_table_judges_the_targets():
    rows = [{"name": "gru", "status": "ok", "first_s": 3.0, "kernels": 5, "traces": 1, "eager_ms": 20.0,
             "jit_ms": 2.0},
            {"name": "gru_5", "status": "ok", "first_s": 1.0, "kernels": 5, "traces": 1, "eager_ms": 2.0,
             "jit_ms": 1.0},
            {"name": "newton", "status": timeout_status(60)}]
    text = format_table(rows)
    assert "missed    gru first call <= 1 s: 3.00 s" in text
    assert "missed    gru first call <= 1.2x gru_5's: 3.00x" in text
    assert "met       gru correct and >= 8x NumPy: 10.00x" in text
    assert "missed    newton correct and >= 1x NumPy: timeout at 60 s" in text
