"""The autodiff fuzzer's check of first derivatives (``python -m tests.fuzz --grad``; second
derivatives: ``adsecond.py``; the campaign: ``adcampaign.py``).

Each program of ``tests/fuzz/adgen.py`` is differentiated five ways: ``tj.grad`` (compiled),
``tj.grad`` under ``disable_jit`` (traced and evaluated with NumPy), ``tj.jit(tj.grad(f))``,
``tj.grad(tj.jit(f))`` and ``tj.jvp``. The directional derivative ``grad . v`` must match a
central finite difference of the NumPy function (points where two step sizes disagree, i.e.
near a kink or a branch switch, are skipped as ``skip-kink``), every mode must match the first,
and where JAX is installed ``jax.grad`` of the same source (``np`` -> ``jnp``, ``tj`` -> ``lax``)
must match elementwise. A non-finite gradient is ``skip-singular`` where JAX's is non-finite too,
else ``nonfinite-grad`` (listed for triage, not counted as a bug: JAX may have refused the program).
Runs in one process; a program past its time limit is a ``hang``. Float32 programs (kind ``f32``)
are checked against float64 differences of the same values with float32 tolerances, and every
gradient must have its argument's dtype, every jvp NumPy's result dtype (``wrong-dtype``); complex
ones (kind ``complex``) by JAX's convention.
"""
from __future__ import annotations

import contextlib
import importlib.util
import signal
import sys
import traceback
from pathlib import Path

import numpy as np

import tracejit as tj
from tests.fuzz.adgen import ADProgram
from tracejit.errors import UnsupportedError

BUGS = ("internal-error", "hang", "wrong-grad", "mode-mismatch", "wrong-value", "jax-mismatch", "wrong-dtype",
        "wrong-hvp")
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


def jax_grad(source: str, directory: str, name: str, args: list, dirs: list | None = None) -> list | None:
    """``jax.grad`` of the program's source read with ``jax.numpy`` (with ``dirs``: the jvp of its
    gradient along them, a Hessian-vector product); None without JAX or when JAX refuses."""
    try:
        import jax
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    src = source.replace("import numpy as np", "import jax.numpy as np").replace("import tracejit as tj",
                                                                                "from jax import lax as tj")
    try:
        module = load(src, directory, name + "_jax")
        grad = jax.grad(module.f, argnums=tuple(range(len(args))))
        primals = [jax.numpy.asarray(a) for a in args]
        g = grad(*primals) if dirs is None else \
            jax.jvp(lambda *a: grad(*a), primals, [jax.numpy.asarray(d) for d in dirs])[1]
        return [np.asarray(x) for x in g]
    except Exception:  # noqa: BLE001 - JAX refusing a program (boolean masks, data-dependent if) is not our bug
        return None


def flat(g) -> np.ndarray:
    """The leaves of ``g`` raveled into one float64 vector (complex128 where a leaf is complex)."""
    leaves = [np.ravel(np.asarray(x)) for x in g]
    dtype = np.complex128 if any(leaf.dtype.kind == "c" for leaf in leaves) else np.float64
    return np.concatenate([leaf.astype(dtype) for leaf in leaves])


def describe(error: BaseException) -> str:
    """``Type: message``, cut to 400 characters."""
    return f"{type(error).__name__}: {error}"[:400]


def make_args(module, seed: int) -> tuple[list, list, list]:
    """(arguments in the program's dtypes, the same values in float64/complex128 for the finite
    differences, directions in float64/complex128)."""
    rng = np.random.default_rng(seed)
    dtypes = [np.dtype(getattr(module, "DTYPES", {}).get(n, "float64")) for n in module.SHAPES]
    wide = [rng.uniform(-1.0, 1.0, s) for s in module.SHAPES.values()]
    dirs = [rng.standard_normal(s) for s in module.SHAPES.values()]
    for k, (s, dt) in enumerate(zip(module.SHAPES.values(), dtypes)):
        if dt.kind == "c":
            wide[k] = wide[k] + 1j * rng.uniform(-1.0, 1.0, s)
            dirs[k] = dirs[k] + 1j * rng.standard_normal(s)
    args = [w.astype(dt) for w, dt in zip(wide, dtypes)]
    return args, [a.astype(np.complex128 if a.dtype.kind == "c" else np.float64) for a in args], dirs


def central(f, args: list, dirs: list, h: float):
    """The central difference of ``f`` at ``args`` along ``dirs`` with step ``h``."""
    return (f(*[a + h * d for a, d in zip(args, dirs)]) - f(*[a - h * d for a, d in zip(args, dirs)])) / (2 * h)


# per kind: (f.v against the finite difference: relative, per |g||v|; modes agree: rtol; jax: rtol)
TOLERANCES = {"f64": (1e-6, 1e-8, 1e-8, 1e-7), "complex": (1e-6, 1e-8, 1e-8, 1e-7), "f32": (1e-3, 1e-3, 1e-4, 1e-3)}


def wrong_dtypes(results: dict, args: list, out_dtype) -> dict | None:
    """A ``wrong-dtype`` verdict where a gradient's dtype is not its argument's (as JAX and NumPy give)
    or a jvp's value or tangent not NumPy's result's; else None."""
    for mode, r in results.items():
        got = [np.asarray(x).dtype for x in r]
        want = [a.dtype for a in args] if mode != "jvp" else [out_dtype, out_dtype]
        if got != want:
            return {"class": "wrong-dtype", "mode": mode, "message": f"{mode}: dtypes {got}, expected {want}"}
    return None


