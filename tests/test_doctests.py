"""The examples in the docstrings of every public name (``tracejit.__all__``) run as doctests,
and every public name (and every public method of a public class) has a docstring with one."""
from __future__ import annotations

import doctest
import inspect

import numpy as np
import pytest

import tracejit

NAMES = [n for n in tracejit.__all__ if n != "__version__"]


def _documented(name: str) -> object:
    """The object whose docstring documents ``name`` (an instance such as ``config``: its class)."""
    obj = getattr(tracejit, name)
    return obj if inspect.isclass(obj) or callable(obj) else type(obj)


def _doctests(name: str) -> list[doctest.DocTest]:
    finder = doctest.DocTestFinder(exclude_empty=False)
    obj = _documented(name)
    return finder.find(obj, f"tracejit.{name}", module=inspect.getmodule(obj),
                       extraglobs={"np": np, "tj": tracejit})



@pytest.mark.parametrize("name", NAMES)
def test_public_name_has_an_example(name):
    obj = _documented(name)
    doc = inspect.getdoc(obj) or ""
    assert len(doc.split()) >= 5, f"tracejit.{name} has no docstring worth the name"
    assert ">>>" in doc, f"tracejit.{name}'s docstring has no example (a doctest)"
    if inspect.isclass(obj) and not issubclass(obj, (Exception, tuple)):
        for attr, member in vars(obj).items():
            if attr.startswith("_") or not (inspect.isfunction(member) or isinstance(member, property)):
                continue
            assert (member.__doc__ or "").strip(), f"tracejit.{name}.{attr} has no docstring"


@pytest.mark.parametrize("name", NAMES)
def test_docstring_examples_run(name, restored_config):
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in _doctests(name) if t.examples]
    assert tests, f"tracejit.{name}: no doctest found"
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"tracejit.{name}: {result.failed} of {result.attempted} examples failed (above)"
