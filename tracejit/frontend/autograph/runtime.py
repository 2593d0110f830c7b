"""The namespace converted code sees as ``__tj_ag__`` (the interface of SPEC16)."""
from __future__ import annotations

from tracejit.frontend.autograph.caught import try_stmt
from tracejit.frontend.autograph.loops import for_stmt, iterate
from tracejit.frontend.autograph.operators import (
    and_,
    call_builtin,
    compare,
    if_stmt,
    ifexp,
    list_append,
    not_,
    or_,
    return_value,
    while_stmt,
)
from tracejit.frontend.autograph.undefined import ReturnUnset, Undefined

__all__ = ["ReturnUnset", "Undefined", "and_", "call_builtin", "compare", "for_stmt", "if_stmt", "ifexp", "iterate",
           "list_append", "not_", "or_", "return_value", "try_stmt", "while_stmt"]
