"""Train a small MLP on scikit-learn's bundled digits (8x8 images, 10 classes) with tracejit.

One jitted function does a whole training step: the forward pass, the softmax cross-entropy
loss, its gradient with respect to a dict of parameters (``tj.value_and_grad``) and the Adam
update. It compiles once (the first call) and every later step reuses the machine code.

    python examples/train_digits.py            # 40 epochs, prints progress, writes digits_loss.png
    python examples/train_digits.py --help     # options (epochs, batch size, plot path, ...)

Needs scikit-learn for the data (``pip install scikit-learn``, or ``pip install -e '.[examples]'``)
and matplotlib for the plot (optional: without it the plot is skipped).
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import tracejit as tj

BETA1, BETA2, EPS = 0.9, 0.999, 1e-8


def load_data(seed: int, dtype=np.float32):
    """Digits scaled to [0, 1], split 80/20 (stratified): (x_train, y_train, x_test, y_test)."""
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError:
        sys.exit("this example needs scikit-learn for its data set: pip install scikit-learn "
                 "(or pip install -e '.[examples]')")
    digits = load_digits()
    x = (digits.data / 16.0).astype(dtype)
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=seed, stratify=y)
    return x_train, y_train, x_test, y_test


def init_params(rng: np.random.Generator, sizes: list[int], dtype=np.float32) -> dict[str, np.ndarray]:
    """He-initialized weights and zero biases, one ``W{i}``/``b{i}`` pair per layer."""
    params = {}
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        params[f"W{i}"] = (rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)).astype(dtype)
        params[f"b{i}"] = np.zeros(fan_out, dtype=dtype)
    return params


def predict(params, x):
    """Logits of the MLP: ReLU hidden layers, a linear output layer."""
    n_layers = len(params) // 2
    h = x
    for i in range(n_layers - 1):
        h = np.maximum(h @ params[f"W{i}"] + params[f"b{i}"], 0.0)
    return h @ params[f"W{n_layers - 1}"] + params[f"b{n_layers - 1}"]


def loss_fn(params, x, y):
    """Mean softmax cross-entropy of the logits against integer labels ``y``."""
    logits = predict(params, x)
    m = np.max(logits, axis=1, keepdims=True)
    log_probs = logits - m - np.log(np.sum(np.exp(logits - m), axis=1, keepdims=True))
    one_hot = y[:, None] == np.arange(logits.shape[1])  # (log_probs[np.arange(n), y]: no gather rule yet)
    return -np.mean(np.sum(np.where(one_hot, log_probs, 0.0), axis=1))


@tj.jit
def train_step(params, m, v, step, x, y, lr):
    """One Adam step on a batch: returns the new (params, m, v) and the batch's loss."""
    loss, grads = tj.value_and_grad(loss_fn)(params, x, y)
    step = step + 1
    new_params, new_m, new_v = {}, {}, {}
    for k in params:
        new_m[k] = BETA1 * m[k] + (1 - BETA1) * grads[k]
        new_v[k] = BETA2 * v[k] + (1 - BETA2) * grads[k] ** 2
        m_hat = new_m[k] / (1 - BETA1 ** step)
        v_hat = new_v[k] / (1 - BETA2 ** step)
        new_params[k] = params[k] - lr * m_hat / (np.sqrt(v_hat) + EPS)
    return new_params, new_m, new_v, loss


@tj.jit
def accuracy(params, x, y):
    """Fraction of ``x`` whose largest logit is the label."""
    return np.mean(np.argmax(predict(params, x), axis=1) == y)


def train(epochs: int = 40, batch_size: int = 64, hidden: int = 128, lr: float = 1e-3, seed: int = 0,
          verbose: bool = True):
    """Train and return (params, per-epoch mean losses, test accuracy, seconds of the first step)."""
    x_train, y_train, x_test, y_test = load_data(seed)
    rng = np.random.default_rng(seed)
    params = init_params(rng, [x_train.shape[1], hidden, hidden, 10])
    m = {k: np.zeros_like(p) for k, p in params.items()}
    v = {k: np.zeros_like(p) for k, p in params.items()}
    n_batches = len(x_train) // batch_size  # (whole batches only: one shape, one compilation)
    losses, step, first_step_s = [], 0, None
    for epoch in range(epochs):
        t0 = time.perf_counter()
        order = rng.permutation(len(x_train))
        epoch_loss = 0.0
        for b in range(n_batches):
            idx = order[b * batch_size:(b + 1) * batch_size]
            t_step = time.perf_counter()
            params, m, v, loss = train_step(params, m, v, step, x_train[idx], y_train[idx], lr)
            if first_step_s is None:
                first_step_s = time.perf_counter() - t_step
            step += 1
            epoch_loss += float(loss)
        losses.append(epoch_loss / n_batches)
        if verbose:
            print(f"epoch {epoch + 1:3d}/{epochs}  loss {losses[-1]:.4f}  "
                  f"train acc {accuracy(params, x_train, y_train):.3f}  "
                  f"test acc {accuracy(params, x_test, y_test):.3f}  ({time.perf_counter() - t0:.3f} s)")
    return params, losses, float(accuracy(params, x_test, y_test)), first_step_s


def plot_losses(losses: list[float], path: str) -> None:
    """The loss curve as a PNG (skipped with a message when matplotlib is absent)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot (pip install matplotlib)")
        return
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(range(1, len(losses) + 1), losses, marker=".")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean training loss (cross-entropy)")
    ax.set_yscale("log")
    ax.set_title("MLP on digits, trained with tracejit")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"loss curve written to {path}")


def main(argv: list[str] | None = None) -> int:
    """Command line: train, report accuracy and the step's compilations, plot the loss."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", default="digits_loss.png", help="PNG path of the loss curve ('' for none)")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    _, losses, test_acc, first_s = train(args.epochs, args.batch_size, args.hidden, args.lr, args.seed)
    total = time.perf_counter() - t0
    print(f"test accuracy {test_acc:.4f}; {total:.1f} s in all, first step (trace + compile) {first_s:.2f} s")
    info = train_step.cache_info()
    print(f"train_step.cache_info(): {info}")
    cached = f" and {info.disk_hits} load(s) of its code from the persistent cache" if info.disk_hits else ""
    print(f"  -> {info.traces} trace(s) of the step, {info.compilations} LLVM compilation(s){cached}; "
          f"the {info.hits} other calls reused it")
    if args.plot:
        plot_losses(losses, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
