"""A worker process: runs program sources sent as JSON lines, answers verdicts.

Protocol: one JSON object per line on stdin (``{"id", "source"}``), one verdict per line
on the original stdout; anything the program or tracejit prints goes to stderr (the
pool keeps it in a log, for crash reports). A program is written to a file and imported,
so tracebacks and tracejit's error messages name real lines.
"""
from __future__ import annotations

import importlib.util
import json
import os
import sys
import tempfile
import time
import traceback
import warnings


def run_source(source: str, directory: str, name: str) -> dict:
    """Write, import and check one program module; its verdict."""
    path = os.path.join(directory, name + ".py")
    with open(path, "w") as fh:
        fh.write(source)
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.run_check(module.f, module.SPECS, module.EXPECT)
    except Exception as error:  # noqa: BLE001 - a failure of the harness itself, not of tracejit
        return {"class": "harness-error", "message": f"{type(error).__name__}: {error}"[:500],
                "traceback": traceback.format_exc()[-3000:]}
    finally:
        sys.modules.pop(name, None)
        os.unlink(path)


def main() -> None:
    """Serve jobs until stdin closes."""
    protocol = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # stray prints (ours, tracejit's, native) go to the log
    sys.stdout = sys.stderr
    os.environ.setdefault("TRACEJIT_CACHE", "0")
    warnings.simplefilter("ignore")
    from tests.fuzz.memlimit import limit_memory
    limit_memory()
    import numpy as np

    import tracejit  # noqa: F401 - import once, before the first job's clock starts
    np.seterr(all="ignore")
    with tempfile.TemporaryDirectory(prefix="tjfuzz") as directory:
        for line in sys.stdin:
            job = json.loads(line)
            print(f"=== job {job['id']}", file=sys.stderr, flush=True)
            start = time.perf_counter()
            verdict = run_source(job["source"], directory, f"fuzzprog_{os.getpid()}_{job['id']}")
            verdict["id"], verdict["seconds"] = job["id"], round(time.perf_counter() - start, 3)
            protocol.write(json.dumps(verdict, default=str) + "\n")
            protocol.flush()


if __name__ == "__main__":
    main()
