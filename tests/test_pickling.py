"""Jitted functions and transforms pickle (``pickle``: by name; ``cloudpickle``: by value where not
importable) and unpickle into working jitted functions in another process, options kept, no
compiled state pickled (``frontend/pickling.py``; issue 20)."""
from __future__ import annotations

import copy
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tracejit as tj

NO_CLOUDPICKLE = "cloudpickle comes with the dask extra: pip install -e '.[dask]'"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@tj.jit(static_argnums=(1,), fastmath=True)
def scaled(x, n):
    return np.sin(x) * n + x.sum()


@tj.jit(fallback=False, unroll_loops=True, autograph=False)
def plain(x):
    return x * 2.0 + 1.0


@tj.jit(fallback=False)
def spectrum(x):
    return np.abs(np.fft.fft(x))  # no handler: refused with fallback=False


def loss(w, x):
    return np.tanh(x @ w).sum()


dloss = tj.grad(loss, argnums=(0, 1))
jitted_grad = tj.jit(tj.grad(loss))
grad_of_jitted = tj.grad(tj.jit(loss))
hess = tj.hessian(loss)


class Model:
    def __init__(self, scale: float):
        self.scale = scale

    @tj.jit
    def apply(self, x):
        return x * self.scale


def in_subprocess(payload: bytes, code: str):
    """Unpickle ``payload`` as ``objs`` in a fresh interpreter, run ``code`` (which sets ``out``),
    and return ``out`` pickled back."""
    script = "import pickle, sys\nimport numpy as np\nobjs = pickle.loads(sys.stdin.buffer.read())\n" + \
        textwrap.dedent(code) + "\nsys.stdout.buffer.write(pickle.dumps(out))\n"
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-c", script], input=payload, capture_output=True, cwd=ROOT, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    return pickle.loads(done.stdout)


X = np.linspace(-1.0, 1.0, 12)
W, M = np.linspace(0.1, 0.6, 6), np.linspace(-1.0, 1.0, 18).reshape(3, 6)


def test_module_functions_pickle_by_name_after_compiling():
    """Regression (issue 20): plain pickle said "not the same object", cloudpickle "PyCapsule"."""
    cloudpickle = pytest.importorskip("cloudpickle", reason=NO_CLOUDPICKLE)
    scaled(X, 2), plain(X), Model.apply(Model(2.0), X)  # compiled: native dispatch changed their class
    for f in (scaled, plain, Model.apply):
        for dumps in (pickle.dumps, cloudpickle.dumps):
            data = dumps(f)
            assert len(data) < 100 and f.__qualname__.encode() in data
            assert pickle.loads(data) is f
    bound = Model(3.0).apply  # a partial of the jitted method and the instance
    assert np.array_equal(pickle.loads(pickle.dumps(bound))(X), X * 3.0)
    assert copy.deepcopy(scaled) is scaled and copy.copy(dloss) is dloss


def test_unpickled_in_another_process_run_and_keep_options():
    data = pickle.dumps([scaled, plain, dloss, jitted_grad, grad_of_jitted, hess, Model(3.0).apply, spectrum])
    out = in_subprocess(data, """
        scaled, plain, dloss, jitted_grad, grad_of_jitted, hess, apply, spectrum = objs
        x = np.linspace(-1.0, 1.0, 12); w, m = np.linspace(0.1, 0.6, 6), np.linspace(-1.0, 1.0, 18).reshape(3, 6)
        out = dict(scaled=[scaled(x, 2), scaled(x, 3)], traces=scaled.cache_info().traces, plain=plain(x),
                   dloss=dloss(w, m), jitted_grad=jitted_grad(w, m), grad_of_jitted=grad_of_jitted(w, m),
                   hess=hess(w, m), apply=apply(x), options=[f.__reduce__() for f in (scaled, plain)])
        try:
            spectrum(x)
        except Exception as error:
            out["refused"] = type(error).__name__
    """)
    assert out["traces"] == 2  # static_argnums kept: each value of n is its own signature
    for got, n in zip(out["scaled"], (2, 3)):
        np.testing.assert_allclose(got, scaled.eager(X, n), rtol=1e-12)
    np.testing.assert_array_equal(out["plain"], X * 2.0 + 1.0)
    np.testing.assert_array_equal(out["apply"], X * 3.0)
    expected = dict(dloss=dloss(W, M), jitted_grad=jitted_grad(W, M), grad_of_jitted=grad_of_jitted(W, M),
                    hess=hess(W, M))
    assert len(out["dloss"]) == 2 and out["hess"].shape == (6, 6)  # argnums kept
    for name, want in expected.items():
        for got, ref in zip(out[name] if name == "dloss" else [out[name]], want if name == "dloss" else [want]):
            np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)
    assert out["options"] == ["scaled", "plain"]  # by name there too: the module was imported
    assert out["refused"] == "UnsupportedError"  # fallback=False kept


