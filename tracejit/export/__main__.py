"""``python -m tracejit.export module:function --target host --example "f32[N,64]" ... --out-dir d``:
``tj.export`` from the command line (named dims such as ``N`` become run-time sizes)."""
from __future__ import annotations

import argparse
import importlib
import sys

from tracejit.errors import TracejitError
from tracejit.export.api import export
from tracejit.export.spec import parse_spec


def _function(text: str):
    module, _, attr = text.partition(":")
    if not module or not attr:
        raise SystemExit(f"tracejit.export: {text!r} is not module:function")
    sys.path.insert(0, ".")
    obj = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def _size(text: str) -> tuple[str, int]:
    name, _, value = text.partition("=")
    if not name or not value.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=INT")
    return name, int(value)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, export, print the files written; 2 on a tracejit error."""
    parser = argparse.ArgumentParser(prog="python -m tracejit.export", description=__doc__)
    parser.add_argument("function", help="module:function to export")
    parser.add_argument("--example", action="append", default=[], type=parse_spec,
                        help='an argument as dtype[dims], e.g. "f32[N,64]" (named dims are run-time sizes)')
    parser.add_argument("--target", default="host", help="host (this CPU), aarch64-linux-gnu, armv7-linux-gnueabihf, "
                        "riscv64-linux-gnu or wasm32-wasi")
    parser.add_argument("--out-dir", default=".")
    parser.add_argument("--name", default=None, help="the C function's name (default: the Python function's)")
    parser.add_argument("--threads", action="store_true", help="parallel loops on POSIX threads")
    parser.add_argument("--size", action="append", default=[], type=_size,
                        help="NAME=INT: the sample value of a named dim (default 1000)")
    args = parser.parse_args(argv)
    fun = _function(args.function)
    try:
        done = export(fun, *args.example, target=args.target, out_dir=args.out_dir, name=args.name,
                      threads=args.threads, sizes=dict(args.size), origin=args.function)
    except TracejitError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for path in (done.header, done.object, done.library, done.runtime):
        if path:
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
