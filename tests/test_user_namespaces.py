"""The user's module namespaces (``frontend/usercode.user_namespaces``), read by every trace: kept
right as modules come and go, and each module judged once (with jax and torch loaded, judging
3,000+ modules again took 10-30 ms of each first trace that followed an import)."""
from __future__ import annotations

import os
import sys
import types

import numpy as np

from tracejit.frontend import usercode


def _module(name: str, filename: str) -> types.ModuleType:
    mod = types.ModuleType(name)
    mod.__file__ = filename
    return mod


def test_modules_are_followed_and_judged_once(tmp_path, monkeypatch):
    judged = []
    real = usercode.is_user_module
    monkeypatch.setattr(usercode, "is_user_module", lambda m: judged.append(m.__name__) or real(m))
    usercode.user_namespaces()
    mine = _module("tj_test_user_mod", str(tmp_path / "mine.py"))
    monkeypatch.setitem(sys.modules, mine.__name__, mine)
    judged.clear()
    found = usercode.user_namespaces()
    assert any(ns is mine.__dict__ for ns in found)
    assert judged == [mine.__name__]  # only the new module
    # the same name bound to a library's module (and another import, so the count changes)
    lib = _module("tj_test_user_mod", os.path.join(os.path.dirname(np.__file__), "fake.py"))
    monkeypatch.setitem(sys.modules, lib.__name__, lib)
    other = _module("tj_test_user_other", str(tmp_path / "other.py"))
    monkeypatch.setitem(sys.modules, other.__name__, other)
    judged.clear()
    found = usercode.user_namespaces()
    assert not any(ns is mine.__dict__ or ns is lib.__dict__ for ns in found)
    assert any(ns is other.__dict__ for ns in found)
    assert sorted(judged) == sorted([lib.__name__, other.__name__])
    monkeypatch.delitem(sys.modules, other.__name__)
    assert not any(ns is other.__dict__ for ns in usercode.user_namespaces())