def check(program: ADProgram, directory: str, use_jax: bool = True, timeout: float = 60.0) -> dict:
    """The verdict on one program (first derivatives): a dict with ``class``, ``message`` and, for
    errors, ``traceback``. Float32 arguments are checked against float64 finite differences of the
    same values with float32's tolerances; complex ones by JAX's convention (``grad`` of a real
    function of ``z`` is ``df/dx - 1j df/dy``, so ``f'.v`` is ``Re(sum(grad * v))``)."""
    source = program.module_source()
    name = f"adprog_{program.kind}_{program.seed}"
    module = load(source, directory, name)
    f = module.f
    args, wide, dirs = make_args(module, program.seed)
    rel, per_term, mode_rtol, jax_rtol = TOLERANCES.get(program.kind, TOLERANCES["f64"])
    try:
        with np.errstate(all="ignore"):
            out = f(*args)
            value = float(f(*wide))
            fds = [central(f, wide, dirs, h) for h in STEPS]
    except Exception as error:  # noqa: BLE001
        return {"class": "generator-error", "message": describe(error), "traceback": traceback.format_exc()[-3000:]}
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
        "jvp": lambda: tj.jvp(f, tuple(args), tuple(d.astype(a.dtype) for a, d in zip(args, dirs))),
    }
    results, unsupported = run_modes(modes, timeout)
    if "class" in results:
        return results
    grads = {m: flat(r) for m, r in results.items() if m != "jvp"}
    flat_dirs = flat(dirs)
    theirs = jax_grad(source, directory, name, args) if use_jax and grads else None
    for mode, g in grads.items():
        if not np.all(np.isfinite(g)) and theirs is not None and not np.all(np.isfinite(flat(theirs))):
            return {"class": "skip-singular", "message": f"{mode}: non-finite gradient, as jax.grad's"}
        if not np.all(np.isfinite(g)):  # (JAX refused it: maybe a real 0/0, e.g. std of duplicated values)
            return {"class": "nonfinite-grad", "mode": mode, "message": f"{mode}: non-finite gradient (f'.v = {fd})"}
        directional = float(np.sum((g * flat_dirs).real))
        tol = rel * scale + per_term * float(np.abs(g * flat_dirs).sum()) + 4 * abs(fds[0] - fds[1])
        if abs(directional - fd) > tol:
            return {"class": "wrong-grad", "mode": mode,
                    "message": f"{mode}: grad.v = {directional!r}, finite difference {fd!r}"}
    if grads:
        first, ref = next(iter(grads.items()))
        for mode, g in grads.items():
            if not np.allclose(g, ref, rtol=mode_rtol, atol=mode_rtol * 1e-2 * max(1.0, np.abs(ref).max())):
                return {"class": "mode-mismatch", "mode": mode,
                        "message": f"{mode} differs from {first} by {np.abs(g - ref).max():.3g}"}
    wrong = wrong_dtypes(results, args, np.asarray(out).dtype)
    if wrong is not None:
        return wrong
    if "jvp" in results:
        primal, tangent = results["jvp"]
        vtol = 1e-9 * abs(value) + 1e-12 if program.kind != "f32" else 1e-4 * (1.0 + abs(value))
        if not abs(float(primal) - value) <= vtol:
            return {"class": "wrong-value", "mode": "jvp", "message": f"jvp: value {float(primal)!r}, NumPy {value!r}"}
        terms = float(np.abs(next(iter(grads.values())) * flat_dirs).sum()) if grads else 0.0
        if abs(float(tangent) - fd) > rel * scale + per_term * terms + 4 * abs(fds[0] - fds[1]):
            return {"class": "wrong-grad", "mode": "jvp", "message": f"jvp: tangent {float(tangent)!r}, "
                                                                     f"finite difference {fd!r}"}
    if theirs is not None:
        ref, t = next(iter(grads.values())), flat(theirs)
        atol = jax_rtol * 1e-2 * max(1.0, np.abs(t).max())
        if np.all(np.isfinite(t)) and not np.allclose(ref, t, rtol=jax_rtol, atol=atol):
            return {"class": "jax-mismatch", "message": f"tj.grad differs from jax.grad by {np.abs(ref - t).max():.3g}"}
    if unsupported:
        return {"class": "unsupported", "message": "; ".join(unsupported)[:600]}
    return {"class": "ok", "message": ""}


def run_modes(modes: dict, timeout: float) -> tuple[dict, list]:
    """Run each mode: (results by mode, unsupported messages), or (a bug verdict, []) for a hang or an
    exception other than ``UnsupportedError``."""
    results: dict = {}
    unsupported = []
    for mode, run in modes.items():
        try:
            with time_limit(timeout), np.errstate(all="ignore"):
                results[mode] = run()
        except Hang as error:
            return {"class": "hang", "mode": mode, "message": f"{mode}: {error}"}, []
        except UnsupportedError as error:
            unsupported.append(f"{mode}: {describe(error)}")
        except Exception as error:  # noqa: BLE001 - any other exception of tracejit is a bug
            return {"class": "internal-error", "mode": mode, "message": f"{mode}: {describe(error)}",
                    "traceback": traceback.format_exc()[-3000:]}, []
    return results, unsupported


def eager(run):
    """``run()`` with ``tj.config.disable_jit`` set."""
    tj.config.disable_jit = True
    try:
        return run()
    finally:
        tj.config.disable_jit = False
