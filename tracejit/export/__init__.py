"""Ahead-of-time export: a traced NumPy function as a C library (``tj.export``; command
line: ``python -m tracejit.export module:function --example "f32[N,64]" --out-dir d``).

``import tracejit`` imports this package, so it imports nothing itself: each name below is
loaded from its module on first access (module ``__getattr__``)."""
import importlib

__all__ = ["export", "Exported", "ExampleSpec", "parse_spec"]

_LAZY = {"export": "tracejit.export.api", "Exported": "tracejit.export.api",
         "ExampleSpec": "tracejit.export.spec", "parse_spec": "tracejit.export.spec"}


def __getattr__(name: str) -> object:
    """The public name ``name``, importing the module that defines it on first access."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tracejit.export' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
