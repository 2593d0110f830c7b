"""Optional peers: numexpr, numba, jax and torch (compiled and eager), each used only
when importable.

A peer's ``prepare(workload, args)`` returns a zero-argument callable computing the
workload on ``args`` (compiling first where needed), or None when the peer cannot express
that workload; the harness times it like eager NumPy and checks its result. Peers find
their version of a workload by the name of its NumPy function (``sin_exp``, ``matmul``...),
so one version serves every size and dtype.
"""
from __future__ import annotations

import inspect
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks import workloads
from benchmarks.workloads import SQRT_2_OVER_PI, Workload

Thunk = Callable[[], Any]


@dataclass
class Peer:
    """A system compared against eager NumPy."""

    name: str
    version: str
    detail: str
    prepare: Callable[[Workload, tuple], Thunk | None]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


# --- numexpr: elementwise expressions and a final full reduction ----------------------

# GELU's constants are passed as variables of the input dtype, since literal floats would
# promote float32 inputs to float64.
_NUMEXPR = {
    "mul_add": "a*b + c*d",
    "sin_exp": "a*b + sin(c)*exp(-d)",
    "gelu": "half*x*(one + tanh(k*(x + c3*x**3)))",
    "sum_squares": "sum(x*x)",
}


def _numexpr_peer() -> Peer | None:
    import numexpr

    def prepare(workload: Workload, args: tuple) -> Thunk | None:
        expr = _NUMEXPR.get(workload.fn.__name__)
        if expr is None:
            return None
        params = list(inspect.signature(workload.fn).parameters)
        t = args[0].dtype.type
        local = dict(zip(params, args), half=t(0.5), one=t(1.0), k=t(SQRT_2_OVER_PI), c3=t(0.044715))
        return lambda: numexpr.evaluate(expr, local_dict=local)  # parsed once, then cached

    return Peer("numexpr", numexpr.__version__, _plural(numexpr.get_num_threads(), "thread"), prepare)


# --- numba: prange loops (benchmarks/numba_kernels.py) --------------------------------

def _numba_peer() -> Peer | None:
    import numba

    from benchmarks.numba_kernels import KERNELS

    def prepare(workload: Workload, args: tuple) -> Thunk | None:
        kernel = KERNELS.get(workload.fn.__name__)
        if kernel is None:
            return None
        with warnings.catch_warnings():  # "parallel=True but nothing to parallelize": a
            warnings.simplefilter("ignore", numba.NumbaPerformanceWarning)  # plain BLAS call
            kernel(*args)  # compile for these types
        return lambda: kernel(*args)

    detail = f"njit(parallel=True), {_plural(numba.get_num_threads(), 'thread')}"
    return Peer("numba", numba.__version__, detail, prepare)


# --- jax and torch: the workloads against their array APIs ----------------------------

def _jax_functions(jnp: Any) -> dict[str, Callable]:
    """The workloads written against ``jax.numpy``; operator-only ones are reused as is."""
    def layernorm(x, g, b):
        mean = x.mean(axis=-1, keepdims=True)
        return (x - mean) / jnp.sqrt(x.var(axis=-1, keepdims=True) + 1e-5) * g + b

    def softmax(x):
        e = jnp.exp(x - x.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    return {
        "mul_add": workloads.mul_add,
        "sin_exp": lambda a, b, c, d: a * b + jnp.sin(c) * jnp.exp(-d),
        "gelu": lambda x: 0.5 * x * (1 + jnp.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x**3))),
        "softmax": softmax,
        "layernorm": layernorm,
        "sum_squares": workloads.sum_squares,
        "matmul": workloads.matmul,
        "mlp": lambda x, w1, b1, w2, b2: jnp.maximum(x @ w1 + b1, 0) @ w2 + b2,
        "transpose_add": workloads.transpose_add,
        "cumsum": jnp.cumsum,
        "sort_rows": lambda x: jnp.sort(x, axis=-1),
    }


def _jax_peer() -> Peer | None:
    # a CPU compiler is the peer: where a GPU build of jax is installed it would otherwise
    # take the GPU (and its timings would not measure code generation for the CPU)
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)  # keep float64 workloads in float64
    functions = _jax_functions(jnp)

    def prepare(workload: Workload, args: tuple) -> Thunk | None:
        fn = functions.get(workload.fn.__name__)
        if fn is None:
            return None
        compiled = jax.jit(fn)
        device_args = [jax.device_put(a) for a in args]  # transfer once, outside timing
        compiled(*device_args).block_until_ready()
        return lambda: compiled(*device_args).block_until_ready()

    return Peer("jax", jax.__version__, f"jax.jit, {jax.default_backend()}", prepare)


def _torch_functions(torch: Any) -> dict[str, Callable]:
    """The workloads written against torch tensors; operator-only ones are reused as is."""
    def layernorm(x, g, b):
        mean = x.mean(dim=-1, keepdim=True)
        var = x.var(dim=-1, keepdim=True, unbiased=False)
        return (x - mean) / torch.sqrt(var + 1e-5) * g + b

    def softmax(x):
        e = torch.exp(x - x.amax(dim=1, keepdim=True))
        return e / e.sum(dim=1, keepdim=True)

    return {
        "mul_add": workloads.mul_add,
        "sin_exp": lambda a, b, c, d: a * b + torch.sin(c) * torch.exp(-d),
        "gelu": lambda x: 0.5 * x * (1 + torch.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x**3))),
        "softmax": softmax,
        "layernorm": layernorm,
        "sum_squares": workloads.sum_squares,
        "matmul": workloads.matmul,
        "mlp": lambda x, w1, b1, w2, b2: torch.relu(x @ w1 + b1) @ w2 + b2,
        "transpose_add": workloads.transpose_add,
        "cumsum": lambda x: torch.cumsum(x, 0),
        "sort_rows": lambda x: torch.sort(x, dim=-1).values,
    }


def _torch_peer(compiled: bool = True) -> Peer | None:
    """torch.compile (``compiled``) or torch eager: the same functions on tensors that
    share the NumPy arrays' memory."""
    import torch

    functions = _torch_functions(torch)

    def prepare(workload: Workload, args: tuple) -> Thunk | None:
        fn = functions.get(workload.fn.__name__)
        if fn is None:
            return None
        run_fn = torch.compile(fn) if compiled else fn
        tensors = [torch.from_numpy(a) for a in args]  # shares memory, no copy
        with torch.no_grad():
            run_fn(*tensors)  # compile for these shapes (or warm up)

        def run() -> Any:
            with torch.no_grad():
                return run_fn(*tensors)
        return run

    threads = _plural(torch.get_num_threads(), "thread")
    if compiled:
        return Peer("torch", torch.__version__, f"torch.compile, {threads}", prepare)
    return Peer("torch-eager", torch.__version__, f"torch eager, {threads}", prepare)


def _torch_eager_peer() -> Peer | None:
    return _torch_peer(compiled=False)


def available_peers(names: list[str] | None = None) -> list[Peer]:
    """The installed peers (a missing or broken one is skipped silently), optionally
    restricted to ``names``."""
    peers = []
    for make in (_numexpr_peer, _numba_peer, _jax_peer, _torch_peer, _torch_eager_peer):
        try:
            peer = make()
        except Exception:  # noqa: BLE001 - not installed, or a broken install: absent
            peer = None
        if peer is not None and (names is None or peer.name in names):
            peers.append(peer)
    return peers
