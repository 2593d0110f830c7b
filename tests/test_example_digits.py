"""examples/train_digits.py in a reduced mode (a few epochs: it learns, one compilation, the
jitted step equals the step run by NumPy), and the bugs the example met on the way."""
from __future__ import annotations

import importlib.util
import pathlib

import numpy as np
import pytest

import tracejit as tj

EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "examples" / "train_digits.py"


def _load_example():
    spec = importlib.util.spec_from_file_location("train_digits", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def example():
    pytest.importorskip("sklearn", reason="the digits example needs scikit-learn (pip install -e '.[examples]')")
    return _load_example()


def test_example_learns_in_a_few_epochs_with_one_compilation(example, tmp_path, capsys):
    """Three epochs of 32-sample batches: the loss falls, the test accuracy is far above chance,
    the step was traced and compiled once, and the plot (where matplotlib is) is written."""
    example.train_step.clear_cache()
    _, losses, test_acc, _ = example.train(epochs=3, batch_size=32, hidden=64, lr=3e-3, seed=1, verbose=True)
    printed = capsys.readouterr().out
    assert printed.count("epoch ") == 3 and "test acc" in printed
    assert losses[-1] < 0.5 * losses[0], losses
    assert test_acc > 0.85, test_acc
    info = example.train_step.cache_info()
    assert info.traces == 1 and info.compilations + info.disk_hits == 1 and info.entries == 1, info
    plot = tmp_path / "loss.png"
    example.plot_losses(losses, str(plot))
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert not plot.exists() and "no plot" in capsys.readouterr().out
    else:
        assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_example_step_equals_eager_numpy(example):
    """Five jitted steps give the parameters, Adam moments and losses that the same Python step
    gives run by NumPy (``tj.value_and_grad`` runs eagerly under ``disable_jit``)."""
    x_train, y_train, _, _ = example.load_data(0)
    rng = np.random.default_rng(3)
    params = example.init_params(rng, [64, 32, 32, 10], dtype=np.float64)
    state_jit = state_eager = (params, {k: np.zeros_like(p) for k, p in params.items()},
                               {k: np.zeros_like(p) for k, p in params.items()})
    x, y = x_train.astype(np.float64), y_train
    for step in range(5):
        batch = slice(16 * step, 16 * step + 16)
        *state_jit, loss_jit = example.train_step(*state_jit, step, x[batch], y[batch], 1e-2)
        with _disabled():
            *state_eager, loss_eager = example.train_step.eager(*state_eager, step, x[batch], y[batch], 1e-2)
        np.testing.assert_allclose(loss_jit, loss_eager, rtol=1e-10)
        for got, want in zip(state_jit, state_eager):
            for k in want:
                np.testing.assert_allclose(got[k], want[k], rtol=1e-9, atol=1e-12, err_msg=f"step {step}: {k}")


class _disabled:
    """``tj.config.disable_jit`` set for a block."""

    def __enter__(self):
        self.was = tj.config.disable_jit
        tj.config.disable_jit = True

    def __exit__(self, *exc):
        tj.config.disable_jit = self.was


def test_example_without_scikit_learn_says_what_to_install(monkeypatch):
    """Without scikit-learn the example exits with the install command, not a traceback."""
    import builtins
    real_import = builtins.__import__

    def no_sklearn(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    module = _load_example()
    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    with pytest.raises(SystemExit, match="pip install scikit-learn"):
        module.load_data(0)


def test_benchmark_steps_agree_with_the_hand_written_backward():
    """benchmarks/training.py: the jitted tj.value_and_grad + Adam step and the NumPy step with
    a hand-written backward pass give the same parameters and moments (float64, three steps)."""
    from benchmarks import training
    params = {k: a.astype(np.float64) for k, a in training.init_params(2).items()}
    zeros = {k: np.zeros_like(a) for k, a in params.items()}
    ours = theirs = (params, zeros, zeros)
    step = tj.jit(training.tracejit_step)
    for t, (x, y) in enumerate(training.make_batches(3, seed=4)):
        *ours, loss = step(*ours, t, x.astype(np.float64), y)
        *theirs, want = training.numpy_step(*theirs, t, x.astype(np.float64), y)
        np.testing.assert_allclose(loss, want, rtol=1e-12)
        for got, expect in zip(ours, theirs):
            for k in expect:
                np.testing.assert_allclose(got[k], expect[k], rtol=1e-9, atol=1e-13, err_msg=f"step {t}: {k}")
