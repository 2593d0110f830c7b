"""Optional peer implementations: numexpr, numba and jax, each used only when importable.

A peer's ``prepare(workload, args)`` returns a zero-argument callable computing the
workload on ``args`` (compiling first where needed), or None when the peer cannot express
that workload; the harness times it like eager NumPy and checks its result.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from benchmarks.workloads import SQRT_2_OVER_PI, Workload

Thunk = Callable[[], Any]


@dataclass
class Peer:
    """A system compared against eager NumPy."""

    name: str
    version: str
    detail: str
    prepare: Callable[[Workload, tuple], Thunk | None]


# --- numexpr -------------------------------------------------------------------------

# Elementwise expressions (and a final reduction) only; numexpr has no matmul or
# axis-wise reductions inside expressions. GELU's constants are passed as variables of
# the input dtype, since literal floats would promote float32 inputs to float64.
_NUMEXPR = {
    "mul_add": "a*b + c*d",
    "sin_exp": "a*b + sin(c)*exp(-d)",
    "gelu": "half*x*(one + tanh(k*(x + c3*x**3)))",
    "sum_squares": "sum(x*x)",
    "mul_add_f64": "a*b + c*d",
}


def _numexpr_peer() -> Peer | None:
    try:
        import numexpr
    except ImportError:
        return None

    def prepare(workload: Workload, args: tuple) -> Thunk | None:
        expr = _NUMEXPR.get(workload.name)
        if expr is None:
            return None
        params = list(inspect.signature(workload.fn).parameters)
        t = args[0].dtype.type
        local = dict(zip(params, args), half=t(0.5), one=t(1.0), k=t(SQRT_2_OVER_PI), c3=t(0.044715))
        return lambda: numexpr.evaluate(expr, local_dict=local)  # parsed once, then cached

    threads = numexpr.get_num_threads()
    return Peer("numexpr", numexpr.__version__, f"{threads} thread{'s' * (threads != 1)}", prepare)


# --- numba ---------------------------------------------------------------------------

_HALF, _ONE, _K, _C3 = (np.float32(v) for v in (0.5, 1.0, SQRT_2_OVER_PI, 0.044715))


def _gelu_float32_constants(x):
    """GELU for numba, whose typing turns ``python float * float32 array`` into float64."""
    return _HALF * x * (_ONE + np.tanh(_K * (x + _C3 * x**3)))


_NUMBA_VERSIONS = {"gelu": _gelu_float32_constants}


def _numba_peer() -> Peer | None:
    try:
        import numba
    except ImportError:
        return None

    def prepare(workload: Workload, args: tuple) -> Thunk | None:
        compiled = numba.njit(cache=False)(_NUMBA_VERSIONS.get(workload.name, workload.fn))
        try:
            compiled(*args)  # compile; numba rejects e.g. keepdims= in reductions
        except Exception:  # noqa: BLE001 - typing errors mean "not expressible"
            return None
        return lambda: compiled(*args)

    return Peer("numba", numba.__version__, "njit, 1 thread", prepare)


# --- jax -----------------------------------------------------------------------------

def _jax_functions(jnp) -> dict[str, Callable]:
    """The workloads written against ``jax.numpy`` (same formulas as workloads.py)."""
    def mul_add(a, b, c, d):
        return a * b + c * d

    def layernorm(x, g, b):
        mean = x.mean(axis=-1, keepdims=True)
        return (x - mean) / jnp.sqrt(x.var(axis=-1, keepdims=True) + 1e-5) * g + b

    def softmax(x):
        e = jnp.exp(x - x.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    return {
        "mul_add": mul_add,
        "sin_exp": lambda a, b, c, d: a * b + jnp.sin(c) * jnp.exp(-d),
        "gelu": lambda x: 0.5 * x * (1 + jnp.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x**3))),
        "softmax": softmax,
        "layernorm": layernorm,
        "sum_squares": lambda x: (x * x).sum(),
        "mlp": lambda x, w1, b1, w2, b2: jnp.maximum(x @ w1 + b1, 0) @ w2 + b2,
        "mul_add_f64": mul_add,
    }


def _jax_peer() -> Peer | None:
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)  # keep float64 workloads in float64
    functions = _jax_functions(jnp)

    def prepare(workload: Workload, args: tuple) -> Thunk | None:
        fn = functions.get(workload.name)
        if fn is None:
            return None
        compiled = jax.jit(fn)
        device_args = [jax.device_put(a) for a in args]  # transfer once, outside timing
        compiled(*device_args).block_until_ready()
        return lambda: compiled(*device_args).block_until_ready()

    return Peer("jax", jax.__version__, jax.default_backend(), prepare)


def available_peers(names: list[str] | None = None) -> list[Peer]:
    """The installed peers, optionally restricted to ``names``."""
    peers = []
    for make in (_numexpr_peer, _numba_peer, _jax_peer):
        try:
            peer = make()
        except Exception:  # noqa: BLE001 - a broken install counts as absent
            peer = None
        if peer is not None and (names is None or peer.name in names):
            peers.append(peer)
    return peers