def _local_functions():
    @tj.jit(static_argnames="k", fastmath=True, freeze=True, unroll_loops=True, fallback=False)
    def local(x, k):
        return np.exp(-x * x) * k

    lam = tj.jit(lambda x: np.cumsum(x) - x.mean())
    return (local, lam, tj.value_and_grad(lambda w, x: (x @ w).sum() ** 2, has_aux=False), tj.jacrev(np.tanh),
            tj.jit(lambda x: np.fft.fft(x).real, fallback=False))


def test_local_functions_pickle_by_value_with_cloudpickle():
    cloudpickle = pytest.importorskip("cloudpickle", reason=NO_CLOUDPICKLE)
    local, lam, vg, jac, refusing = _local_functions()
    size = len(cloudpickle.dumps(local))
    local(X, 2.0)  # compiled: no compiled state goes with it
    with pytest.raises((pickle.PicklingError, AttributeError)):
        pickle.dumps(local)  # plain pickle takes functions by name, as for any local function
    data = cloudpickle.dumps([local, lam, vg, jac, cloudpickle.dumps(local), refusing])  # (local twice, apart)
    assert b"PyCapsule" not in data and len(cloudpickle.dumps(local)) == size
    assert pickle.loads(data)[0] is local  # in this process: the object itself
    out = in_subprocess(data, """
        local, lam, vg, jac, again, refusing = objs
        again = pickle.loads(again)  # another unpickle of the same function: the same object
        x = np.linspace(-1.0, 1.0, 12)
        first = local(x, 2.0)
        again(x, 2.0)
        out = dict(local=first, lam=lam(x), vg=vg(np.ones(3), np.ones((2, 3))), jac=jac(x[:4]),
                   same=again is local, info=local.cache_info(), reduced=local.__reduce__()[1][3])
        try:
            refusing(x)
        except Exception as error:
            out["refused"] = type(error).__name__
    """)
    np.testing.assert_allclose(out["local"], np.exp(-X * X) * 2.0, rtol=1e-12)
    np.testing.assert_allclose(out["lam"], np.cumsum(X) - X.mean(), rtol=1e-12)
    assert out["vg"][0] == 36.0 and np.array_equal(out["vg"][1], np.full(3, 24.0))
    np.testing.assert_allclose(out["jac"], np.diag(1 - np.tanh(X[:4]) ** 2), rtol=1e-12)
    assert out["refused"] == "UnsupportedError"  # fallback=False kept
    assert out["same"] and out["info"].traces == 1 and out["info"].compilations == 1 and out["info"].hits == 1
    assert out["reduced"] == local.__reduce__()[1][3] == dict(
        static_argnames=("k",), fastmath=True, freeze=True, autograph=True, unroll_loops=True, fallback=False,
        flush_denormals=False)


def test_main_functions_by_name_with_pickle_by_value_with_cloudpickle(tmp_path):
    """A script's functions: ``pickle`` by name (multiprocessing re-imports the script), cloudpickle by
    value (a dask worker has another ``__main__``)."""
    pytest.importorskip("cloudpickle", reason=NO_CLOUDPICKLE)
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent("""
        import pickle, sys
        import cloudpickle
        import numpy as np
        import tracejit as tj

        @tj.jit(static_argnums=1)
        def f(x, n):
            return np.sqrt(np.abs(x)) * n

        if __name__ == "__main__":
            f(np.ones(3), 2)
            by_name, by_value = pickle.dumps(f), cloudpickle.dumps(f)
            assert pickle.loads(by_name) is f and pickle.loads(by_value) is f
            assert b"tracejit.frontend.pickling" not in by_name and b"tracejit.frontend.pickling" in by_value
            sys.stdout.buffer.write(by_value)
    """))
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    out = in_subprocess(done.stdout, "out = (objs(np.arange(4.0), 3), objs.__reduce__()[1][3])")
    np.testing.assert_allclose(out[0], np.sqrt(np.arange(4.0)) * 3, rtol=1e-12)
    assert out[1]["static_argnames"] == ("n",)
