"""Kernel formation of host calls (``host`` nodes, ``compiler/ops/host.py``).

A host call is a control kernel of its own (kind ``host``): it hands the callback
(``runtime/hostcalls.py``) the buffers of its operands (the ordering operands left out)
and of its results. The callback's address is data, not code: a constant buffer of
one int64 (generated code is shared across shapes and cached on disk; the address
belongs to this process and this trace). That buffer's array keeps the host call's
function object, and so its callback, alive as long as the program is.
"""
from __future__ import annotations

import numpy as np

from tracejit.compiler.kir import Control


class CallbackAddress(np.ndarray):
    """A one-element int64 array holding a callback's address and keeping its owner alive."""

    owner: object = None


def callback_constant(host: object) -> np.ndarray:
    """The constant holding ``host``'s callback address (``ops/host.py`` ``HostFunction``)."""
    value = np.array([host.address()], dtype=np.int64).view(CallbackAddress)
    value.owner = host.keepalive()
    value.flags.writeable = False
    return value


def host_control(operands: tuple[int, ...], results: tuple[int, ...], nbytes: tuple, callback: int,
                 name: str) -> Control:
    """The :class:`Control` of a host call reading buffers ``operands`` and writing ``results``."""
    return Control("host", (), results, nbytes, inits=operands, callback=callback, label=name)
