"""Counting the calls of a function of ``tracejit.frontend.api`` (the general path a fast call skips)."""
from __future__ import annotations

import tracejit.frontend.api as api


def counting(monkeypatch, name: str) -> list:
    """Count calls of ``api.<name>``: the returned list grows by one per call."""
    calls, real = [], getattr(api, name)

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)
    monkeypatch.setattr(api, name, counted)
    return calls
