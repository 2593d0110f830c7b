"""``python -m benchmarks.training``: one training step of an MLP classifier (issue 18).

The model and batch of ``examples/train_digits.py``: 64 inputs (the 8x8 digits), two ReLU
layers of 128, 10 logits, softmax cross-entropy, Adam; float32, batches of 64. A step is the
loss, its gradient with respect to the dict of six parameters and the Adam update:

* ``numpy``: eager NumPy with a hand-written backward pass (the baseline of the ratios);
* ``tracejit``: ``tj.jit`` of ``tj.value_and_grad(loss)`` and Adam, one compiled function
  (IEEE subnormals, as NumPy and torch); ``tracejit-ftz``: the same with
  ``flush_denormals=True`` (subnormals flushed to zero, as XLA's CPU code does: JAX's row);
* ``jax``: ``jax.jit`` of ``jax.value_and_grad(loss)`` and the same Adam (where installed);
* ``torch-eager``: autograd and ``torch.optim.Adam``; ``torch``: ``torch.compile`` of the loss
  (forward and backward, through AOTAutograd) and of ``optimizer.step`` (where installed).

Each system is written the way its users write it (NumPy and JAX index the labels' log
probabilities, torch calls ``cross_entropy``). All start from the same parameters; their
losses over the first steps are checked against NumPy's. Per system: the first call (trace
and compile; tracejit with its persistent cache off), the median ms of a step over
interleaved blocks, the spread (quartiles) and the ratio to NumPy (> 1: faster).

Threads: every library's default (all cores); ``TRACEJIT_NUM_THREADS=1 OMP_NUM_THREADS=1
OPENBLAS_NUM_THREADS=1 XLA_FLAGS=--xla_cpu_multi_thread_eigen=false python -m benchmarks.training``
runs each on one core (``python -m benchmarks --threads 1`` sets the same).
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable

import numpy as np

from benchmarks.judgement import check_lines
from benchmarks.timing import interleaved

SIZES = (64, 128, 128, 10)
BATCH = 64
LR, BETA1, BETA2, EPS = 1e-3, 0.9, 0.999, 1e-8
CHECK_STEPS = 5


def init_params(seed: int = 0) -> dict[str, np.ndarray]:
    """He-initialized float32 weights ``W0..W2`` and zero biases ``b0..b2``."""
    rng = np.random.default_rng(seed)
    params = {}
    for i, (fan_in, fan_out) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        params[f"W{i}"] = (rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)).astype(np.float32)
        params[f"b{i}"] = np.zeros(fan_out, np.float32)
    return params


def make_batches(count: int, seed: int = 1) -> list[tuple[np.ndarray, np.ndarray]]:
    """``count`` batches of digit-like inputs in [0, 1) and labels (timing does not depend on the data)."""
    rng = np.random.default_rng(seed)
    return [(rng.random((BATCH, SIZES[0]), dtype=np.float32), rng.integers(0, SIZES[-1], BATCH))
            for _ in range(count)]


# -- NumPy: forward, hand-written backward, Adam --------------------------------------------------
def numpy_step(params, m, v, step, x, y):
    """One step in eager NumPy; returns (params, m, v, loss)."""
    loss, grads = numpy_loss_and_grads(params, x, y)
    return adam(params, m, v, grads, step) + (loss,)


def numpy_loss_and_grads(params: dict, x: np.ndarray, y: np.ndarray) -> tuple[float, dict]:
    """The loss and its gradients in eager NumPy: the forward pass and a hand-written backward."""
    n = x.shape[0]
    z0 = x @ params["W0"] + params["b0"]
    h0 = np.maximum(z0, 0.0)
    z1 = h0 @ params["W1"] + params["b1"]
    h1 = np.maximum(z1, 0.0)
    logits = h1 @ params["W2"] + params["b2"]
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    s = e.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    loss = -np.mean(shifted[rows, y] - np.log(s[:, 0]))
    d = e / s  # d loss / d logits = (softmax - one_hot) / n
    d[rows, y] -= 1.0
    d /= n
    grads = {"W2": h1.T @ d, "b2": d.sum(axis=0)}
    d = (d @ params["W2"].T) * (z1 > 0)
    grads["W1"], grads["b1"] = h0.T @ d, d.sum(axis=0)
    d = (d @ params["W1"].T) * (z0 > 0)
    grads["W0"], grads["b0"] = x.T @ d, d.sum(axis=0)
    return loss, grads


def adam(params: dict, m: dict, v: dict, grads: dict, step) -> tuple[dict, dict, dict]:
    """One Adam update of every parameter (step ``step + 1``): the new parameters and moments;
    NumPy's step and tracejit's (traced) step both end with it."""
    step = step + 1
    new_p, new_m, new_v = {}, {}, {}
    for k in params:
        new_m[k] = BETA1 * m[k] + (1 - BETA1) * grads[k]
        new_v[k] = BETA2 * v[k] + (1 - BETA2) * grads[k] ** 2
        m_hat = new_m[k] / (1 - BETA1 ** step)
        v_hat = new_v[k] / (1 - BETA2 ** step)
        new_p[k] = params[k] - LR * m_hat / (np.sqrt(v_hat) + EPS)
    return new_p, new_m, new_v


# -- tracejit: the example's step ------------------------------------------------------------------
def loss_fn(params, x, y):
    """Mean softmax cross-entropy of the MLP's logits (logsumexp by max-shift)."""
    h = np.maximum(x @ params["W0"] + params["b0"], 0.0)
    h = np.maximum(h @ params["W1"] + params["b1"], 0.0)
    logits = h @ params["W2"] + params["b2"]
    mx = np.max(logits, axis=1, keepdims=True)
    log_probs = logits - mx - np.log(np.sum(np.exp(logits - mx), axis=1, keepdims=True))
    one_hot = y[:, None] == np.arange(logits.shape[1])
    return -np.mean(np.sum(np.where(one_hot, log_probs, 0.0), axis=1))


