"""``TRACEJIT_ISA`` / ``tj.config.isa``: the host target restricted to an ISA level (``avx2``:
AVX-512 off) schedules and compiles 256-bit code (no zmm register in the machine code) that
computes NumPy's results; ``native`` keeps every feature."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same
from tests.gemmcases import TOL
from tracejit.compiler import target as target_module
from tracejit.compiler.target import host_features, host_target, restrict_features
from tracejit.config import ISA_LEVELS, Config

AVX512 = "+avx512f" in host_features().split(",")


def test_restrict_features():
    feats = "+avx2,+fma,+avx512f,+avx512bw,-avx512fp16,+amx-tile,+evex512,+sse4.2"
    assert restrict_features(feats, "avx2") == "+avx2,+fma,-avx512f,-avx512bw,-avx512fp16,-amx-tile,-evex512,+sse4.2"
    assert restrict_features(feats, "native") == feats
    with pytest.raises(ValueError, match="unknown ISA level 'sse9'"):
        restrict_features(feats, "sse9")


def test_config_reads_the_level():
    assert Config.from_env({"TRACEJIT_ISA": "AVX2"}).isa == "avx2"
    assert Config.from_env({}).isa == "native"
    with pytest.raises(ValueError, match="TRACEJIT_ISA must be one of native, avx2"):
        Config.from_env({"TRACEJIT_ISA": "avx9"})
    assert set(ISA_LEVELS) == set(target_module.ISA_LEVELS)


def test_host_target_follows_the_setting():
    native = host_target()
    with tj.config.overriding(isa="avx2"):
        avx2 = host_target()
        assert target_module.target_machine() is not target_module.target_machine(native.features)
    assert host_target() is native and native.name == "host"
    assert avx2.vector_bytes == min(32, native.vector_bytes) and avx2.vector_registers == 16
    assert "+avx512f" not in avx2.features.split(",") and avx2.key != native.key or not AVX512


def _product_and_map(a, b, bias, x):
    return np.tanh(a @ b + bias), np.exp(x) * 2.0 + x


def _arguments(dtype):
    rng = np.random.default_rng(11)
    a = rng.standard_normal((96, 300)).astype(dtype)
    b = rng.standard_normal((300, 130)).astype(dtype)
    return a, b, rng.standard_normal(130).astype(dtype), rng.standard_normal(1001).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_avx2_code_in_process(dtype):
    """Set at run time: functions compiled while it is ``avx2`` get 256-bit code (asked for
    their assembly after it is set back: the machine code's own), with NumPy's results."""
    args = _arguments(dtype)
    f = tj.jit(_product_and_map)
    with tj.config.overriding(isa="avx2"):
        got = f(*args)
    for g, want in zip(got, _product_and_map(*args)):
        assert_same(g, want, **TOL[np.dtype(dtype)])
    asm = f.lower(*args).as_text("asm")
    assert "%ymm" in asm and "%zmm" not in asm
    if AVX512:  # the same function compiled natively uses AVX-512
        assert "%zmm" in tj.jit(_product_and_map).lower(*args).as_text("asm")


CHILD = """
import json, sys, numpy as np, tracejit as tj
sys.path.insert(0, {root!r})
from tests.test_isa_level import _arguments, _product_and_map
args = _arguments(np.float32)
f = tj.jit(_product_and_map)
got = f(*args)
want = _product_and_map(*args)
print(json.dumps({{"isa": tj.config.isa, "asm": f.lower(*args).as_text("asm").count("%zmm"),
                  "ymm": f.lower(*args).as_text("asm").count("%ymm"),
                  "err": max(float(np.max(np.abs(g - w))) for g, w in zip(got, want))}}))
"""


def test_environment_variable_in_a_fresh_process(tmp_path):
    """``TRACEJIT_ISA=avx2`` read at import: the whole process compiles 256-bit code."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, TRACEJIT_ISA="avx2", TRACEJIT_CACHE_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", CHILD.format(root=root)], env=env, cwd=root,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["isa"] == "avx2" and out["asm"] == 0 and out["ymm"] > 0 and out["err"] < 1e-3


def test_config_overriding_restores_and_refuses_unknown_names():
    before = (tj.config.isa, tj.config.fold_limit)
    with pytest.raises(RuntimeError), tj.config.overriding(isa="avx2", fold_limit=7):
        assert (tj.config.isa, tj.config.fold_limit) == ("avx2", 7)
        raise RuntimeError
    assert (tj.config.isa, tj.config.fold_limit) == before
    with pytest.raises(AttributeError, match="no setting isaa"), tj.config.overriding(isaa="avx2"):
        pass
