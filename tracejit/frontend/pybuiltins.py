"""Python builtins as converted code calls them (``__tj_ag__.call_builtin``): builtin ->
its tracing-aware replacement, which behaves exactly as the builtin on values that are
not traced. (Filled by the ``selections`` work of issue 16: ``len``, ``int``, ``float``...)"""
from __future__ import annotations

from typing import Callable

CONVERTED: dict[Callable, Callable] = {}