def tracejit_step(params, m, v, step, x, y):
    """``tj.value_and_grad`` of :func:`loss_fn` and Adam (jitted by :func:`systems`)."""
    import tracejit as tj
    loss, grads = tj.value_and_grad(loss_fn)(params, x, y)
    return adam(params, m, v, grads, step) + (loss,)


class System:
    """A stateful training loop: ``step(x, y) -> loss`` (a float), ``first_s`` the first call's seconds."""

    def __init__(self, name: str, step: Callable[[np.ndarray, np.ndarray], float], note: str):
        self.name, self.step, self.note = name, step, note
        self.first_s = float("nan")


def _functional(name: str, fn: Callable, params: dict, note: str, to_loss=float) -> System:
    """A system of a pure step ``fn(params, m, v, step, x, y) -> (params, m, v, loss)``."""
    state = {"p": params, "m": {k: np.zeros_like(a) for k, a in params.items()},
             "v": {k: np.zeros_like(a) for k, a in params.items()}, "t": 0}

    def step(x, y):
        state["p"], state["m"], state["v"], loss = fn(state["p"], state["m"], state["v"], state["t"], x, y)
        state["t"] += 1
        return loss

    return System(name, step, note)


def _tracejit_system(params, flush: bool = False) -> System:
    import tracejit as tj
    jitted = tj.jit(tracejit_step, flush_denormals=flush)
    system = _functional("tracejit-ftz" if flush else "tracejit", jitted, params,
                         "tj.jit(value_and_grad + Adam, flush_denormals=True): FTZ/DAZ, as XLA's CPU code"
                         if flush else "tj.jit(value_and_grad + Adam), IEEE subnormals (as NumPy, torch)")
    system.jitted = jitted
    return system


