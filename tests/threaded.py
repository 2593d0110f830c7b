"""Running test code on several threads at once: the start/join boilerplate of the thread tests."""
from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable


def run_in_threads(work: Callable, args: Iterable[tuple], switch_interval: float | None = None) -> list[Exception]:
    """Call ``work(*a)`` for each ``a`` of ``args``, each on its own thread, all started before any is
    joined; the exceptions they raised. ``switch_interval``: the interpreter's thread switch interval
    meanwhile (``1e-6``: switch as often as it can), restored afterwards."""
    errors: list[Exception] = []

    def guarded(*a):
        try:
            work(*a)
        except Exception as e:  # noqa: BLE001 - reported to the caller
            errors.append(e)

    interval = sys.getswitchinterval()
    if switch_interval is not None:
        sys.setswitchinterval(switch_interval)
    try:
        pool = [threading.Thread(target=guarded, args=tuple(a)) for a in args]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    return errors
