"""Internal errors are never shown raw (``frontend/boundary.py``): a failure injected into
tracejit's own code leaves a jitted call as ``tj.InternalError`` naming the function and
the user's line, suggesting TRACEJIT_DISABLE_JIT=1, with the original chained; the user's
own exceptions, NumPy's on the user's behalf and tracejit's deliberate errors pass unchanged."""
from __future__ import annotations

import ast
import dataclasses
import inspect
import os
import pathlib
from unittest import mock

import numpy as np
import pytest

import tracejit as tj
from tracejit.compiler import pipeline, schedule
from tracejit.compiler.ops.registry import REGISTRY
from tracejit.runtime import engine

HERE = "test_internal_errors.py:"
FRONTEND = pathlib.Path(tj.__file__).parent / "frontend"


def _line_of(fun, text: str) -> int:
    """The line number of the line of ``fun``'s source containing ``text``."""
    lines, first = inspect.getsourcelines(fun)
    return first + next(i for i, line in enumerate(lines) if text in line)


def _check_internal(excinfo, original: type, line: int | None, name: str) -> None:
    err = excinfo.value
    assert type(err) is tj.InternalError and isinstance(err, tj.TracejitError)
    assert isinstance(err.__cause__, original)
    message = str(err)
    assert f"jitted function '{name}'" in message and original.__name__ in message
    assert "TRACEJIT_DISABLE_JIT=1" in message and "bug in tracejit" in message and "report" in message
    assert "raised at tracejit" in message  # where inside tracejit
    if line is not None:
        assert f"{HERE}{line}" in message and err.location.endswith(f"{HERE}{line}")


def test_assertion_in_an_optimizer_stage(monkeypatch):
    injected = AssertionError("kernel k0: injected")
    monkeypatch.setattr(pipeline, "form_kernels", mock.Mock(side_effect=injected))

    def scaled(a):
        return a * 2.0 + 1.0

    f = tj.jit(scaled)
    with pytest.raises(tj.InternalError) as excinfo:
        f(np.ones(5))  # the call site: no line of the function is being traced
    _check_internal(excinfo, AssertionError, _line_of(test_assertion_in_an_optimizer_stage, "f(np.ones(5))"),
                    scaled.__qualname__)
    assert excinfo.value.__cause__ is injected and "kernel k0: injected" in str(excinfo.value)
    assert "pipeline.py" in str(excinfo.value)
    with pytest.raises(tj.InternalError):
        f.lower(np.ones(5))  # lower() is a boundary too
    monkeypatch.undo()
    np.testing.assert_array_equal(f(np.ones(5)), np.full(5, 3.0))  # nothing was cached by the failure


def test_key_error_while_tracing_names_the_users_line(monkeypatch):
    monkeypatch.delitem(REGISTRY, "multiply")  # tracejit's own lookup fails

    def g(a):
        b = a + 1.0
        return b * 3.0

    with pytest.raises(tj.InternalError) as excinfo:
        tj.jit(g)(np.ones(3))
    _check_internal(excinfo, KeyError, _line_of(g, "b * 3.0"), g.__qualname__)
    assert "while tracing" in str(excinfo.value)


def test_zero_division_in_a_shape_rule(monkeypatch):
    rule = mock.Mock(side_effect=ZeroDivisionError("integer division or modulo by zero"))
    monkeypatch.setitem(REGISTRY, "multiply", dataclasses.replace(REGISTRY["multiply"], infer=rule))

    def h(a):
        return a * a

    with pytest.raises(tj.InternalError) as excinfo:
        tj.jit(h)(np.ones(3))
    _check_internal(excinfo, ZeroDivisionError, _line_of(h, "a * a"), h.__qualname__)


def test_index_error_in_the_compiler(monkeypatch):
    failing = mock.Mock(side_effect=IndexError("tuple index out of range"))
    monkeypatch.setattr(schedule, "KERNEL_PASSES", [(name, failing if name == "split_rows" else fn)
                                                    for name, fn in schedule.KERNEL_PASSES])
    with pytest.raises(tj.InternalError) as excinfo:
        tj.jit(lambda a: a.sum(axis=1))(np.ones((3, 4)))
    _check_internal(excinfo, IndexError, None, "test_index_error_in_the_compiler.<locals>.<lambda>")


def test_llvm_error(monkeypatch):
    from tracejit.compiler.codegen import module
    monkeypatch.setattr(engine, "_modules", {})  # nothing loaded: this program compiles now
    from tracejit.compiler.codegen.split import Part
    broken = "define void @broken( {"
    monkeypatch.setattr(module, "build_module", lambda *args, **kwargs: (broken, None))
    # the module as parts (codegen/split.py): one part at O3 compiles as the whole module does
    monkeypatch.setattr(module, "build_parts", lambda *args, **kwargs: [Part(broken, ("broken",), 3, 1)])

    def k(a):
        return np.sqrt(a) - 1.0

    with pytest.raises(tj.InternalError) as excinfo:
        tj.jit(k)(np.ones(7))
    _check_internal(excinfo, RuntimeError, None, k.__qualname__)
    assert "engine.py" in str(excinfo.value)


