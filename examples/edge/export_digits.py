"""Export the digits classifier (examples/train_digits.py's MLP) as a C library for edge targets.

Trains the MLP (or loads the weights a previous run saved), then exports
``classify(x) = argmax(predict(params, x), axis=1)`` with ``tj.export`` for each target
(default aarch64-linux-gnu and wasm32-wasi): ``BUILD/<target>/classify.h`` and
``libclassify.a``. The weights are baked into the library as constants (the function
closes over them): one self-contained archive, no weight file to parse in C; retraining
means exporting again (about a second per target). The batch is a run-time size
(``f32[N,64]``: the matrix products' row count is a parameter of the exported code), so
``main.c`` classifies every image of the file in one call. Also writes ``BUILD/images.bin`` (int64 count, int64
pixels per image, then float32 pixels) of the test images and ``BUILD/expected.txt``, NumPy's
predictions, one a line, which ``make check`` compares with the C program's output.

    python examples/edge/export_digits.py --out examples/edge/build   # then: make -C examples/edge check
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

import tracejit as tj

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import train_digits  # noqa: E402  (examples/train_digits.py: its data, training and predict)

DEFAULT_TARGETS = ("aarch64-linux-gnu", "wasm32-wasi")


def trained_params(path: str, epochs: int, seed: int) -> dict[str, np.ndarray]:
    """The MLP's weights from ``path`` (an .npz a previous run wrote), else trained and saved there."""
    if os.path.exists(path):
        with np.load(path) as saved:
            return {k: saved[k] for k in saved.files}
    params, _, accuracy, _ = train_digits.train(epochs=epochs, seed=seed, verbose=False)
    print(f"trained {epochs} epochs: test accuracy {accuracy:.4f}")
    np.savez(path, **params)
    return params


def classifier(params: dict[str, np.ndarray]):
    """``classify(x)``: each row's most likely digit (int64), the weights captured as constants."""
    def classify(x):
        return np.argmax(train_digits.predict(params, x), axis=1)
    return classify


def write_images(path: str, images: np.ndarray) -> None:
    """The C program's input: count and pixels per image (int64), then the float32 pixels."""
    with open(path, "wb") as fh:
        fh.write(np.asarray(images.shape, np.int64).tobytes())
        fh.write(np.ascontiguousarray(images, np.float32).tobytes())


def main(argv: list[str] | None = None) -> int:
    """Command line: train or load, export for each target, write the images and NumPy's predictions."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "build"))
    parser.add_argument("--targets", nargs="+", default=list(DEFAULT_TARGETS))
    parser.add_argument("--images", type=int, default=0, help="test images to write (0: all 360)")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--weights", default=None, help=".npz of trained weights (default: OUT/weights.npz)")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    params = trained_params(args.weights or os.path.join(args.out, "weights.npz"), args.epochs, args.seed)
    classify = classifier(params)
    _, _, x_test, y_test = train_digits.load_data(args.seed)
    if args.images:
        x_test, y_test = x_test[:args.images], y_test[:args.images]
    for target in args.targets:
        folder = os.path.join(args.out, target)
        tj.export(classify, f"f32[N,{x_test.shape[1]}]", target=target, out_dir=folder, name="classify")
        print(f"exported classify for {target}: {folder}/classify.h, libclassify.a")
    write_images(os.path.join(args.out, "images.bin"), x_test)
    expected = classify(x_test)  # NumPy, eagerly: the Python predictions
    jitted = np.asarray(tj.jit(classify)(x_test))  # what main.c does, by the JIT
    if not np.array_equal(jitted, expected):
        print(f"warning: the JIT's predictions differ from NumPy's at {np.flatnonzero(jitted != expected)}")
    with open(os.path.join(args.out, "expected.txt"), "w") as fh:
        fh.write("".join(f"{p}\n" for p in expected))
    print(f"{len(x_test)} images, NumPy's accuracy {np.mean(expected == y_test):.4f}: "
          f"{args.out}/images.bin, {args.out}/expected.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