def _jax_system(params) -> System:
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax
    import jax.numpy as jnp

    def loss(p, x, y):
        h = jax.nn.relu(x @ p["W0"] + p["b0"])
        h = jax.nn.relu(h @ p["W1"] + p["b1"])
        logits = h @ p["W2"] + p["b2"]
        mx = jnp.max(logits, axis=1, keepdims=True)
        log_probs = logits - mx - jnp.log(jnp.sum(jnp.exp(logits - mx), axis=1, keepdims=True))
        return -jnp.mean(log_probs[jnp.arange(x.shape[0]), y])

    @jax.jit
    def step(p, m, v, t, x, y):
        value, g = jax.value_and_grad(loss)(p, x, y)
        t = t + 1
        m = jax.tree_util.tree_map(lambda a, b: BETA1 * a + (1 - BETA1) * b, m, g)
        v = jax.tree_util.tree_map(lambda a, b: BETA2 * a + (1 - BETA2) * b * b, v, g)
        c1, c2 = 1 - BETA1 ** t, 1 - BETA2 ** t
        p = jax.tree_util.tree_map(lambda w, a, b: w - LR * (a / c1) / (jnp.sqrt(b / c2) + EPS), p, m, v)
        return p, m, v, value

    cpu = jax.devices("cpu")[0]
    state = {"p": jax.device_put(params, cpu), "m": jax.tree_util.tree_map(jnp.zeros_like, params),
             "v": jax.tree_util.tree_map(jnp.zeros_like, params), "t": jnp.float32(0)}

    def run(x, y):
        state["p"], state["m"], state["v"], value = step(state["p"], state["m"], state["v"], state["t"], x, y)
        state["t"] = state["t"] + 1
        return float(value)  # (waits for the result, as every system's step does)

    return System("jax", run, f"jax.jit(value_and_grad + Adam) {jax.__version__}, {jax.default_backend()}")


def _torch_system(params, compiled: bool) -> System:
    import torch
    import torch.nn.functional as F

    tensors = {k: torch.tensor(a, requires_grad=True) for k, a in params.items()}
    opt = torch.optim.Adam(list(tensors.values()), lr=LR, betas=(BETA1, BETA2), eps=EPS)

    def loss(x, y):
        h = torch.relu(x @ tensors["W0"] + tensors["b0"])
        h = torch.relu(h @ tensors["W1"] + tensors["b1"])
        return F.cross_entropy(h @ tensors["W2"] + tensors["b2"], y)

    forward = torch.compile(loss) if compiled else loss
    update = torch.compile(opt.step) if compiled else opt.step

    def run(x, y):
        value = forward(torch.from_numpy(x), torch.from_numpy(y))
        value.backward()
        update()
        opt.zero_grad(set_to_none=True)
        return value.item()

    how = "torch.compile(loss), torch.compile(opt.step)" if compiled else "eager autograd, optim.Adam"
    return System("torch" if compiled else "torch-eager", run,
                  f"{how} {torch.__version__}, {torch.get_num_threads()} threads")


def systems(peers: bool = True) -> list[System]:
    """NumPy, tracejit and (with ``peers``) every installed peer, each from the same parameters."""
    out = [_functional("numpy", numpy_step, init_params(), "eager, hand-written backward"),
           _tracejit_system(init_params()), _tracejit_system(init_params(), flush=True)]
    if peers:
        makers = [("jax", _jax_system), ("torch-eager", lambda p: _torch_system(p, False)),
                  ("torch", lambda p: _torch_system(p, True))]
        for name, make in makers:
            try:
                out.append(make(init_params()))
            except ImportError:
                out.append(System(name, None, "not installed: skipped"))
            except Exception as e:  # noqa: BLE001 - a broken install: reported, not timed
                out.append(System(name, None, f"skipped: {type(e).__name__}: {e}"))
    return out


