"""examples/edge at a small size: the digits MLP trained for 3 epochs, exported for aarch64 and
wasm32, built with the cross compiler and run under qemu-aarch64 and node by the example's own
Makefile; the C programs' predictions equal NumPy's (``make`` runs ``cmp``). Each target is
skipped with the reason when its toolchain is missing."""
from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from tests import crossharness

EDGE = pathlib.Path(__file__).resolve().parents[1] / "examples" / "edge"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    pytest.importorskip("sklearn", reason="the digits example needs scikit-learn (pip install -e '.[examples]')")
    if shutil.which("make") is None:
        pytest.skip("no make on PATH to run examples/edge/Makefile")
    build = tmp_path_factory.mktemp("edge")
    env = dict(os.environ, PYTHONPATH=str(EDGE.parents[1]))
    done = subprocess.run([sys.executable, str(EDGE / "export_digits.py"), "--out", str(build), "--epochs", "3",
                           "--images", "100"], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "warning" not in done.stdout, done.stdout
    expected = (build / "expected.txt").read_text().split()
    assert len(expected) == 100 and set(expected) <= set("0123456789")
    return build


@pytest.mark.parametrize("target, rule", [("aarch64-linux-gnu", "aarch64"), ("wasm32-wasi", "wasm")])
def test_edge_example_predictions_equal_python(exported, target, rule):
    crossharness.toolchain(target)
    run = subprocess.run(["make", "-C", str(EDGE), rule, f"BUILD={exported}"], capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "100 predictions equal Python's" in run.stdout
    predicted = exported / f"predicted-{target.split('-')[0]}.txt"
    assert predicted.read_text() == (exported / "expected.txt").read_text()
