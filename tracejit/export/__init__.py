"""Ahead-of-time export: a traced NumPy function as a C library (``tj.export``; command
line: ``python -m tracejit.export module:function --example "f32[N,64]" --out-dir d``)."""
from tracejit.export.api import Exported, export
from tracejit.export.spec import ExampleSpec, parse_spec

__all__ = ["export", "Exported", "ExampleSpec", "parse_spec"]
