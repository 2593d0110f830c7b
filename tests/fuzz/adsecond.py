"""Second derivatives in the autodiff fuzzer (kind ``hvp``: ``python -m tests.fuzz --grad --kind hvp``).

A float64 program of ``adgen.py`` gives Hessian-vector products ``H v`` along a random ``v`` six
ways: forward over reverse (``tj.jvp`` of ``tj.grad``, compiled, under ``tj.jit``, of a
``tj.jit``-ed ``f``, and under ``disable_jit``), reverse over reverse (``tj.grad`` of
``grad(f) . v``) and, for small arguments, ``tj.hessian`` contracted with ``v``; plus
``v^T H v`` by forward over forward. Each must match the central difference of the compiled
gradient along ``v`` (elementwise; points where steps 1e-5 and 2e-5 disagree are ``skip-kink``),
the modes must agree to 1e-8, and ``jax.jvp`` of ``jax.grad`` where JAX takes the program.
"""
from __future__ import annotations

import numpy as np

import tracejit as tj
from tests.fuzz.adcheck import STEPS, central, eager, flat, jax_grad, load, make_args, run_modes
from tests.fuzz.adgen import ADProgram

HESSIAN_MAX = 12  # tj.hessian (one product per argument element) only for this many elements at most


def contract(h, dirs: list) -> list:
    """``H v`` from ``tj.hessian``'s nested blocks ``h[i][j]`` (shape ``s_i + s_j``)."""
    out = []
    for i, row in enumerate(h):
        acc = 0.0
        for j, block in enumerate(row):
            b = np.asarray(block)
            acc = acc + np.tensordot(b, dirs[j], axes=dirs[j].ndim) if dirs[j].ndim else acc + b * dirs[j]
        out.append(acc)
    return out


def check_second(program: ADProgram, directory: str, use_jax: bool = True, timeout: float = 60.0) -> dict:
    """The verdict on one program's second derivatives (``check``'s classes, ``wrong-hvp`` for a
    product off the differences of the gradient)."""
    source = program.module_source()
    name = f"adprog_{program.kind}_{program.seed}"
    module = load(source, directory, name)
    f = module.f
    args, _, dirs = make_args(module, program.seed)
    argnums = tuple(range(len(args)))
    try:
        with np.errstate(all="ignore"):
            value = float(f(*args))
    except Exception as error:  # noqa: BLE001
        return {"class": "generator-error", "message": f"{type(error).__name__}: {error}"[:400]}
    if not np.isfinite(value) or abs(value) > 1e8:
        return {"class": "skip-nonfinite", "message": f"f = {value}"}
    grad = tj.grad(f, argnums=argnums)
    first, _ = run_modes({"grad": lambda: [flat(central(lambda *a: np.concatenate([np.ravel(g) for g in grad(*a)]),
                                                        args, dirs, h)) for h in STEPS]}, timeout)
    if "class" in first:
        return first
    if "grad" not in first:
        return {"class": "unsupported", "message": "grad refused"}
    fds = first["grad"]
    scale = max(1.0, float(np.abs(fds[0]).max()))
    if not np.all(np.isfinite(fds)):
        return {"class": "skip-nonfinite", "message": "non-finite gradient near the point"}
    spread = float(np.abs(fds[0] - fds[1]).max())
    if spread > 1e-6 * scale:
        return {"class": "skip-kink", "message": f"differences of the gradient disagree by {spread:.3g}"}

    def hvp(fun):  # a function of the arguments: jvp of grad along dirs
        return lambda *a: tj.jvp(lambda *b: tj.grad(fun, argnums=argnums)(*b), a, tuple(dirs))[1]

    def grad_of_dot(*a):
        return sum(np.sum(g * d) for g, d in zip(tj.grad(f, argnums=argnums)(*a), dirs))

    modes = {"jvp(grad)": lambda: hvp(f)(*args), "jit(jvp(grad))": lambda: tj.jit(hvp(f))(*args),
             "jvp(grad(jit))": lambda: hvp(tj.jit(f))(*args), "jvp(grad)-eager": lambda: eager(lambda: hvp(f)(*args)),
             "grad(grad.v)": lambda: tj.grad(grad_of_dot, argnums=argnums)(*args),
             "jvp(jvp)": lambda: (tj.jvp(lambda *a: tj.jvp(f, a, tuple(dirs))[1], tuple(args), tuple(dirs))[1],)}
    if sum(a.size for a in args) <= HESSIAN_MAX:
        modes["hessian"] = lambda: contract(tj.hessian(f, argnums)(*args), dirs)
        modes["jit(hessian)"] = lambda: contract(tj.jit(tj.hessian(f, argnums))(*args), dirs)
    results, unsupported = run_modes(modes, timeout)
    if "class" in results:
        return results
    fd = fds[0]
    tol = 1e-6 * scale + 4 * spread
    quad = float(fd @ flat(dirs))
    products = {m: flat(r) for m, r in results.items()}
    for mode, p in products.items():
        if not np.all(np.isfinite(p)):
            return {"class": "nonfinite-grad", "mode": mode, "message": f"{mode}: non-finite product"}
        if mode == "jvp(jvp)":
            if abs(float(p[0]) - quad) > tol * (1.0 + float(np.abs(flat(dirs)).sum())):
                return {"class": "wrong-hvp", "mode": mode, "message": f"{mode}: v'Hv = {float(p[0])!r}, "
                                                                       f"differences of the gradient {quad!r}"}
        elif np.abs(p - fd).max() > tol:
            k = int(np.argmax(np.abs(p - fd)))
            return {"class": "wrong-hvp", "mode": mode,
                    "message": f"{mode}: (Hv)[{k}] = {p[k]!r}, differences of the gradient {fd[k]!r}"}
    ref_mode = next((m for m in products if m != "jvp(jvp)"), None)
    for mode, p in products.items():
        if ref_mode is not None and mode != "jvp(jvp)" and \
                not np.allclose(p, products[ref_mode], rtol=1e-8, atol=1e-10 * scale):
            return {"class": "mode-mismatch", "mode": mode,
                    "message": f"{mode} differs from {ref_mode} by {np.abs(p - products[ref_mode]).max():.3g}"}
    theirs = jax_grad(source, directory, name, args, dirs) if use_jax and ref_mode else None
    if theirs is not None:
        t, ours = flat(theirs), products[ref_mode]
        if np.all(np.isfinite(t)) and not np.allclose(ours, t, rtol=1e-7, atol=1e-9 * max(1.0, np.abs(t).max())):
            return {"class": "jax-mismatch", "message": f"{ref_mode} off jax by {np.abs(ours - t).max():.3g}"}
    if unsupported:
        return {"class": "unsupported", "message": "; ".join(unsupported)[:600]}
    return {"class": "ok", "message": ""}
