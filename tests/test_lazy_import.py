"""``import tracejit`` loads the configuration and the error classes only (issue 21): the
frontend, the exporter, the compiler and llvmlite are imported when a public name first
needs them, and every name in ``__all__`` still imports and works. Asserted on the modules
loaded, not on milliseconds (``python -m benchmarks.neighbours`` times the import)."""
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

IMPORT_ONLY = """
import sys
import tracejit
heavy = ["llvmlite", "llvmlite.binding", "tracejit.compiler.codegen", "tracejit.compile",
         "tracejit.frontend.api", "tracejit.export.api", "tracejit.export.plan", "tracejit.compiler.graph",
         "networkx"]
loaded = [m for m in heavy if m in sys.modules]
assert not loaded, f"import tracejit loaded {loaded}"
print("ok")
"""

EVERY_NAME = """
import pickle
import sys
import numpy as np
import tracejit as tj
assert set(tj.__all__) <= set(dir(tj)), sorted(set(tj.__all__) - set(dir(tj)))
import tracejit.export.plan  # a submodule of the package named like the function: tj.export stays the function
from tracejit import *  # noqa: F403
missing = [n for n in tj.__all__ if n not in globals()]
assert not missing, missing
from tracejit.export.api import export as the_export
assert tj.export is the_export and callable(tj.export)
from tracejit.frontend.api import jit as the_jit
assert tj.jit is the_jit and tj.grad.__module__ == "tracejit.frontend.autodiff"
try:
    tj.no_such_name
except AttributeError as error:
    assert "no_such_name" in str(error)
else:
    raise AssertionError("a missing attribute resolved")
f = tj.jit(lambda a: a * 2.0 + 1.0)
assert np.allclose(f(np.arange(4.0)), np.arange(4.0) * 2.0 + 1.0)
g = pickle.loads(pickle.dumps(tj.jit(np.cos)))
assert np.allclose(g(np.arange(3.0)), np.cos(np.arange(3.0)))
print("ok")
"""


def _run(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": REPO + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300, cwd=REPO)


def test_import_loads_no_frontend_compiler_or_llvmlite():
    res = _run(IMPORT_ONLY)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr


def test_every_public_name_imports_on_first_use():
    res = _run(EVERY_NAME)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr
