"""The autodiff fuzzer's check and campaign (``python -m tests.fuzz --grad``).

Each program of ``tests/fuzz/adgen.py`` is differentiated five ways: ``tj.grad`` (compiled),
``tj.grad`` under ``disable_jit`` (traced and evaluated with NumPy), ``tj.jit(tj.grad(f))``,
``tj.grad(tj.jit(f))`` and ``tj.jvp``. The directional derivative ``grad . v`` must match a
central finite difference of the NumPy function (points where two step sizes disagree, i.e.
near a kink or a branch switch, are skipped as ``skip-kink``), every mode must match the first,
and where JAX is installed ``jax.grad`` of the same source (``np`` -> ``jnp``, ``tj`` -> ``lax``)
must match elementwise. A non-finite gradient is ``skip-singular`` where JAX's is non-finite too,
else ``nonfinite-grad`` (listed for triage, not counted as a bug: JAX may have refused the program).
Runs in one process; a program past its time limit is a ``hang``.
"""
from __future__ import annotations

import collections
import contextlib
import importlib.util
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

import tracejit as tj
from tests.fuzz.adgen import ADProgram, generate_ad
from tracejit.errors import UnsupportedError

BUGS = ("internal-error", "hang", "wrong-grad", "mode-mismatch", "wrong-value", "jax-mismatch")
STEPS = (1e-5, 2e-5)


class Hang(Exception):
    """The program ran past its time limit."""


@contextlib.contextmanager
def time_limit(seconds: float):
    """Raise ``Hang`` in the body after ``seconds`` (main thread only)."""
    def alarm(signum, frame):
        raise Hang(f"over {seconds} s")
    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def load(source: str, directory: str, name: str):
    """Import ``source`` as a module (a real file: tracejit reads functions' source)."""
    path = Path(directory) / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules.pop(name, None)
    return module


def jax_grad(source: str, directory: str, name: str, args: list) -> list | None:
    """``jax.grad`` of the program's source read with ``jax.numpy``; None without JAX or when JAX refuses."""
    try:
        import jax
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    src = source.replace("import numpy as np", "import jax.numpy as np").replace("import tracejit as tj",
                                                                                "from jax import lax as tj")
    try:
        module = load(src, directory, name + "_jax")
        g = jax.grad(module.f, argnums=tuple(range(len(args))))(*[jax.numpy.asarray(a) for a in args])
        return [np.asarray(x) for x in g]
    except Exception:  # noqa: BLE001 - JAX refusing a program (boolean masks, data-dependent if) is not our bug
        return None


def _flat(g) -> np.ndarray:
    return np.concatenate([np.ravel(np.asarray(x, dtype=np.float64)) for x in g])


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:400]


def check(program: ADProgram, directory: str, use_jax: bool = True, timeout: float = 60.0) -> dict:
    """The verdict on one program: a dict with ``class``, ``message`` and, for errors, ``traceback``."""
    source = program.module_source()
    name = f"adprog_{program.seed}"
    module = load(source, directory, name)
    f = module.f
    rng = np.random.default_rng(program.seed)
    args = [rng.uniform(-1.0, 1.0, s) for s in module.SHAPES.values()]
    dirs = [rng.standard_normal(s) for s in module.SHAPES.values()]
    try:
        with np.errstate(all="ignore"):
            value = float(f(*args))
            fds = [(f(*[a + h * d for a, d in zip(args, dirs)]) - f(*[a - h * d for a, d in zip(args, dirs)])) / (2 * h)
                   for h in STEPS]
    except Exception as error:  # noqa: BLE001
        return {"class": "generator-error", "message": _describe(error), "traceback": traceback.format_exc()[-3000:]}
    if not (np.isfinite(value) and np.all(np.isfinite(fds))) or abs(value) > 1e8:
        return {"class": "skip-nonfinite", "message": f"f = {value}"}
    fd = float(fds[0])
    scale = max(1.0, abs(fd))
    if abs(fds[0] - fds[1]) > 1e-7 * scale:
        return {"class": "skip-kink", "message": f"finite differences {fds[0]!r} and {fds[1]!r} disagree"}
    argnums = tuple(range(len(args)))
    modes = {
        "grad": lambda: tj.grad(f, argnums=argnums)(*args),
        "grad-eager": lambda: eager(lambda: tj.grad(f, argnums=argnums)(*args)),
        "jit(grad)": lambda: tj.jit(tj.grad(f, argnums=argnums))(*args),
        "grad(jit)": lambda: tj.grad(tj.jit(f), argnums=argnums)(*args),
        "jvp": lambda: tj.jvp(f, tuple(args), tuple(dirs)),
    }
    results: dict = {}
    unsupported = []
    for mode, run in modes.items():
        try:
            with time_limit(timeout), np.errstate(all="ignore"):
                results[mode] = run()
        except Hang as error:
            return {"class": "hang", "mode": mode, "message": f"{mode}: {error}"}
        except UnsupportedError as error:
            unsupported.append(f"{mode}: {_describe(error)}")
        except Exception as error:  # noqa: BLE001 - any other exception of tracejit is a bug
            return {"class": "internal-error", "mode": mode, "message": f"{mode}: {_describe(error)}",
                    "traceback": traceback.format_exc()[-3000:]}
    grads = {m: _flat(r) for m, r in results.items() if m != "jvp"}
    flat_dirs = _flat(dirs)
    theirs = jax_grad(source, directory, name, args) if use_jax and grads else None
    for mode, g in grads.items():
        if not np.all(np.isfinite(g)) and theirs is not None and not np.all(np.isfinite(_flat(theirs))):
            return {"class": "skip-singular", "message": f"{mode}: non-finite gradient, as jax.grad's"}
        if not np.all(np.isfinite(g)):  # (JAX refused it: maybe a real 0/0, e.g. std of duplicated values)
            return {"class": "nonfinite-grad", "mode": mode, "message": f"{mode}: non-finite gradient (f'.v = {fd})"}
        directional = float(g @ flat_dirs)
        tol = 1e-6 * scale + 1e-8 * float(np.abs(g * flat_dirs).sum()) + 4 * abs(fds[0] - fds[1])
        if abs(directional - fd) > tol:
            return {"class": "wrong-grad", "mode": mode,
                    "message": f"{mode}: grad.v = {directional!r}, finite difference {fd!r}"}
    if grads:
        first, ref = next(iter(grads.items()))
        for mode, g in grads.items():
            if not np.allclose(g, ref, rtol=1e-8, atol=1e-10 * max(1.0, np.abs(ref).max())):
                return {"class": "mode-mismatch", "mode": mode,
                        "message": f"{mode} differs from {first} by {np.abs(g - ref).max():.3g}"}
    if "jvp" in results:
        out, tangent = results["jvp"]
        if not np.isclose(float(out), value, rtol=1e-9, atol=1e-12):
            return {"class": "wrong-value", "mode": "jvp", "message": f"jvp: value {float(out)!r}, NumPy {value!r}"}
        if abs(float(tangent) - fd) > 1e-6 * scale + 4 * abs(fds[0] - fds[1]):
            return {"class": "wrong-grad", "mode": "jvp", "message": f"jvp: tangent {float(tangent)!r}, "
                                                                     f"finite difference {fd!r}"}
    if theirs is not None:
        ref, t = next(iter(grads.values())), _flat(theirs)
        if np.all(np.isfinite(t)) and not np.allclose(ref, t, rtol=1e-7, atol=1e-9 * max(1.0, np.abs(t).max())):
            return {"class": "jax-mismatch", "message": f"tj.grad differs from jax.grad by {np.abs(ref - t).max():.3g}"}
    if unsupported:
        return {"class": "unsupported", "message": "; ".join(unsupported)[:600]}
    return {"class": "ok", "message": ""}


def eager(run):
    """``run()`` with ``tj.config.disable_jit`` set."""
    tj.config.disable_jit = True
    try:
        return run()
    finally:
        tj.config.disable_jit = False


def campaign(seed: int, programs: int | None, minutes: float | None, out: Path, use_jax: bool = True,
             timeout: float = 60.0) -> int:
    """Run a campaign in this process; write a repro per bug under ``out``; the number of bugs."""
    out.mkdir(parents=True, exist_ok=True)
    counts: collections.Counter = collections.Counter()
    buckets: dict[str, list[int]] = collections.defaultdict(list)
    features: collections.Counter = collections.Counter()
    deadline = time.monotonic() + minutes * 60 if minutes else None
    k = 0
    with tempfile.TemporaryDirectory() as directory:
        while (programs is None or k < programs) and (deadline is None or time.monotonic() < deadline):
            program = generate_ad(seed * 1_000_000 + k)
            k += 1
            try:
                verdict = check(program, directory, use_jax, timeout)
            except KeyboardInterrupt:
                break
            counts[verdict["class"]] += 1
            if k % 50 == 0:
                print(f"[{k}] " + ", ".join(f"{c} {n}" for c, n in counts.most_common()), flush=True)
            features.update(program.features)
            if verdict["class"] in BUGS or verdict["class"] in ("generator-error", "unsupported", "nonfinite-grad"):
                key = f"{verdict['class']}: {verdict.get('message', '')[:90]}"
                buckets[key].append(program.seed)
                header = "\n".join([f"{verdict['class']}: {verdict.get('message', '')}", verdict.get("traceback", "")])
                (out / f"ad_{program.seed}.py").write_text(program.module_source() + '\n\n"""\n' +
                                                           header.replace('"""', "'''") + '\n"""\n')
    print(f"{k} programs: " + ", ".join(f"{c} {n}" for c, n in counts.most_common()))
    print("features: " + ", ".join(f"{c} {n}" for c, n in sorted(features.items())))
    for key, seeds in sorted(buckets.items(), key=lambda kv: -len(kv[1])):
        print(f"  {len(seeds):>4}  {key}\n        seeds {seeds[:6]}")
    return sum(counts[c] for c in BUGS)
