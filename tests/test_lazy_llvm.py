"""llvmlite is loaded by the first compilation, not by ``import tracejit`` (``compile.py``),
and without it tracing works and compiling says clearly what is missing."""
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Until the op registry stops importing the math library's lowerings (compiler/mathlib
# imports codegen) and frontend/boundary.py stops importing llvmlite to find its path,
# ``import tracejit`` still loads llvmlite through them (issue 15: ops and frontend).

LOADED_BY_THE_FIRST_CALL = """
import sys
import numpy as np
import tracejit as tj
assert "llvmlite" not in sys.modules, "import tracejit loaded llvmlite"
f = tj.jit(lambda a: np.sin(a) * 2.0 + 1.0)
assert "llvmlite" not in sys.modules, "decorating loaded llvmlite"
x = np.linspace(0, 1, 9)
assert np.allclose(f(x), np.sin(x) * 2.0 + 1.0)
assert "llvmlite" in sys.modules
print("ok")
"""

BLOCKED = """
import sys

class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "llvmlite" or name.startswith("llvmlite."):
            raise ImportError(f"No module named {name!r} (blocked by the test)", name=name)
        return None

sys.meta_path.insert(0, Block())
import numpy as np
import tracejit as tj
f = tj.jit(lambda a: np.exp(a) + 1.0)
graph = f.lower(np.ones(3)).as_text("graph")
assert "exp" in graph, graph
try:
    f(np.ones(3))
except tj.TracejitError as error:
    assert isinstance(error, ImportError) and "llvmlite" in str(error), repr(error)
    print("ok")
else:
    raise AssertionError("compiled without llvmlite")
"""


def _run(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": REPO + os.pathsep + os.environ.get("PYTHONPATH", ""), "TRACEJIT_CACHE": "0"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300, cwd=REPO)


def test_import_loads_no_llvmlite_and_the_first_call_does():
    res = _run(LOADED_BY_THE_FIRST_CALL)
    assert res.returncode == 0 and res.stdout.strip().endswith("ok"), res.stderr


def test_without_llvmlite_tracing_works_and_compiling_names_it():
    res = _run(BLOCKED)
    assert res.returncode == 0 and res.stdout.strip().endswith("ok"), res.stderr