def test_internal_error_of_a_nested_jitted_function_is_not_wrapped_twice(monkeypatch):
    monkeypatch.delitem(REGISTRY, "multiply")
    inner = tj.jit(lambda a: a * 2.0)

    def outer(a):
        return inner(a + 1.0) - 1.0

    with pytest.raises(tj.InternalError) as excinfo:
        tj.jit(outer)(np.ones(3))
    assert "<lambda>" in str(excinfo.value) and isinstance(excinfo.value.__cause__, KeyError)


class Mine(Exception):
    pass


def test_user_exceptions_pass_unchanged():
    raised = Mine("mine")

    def raising(a):
        raise raised

    with pytest.raises(Mine) as excinfo:
        tj.jit(raising)(np.ones(3))
    assert excinfo.value is raised

    def key_error(a):
        return {"x": a}["y"]

    with pytest.raises(KeyError, match="'y'"):
        tj.jit(key_error)(np.ones(3))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        tj.jit(lambda a: np.nope)(np.ones(3))
    with pytest.raises(ZeroDivisionError):
        tj.jit(lambda a: tj.fori_loop(0, 2, lambda i, c: c + 1 / 0, a))(np.ones(3))
    with pytest.raises(AssertionError, match="user's"):
        tj.jit(lambda a: tj.cond(a.sum() > 0, _assert_false, lambda x: x, a))(np.ones(3))


def _assert_false(x):
    assert False, "user's"


def test_numpy_errors_on_the_users_behalf_pass_unchanged():
    def eager_numpy(a):
        return a + np.add(np.arange(3.0), np.arange(4.0))  # NumPy arrays made here: NumPy raises, not tracejit

    with pytest.raises(ValueError, match="could not be broadcast") as excinfo:
        tj.jit(eager_numpy)(np.ones(3))
    assert type(excinfo.value) is ValueError and excinfo.value.__cause__ is None
    with pytest.raises(TypeError) as excinfo:  # Python validating the user's argument
        tj.jit(lambda a: a.sum(axis=1.5))(np.ones((2, 2)))
    assert type(excinfo.value) is TypeError
    with pytest.raises(TypeError):  # a call that does not bind
        tj.jit(lambda a, b: a + b)(np.ones(2))
    with pytest.raises(TypeError, match="data type"):
        tj.jit(lambda a: a.astype("nope"))(np.ones(2))


def test_deliberate_errors_pass_unchanged():
    with pytest.raises(ValueError, match=rf"broadcast.*{HERE}\d+") as excinfo:
        tj.jit(lambda a, b: a + b, fallback=False)(np.ones(3), np.ones(4))
    assert type(excinfo.value) is ValueError
    with pytest.raises(tj.UnsupportedError):
        tj.jit(lambda x: np.setdiff1d(x, x) + x, fallback=False)(np.ones(3))  # (no handler)
    with pytest.raises(IndexError, match="out of bounds"):  # raised after the call (frontend/checks.py)
        tj.jit(lambda a, i: a[i], fallback=False)(np.ones(3), np.array([0, 5]))
    with pytest.raises(TypeError, match="0-dimensional"):  # NumPy's own refusal (frontend/pybuiltins.py)
        tj.jit(lambda a: float(a), fallback=False)(np.ones(3))


def test_static_needed_still_makes_scalars_static():
    def branchy(a, s):
        return a * 2 if s > 0 else a - 1

    f = tj.jit(branchy)
    np.testing.assert_array_equal(f(np.ones(2), 1.0), np.full(2, 2.0))
    np.testing.assert_array_equal(f(np.ones(2), -1.0), np.zeros(2))
    inner = tj.jit(branchy)  # the same from inside another trace: its StaticNeeded crosses inner's boundary
    g = tj.jit(lambda a, s: inner(a, s) + 1)
    np.testing.assert_array_equal(g(np.ones(2), 1.0), np.full(2, 3.0))
    np.testing.assert_array_equal(g(np.ones(2), -1.0), np.ones(2))


def test_disable_jit_passes_everything(monkeypatch):
    monkeypatch.setattr(tj.config, "disable_jit", True)
    with pytest.raises(Mine):
        tj.jit(lambda a: (_ for _ in ()).throw(Mine()))(np.ones(2))


_NUMPY_LIKE = {"TypeError", "ValueError", "IndexError", "OverflowError", "AttributeError", "KeyError",
               "ZeroDivisionError", "AxisError"}


def test_frontend_marks_every_deliberate_numpy_like_error():
    """Every ``raise`` of a NumPy-like builtin exception in the frontend is marked as the
    user's (``errors.user_error``/``with_location``); unmarked, it would leave as InternalError."""
    unmarked = []
    for path in sorted(FRONTEND.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                if name in _NUMPY_LIKE:
                    unmarked.append(f"{path.name}:{node.lineno}: raise {name}(...)")
    assert not unmarked, "wrap in errors.user_error(...):\n" + "\n".join(unmarked)


def test_internal_error_is_exported():
    assert "InternalError" in tj.__all__ and issubclass(tj.InternalError, RuntimeError)
    assert os.environ.get("TRACEJIT_DISABLE_JIT") in (None, "", "0")