def measure(quick: bool = False, peers: bool = True, reps: int | None = None) -> dict:
    """First calls, losses checked against NumPy's, then interleaved step timings."""
    import tracejit as tj
    batches = make_batches(CHECK_STEPS + 1)
    found = systems(peers)
    ready = [s for s in found if s.step is not None]
    losses, problems = {}, {}
    for s in ready:
        x, y = batches[0]
        was = tj.config.cache_enabled
        tj.config.cache_enabled = False  # (tracejit's first call compiles, as the peers' do)
        try:
            t0 = time.perf_counter()
            first = s.step(x, y)
            s.first_s = time.perf_counter() - t0
            losses[s.name] = [float(first)] + [float(s.step(x, y)) for x, y in batches[1:]]
        except Exception as e:  # noqa: BLE001 - a peer that fails here (tracejit's failure is reported too)
            problems[s.name] = f"raised {type(e).__name__}: {str(e)[:200]}"
        finally:
            tj.config.cache_enabled = was
    want = np.array(losses["numpy"])
    problems.update({name: f"losses {np.round(got, 5)} != numpy's {np.round(want, 5)}"
                     for name, got in losses.items() if not np.allclose(got, want, rtol=2e-3, atol=1e-4)})
    for ours in ("tracejit", "tracejit-ftz"):  # (fails the benchmark run, as a wrong result does elsewhere)
        if ours in problems:
            raise AssertionError(f"training step: {ours} {problems[ours]}")
    timed = [s for s in ready if s.name not in problems]
    x, y = batches[-1]
    reps = reps or (30 if quick else 300)
    samples = interleaved({s.name: (lambda s=s: s.step(x, y)) for s in timed}, reps, passes=3,
                          settle=0.05 if quick else 0.25)
    info = None
    for s in ready:
        if s.name == "tracejit":
            info = s.jitted.cache_info()
    return {"systems": found, "samples": samples, "problems": problems, "cache_info": info}


def format_table(result: dict, quick: bool) -> str:
    """The table: per system the first call, the median step and its spread, the ratio to NumPy."""
    samples, problems = result["samples"], result["problems"]
    med = {name: float(np.median(t)) * 1e3 for name, t in samples.items()}
    lines = [f"training step (issue 18): MLP {'-'.join(map(str, SIZES))}, batch {BATCH}, float32, "
             "softmax cross-entropy, gradient and Adam; ms per step (median, quartiles); "
             "x: speedup over eager NumPy:",
             f"  {'system':<12}{'first call':>11}{'median':>10}{'quartiles':>18}{'vs numpy':>10}   how"]
    for s in result["systems"]:
        if s.name not in samples:
            why = problems.get(s.name, s.note)
            lines.append(f"  {s.name:<12}{'':>49}   {why}")
            continue
        q1, q3 = (float(np.percentile(samples[s.name], q)) * 1e3 for q in (25, 75))
        lines.append(f"  {s.name:<12}{s.first_s:10.2f}s{med[s.name]:10.3f}{q1:9.3f}..{q3:7.3f}"
                     f"{med['numpy'] / med[s.name]:9.2f}x   {s.note}")
    if result["cache_info"] is not None:
        lines.append(f"  tracejit step cache_info(): {result['cache_info']}")
    checks = [(f"{name}'s losses match NumPy's", False, why) for name, why in problems.items()]
    ours = med.get("tracejit")
    peers = {n: t for n, t in med.items() if n not in ("numpy", "tracejit", "tracejit-ftz")}
    if ours is not None and peers:
        fastest = min(peers, key=peers.get)
        checks.append((f"tracejit at least as fast as the fastest peer ({fastest})", ours <= peers[fastest],
                       f"{peers[fastest] / ours:.2f}x"))
        if "tracejit-ftz" in med:  # (the like-for-like row where the fastest peer flushes subnormals)
            ftz = med["tracejit-ftz"]
            checks.append((f"tracejit-ftz at least as fast as the fastest peer ({fastest})", ftz <= peers[fastest],
                           f"{peers[fastest] / ftz:.2f}x"))
    return "\n".join(lines + check_lines(checks, quick))


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser(prog="python -m benchmarks.training", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="few repetitions")
    ap.add_argument("--no-peers", action="store_true", help="numpy and tracejit only")
    ap.add_argument("--reps", type=int, help="timed steps per system")
    opts = ap.parse_args()
    print(format_table(measure(opts.quick, not opts.no_peers, opts.reps), opts.quick))
