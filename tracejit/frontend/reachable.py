"""What a traced function can reach without going through a global or closure name.

Arrays held by ``self`` (or any static argument), by objects in the user's modules, or
by closures are concrete ndarrays while tracing: converted code cannot intercept an
attribute read. When one of them becomes a graph constant, ``frontend/capture.py``
looks it up here by identity (or, for a view such as ``self.W.T``, by the array owning
its memory) to read it at call time instead. The same walk finds random generators
(``frontend/randomness.py`` snapshots their state).

A path is a root (see ``capture.py``) plus steps, each ``("attr", name)`` or
``("item", key)``. The walk is breadth-first (the shortest path wins), a few levels
deep, and bounded in the number of objects it visits.
"""
from __future__ import annotations

import types
from collections import deque

import numpy as np

from tracejit.frontend.randomness import Snapshots, generator_types, is_generator

MAX_OBJECTS = 5000  # objects looked at per trace, at most
MAX_ITEMS = 256  # items of one list, tuple or dict looked into
_OPAQUE = (str, bytes, int, float, complex, bool, type(None), types.ModuleType, type, types.FunctionType,
           types.BuiltinFunctionType, types.MethodType, np.generic, np.dtype, range, slice)
_OPAQUE_TYPES = frozenset(t for t in _OPAQUE if t is not np.generic)  # the common ones, by exact type


def owner_of(arr: np.ndarray) -> np.ndarray:
    """The ndarray owning ``arr``'s memory (``arr`` itself when it owns it)."""
    while isinstance(arr.base, np.ndarray):
        arr = arr.base
    return arr


class Reach:
    """Arrays by identity and by owner, found from roots added one by one."""

    def __init__(self, snapshots: Snapshots):
        self.arrays: dict[int, tuple[tuple, np.ndarray]] = {}  # id -> (path, array)
        self.owners: dict[int, list[tuple[tuple, np.ndarray]]] = {}  # id(owner) -> arrays in its memory
        self._seen: set[int] = set()
        self._keep: list = []  # ids stay unique while the trace lives
        self._visited = 0
        self._snapshots = snapshots

    def add_globals(self, namespace: dict) -> None:
        """The arrays and generators a module holds as globals (not looked into further:
        this runs over every user module at every trace)."""
        wanted = (np.ndarray, np.memmap) + generator_types()
        for name, value in list(namespace.items()):
            if type(value) in wanted:
                self.add((GlobalRoot(namespace, name),), value, 0)

    def add(self, root: tuple, value: object, depth: int) -> None:
        """Walk ``value`` (reached by ``root``) up to ``depth`` steps down."""
        queue = deque([(root, value, depth)])
        while queue and self._visited < MAX_OBJECTS:
            path, obj, left = queue.popleft()
            self._visited += 1
            t = type(obj)
            if t in _OPAQUE_TYPES:
                continue
            if isinstance(obj, np.ndarray):
                self._array(path, obj)
                continue
            if isinstance(obj, _OPAQUE) or id(obj) in self._seen or t.__module__.startswith("tracejit."):
                continue
            self._seen.add(id(obj))
            self._keep.append(obj)
            if is_generator(obj):
                self._snapshots.add(obj, _shown(path))
                continue
            if left <= 0:
                continue
            for step, child in _children(obj):
                queue.append((path + (step,), child, left - 1))

    def _array(self, path: tuple, arr: np.ndarray) -> None:
        if id(arr) in self.arrays:
            return
        self.arrays[id(arr)] = (path, arr)
        self._keep.append(arr)
        self.owners.setdefault(id(owner_of(arr)), []).append((path, arr))


def _children(obj):
    """``(step, value)`` of what ``obj`` holds: items of lists, tuples and dicts (string
    and int keys), instance attributes and slots, and arrays held by its class."""
    if isinstance(obj, (list, tuple)):
        return [(("item", i), v) for i, v in enumerate(obj[:MAX_ITEMS])]
    if isinstance(obj, dict):
        out = []
        for k, v in obj.items():
            if type(k) in (str, int):
                out.append((("item", k), v))
                if len(out) >= MAX_ITEMS:
                    break
        return out
    out = []
    attrs = getattr(obj, "__dict__", None)
    if isinstance(attrs, dict):
        out.extend((("attr", k), v) for k, v in list(attrs.items())[:MAX_ITEMS] if type(k) is str)
    for cls in type(obj).__mro__:
        for name in cls.__dict__.get("__slots__", ()) if isinstance(cls.__dict__.get("__slots__", ()),
                                                                   (tuple, list)) else ():
            try:
                out.append((("attr", name), getattr(obj, name)))
            except AttributeError:
                pass
        for name, v in cls.__dict__.items():  # class attributes: read through the instance
            if isinstance(v, np.ndarray) and not (attrs and name in attrs):
                out.append((("attr", name), v))
    return out


class GlobalRoot:
    """A global of a module: ``module_dict[name]``."""

    __slots__ = ("namespace", "name")

    def __init__(self, namespace: dict, name: str):
        self.namespace, self.name = namespace, name

    def get(self, statics: object) -> object:
        """The object this root stands for now (``statics``: the call's static arguments)."""
        return self.namespace[self.name]

    def key(self) -> tuple:
        """A hashable identity of this root."""
        return ("global", id(self.namespace), self.name)

    def describe(self) -> str:
        """How the user's code names this root (in messages)."""
        return f"global {self.name}"


class CellRoot:
    """A closure cell of a function (``name`` is the variable it holds)."""

    __slots__ = ("cell", "name")

    def __init__(self, cell: object, name: str):
        self.cell, self.name = cell, name

    def get(self, statics: object) -> object:
        """The object this root stands for now (``statics``: the call's static arguments)."""
        return self.cell.cell_contents

    def key(self) -> tuple:
        """A hashable identity of this root."""
        return ("cell", id(self.cell))

    def describe(self) -> str:
        """How the user's code names this root (in messages)."""
        return f"closure variable {self.name}"


class DefaultRoot:
    """A parameter default of a function (an index into ``__defaults__`` or a name in
    ``__kwdefaults__``)."""

    __slots__ = ("function", "parameter")

    def __init__(self, function: object, parameter: int | str):
        self.function, self.parameter = function, parameter

    def get(self, statics: object) -> object:
        """The object this root stands for now (``statics``: the call's static arguments)."""
        if isinstance(self.parameter, int):
            return self.function.__defaults__[self.parameter]
        return self.function.__kwdefaults__[self.parameter]

    def key(self) -> tuple:
        """A hashable identity of this root."""
        return ("default", id(self.function), self.parameter)

    def describe(self) -> str:
        """How the user's code names this root (in messages)."""
        return f"a default of {self.function.__name__}"


class ObjectRoot:
    """An object the jitted callable itself holds (a bound method's ``self``)."""

    __slots__ = ("obj", "shown")

    def __init__(self, obj: object, shown: str):
        self.obj, self.shown = obj, shown

    def get(self, statics: object) -> object:
        """The object this root stands for now (``statics``: the call's static arguments)."""
        return self.obj

    def key(self) -> tuple:
        """A hashable identity of this root."""
        return ("object", id(self.obj))

    def describe(self) -> str:
        """How the user's code names this root (in messages)."""
        return self.shown


class ArgRoot:
    """A static argument of the call (``leaf``: its index among the leaves of a
    non-static argument's nest, None for a static argument)."""

    __slots__ = ("name", "leaf", "shown")

    def __init__(self, name: str, leaf: int | None, shown: str):
        self.name, self.leaf, self.shown = name, leaf, shown

    def get(self, statics: object) -> object:
        """The object this root stands for now (``statics``: the call's static arguments)."""
        value = statics[self.name]
        return value if self.leaf is None else value[1][self.leaf]

    def key(self) -> tuple:
        """A hashable identity of this root."""
        return ("argument", self.name, self.leaf)

    def describe(self) -> str:
        """How the user's code names this root (in messages)."""
        return self.shown


def evaluate(path: tuple, statics: object) -> object:
    """The value at ``path`` now (``statics``: the call's static arguments, as
    ``BoundCall.static_args``); raises what reading it raises."""
    value = path[0].get(statics)
    for kind, key in path[1:]:
        value = getattr(value, key) if kind == "attr" else value[key]
    return value


def getter(path: tuple) -> object:
    """A function ``statics -> the value at path now`` (a closure made once: it is called
    at every call of a function with captures)."""
    root, steps = path[0], path[1:]
    if isinstance(root, GlobalRoot) and not steps:
        namespace, name = root.namespace, root.name
        return lambda statics: namespace[name]
    if isinstance(root, CellRoot) and not steps:
        cell = root.cell
        return lambda statics: cell.cell_contents
    return lambda statics: evaluate(path, statics)


def path_key(path: tuple) -> tuple:
    """A hashable key telling paths apart."""
    return (path[0].key(),) + tuple(path[1:])


def needs_arguments(path: tuple) -> bool:
    """Whether reading ``path`` needs the call's static arguments."""
    return isinstance(path[0], ArgRoot)


def shown(path: tuple) -> str:
    """A path as the user would write it (``self.layers[0].W``)."""
    return _shown(path)


def _shown(path: tuple) -> str:
    root, steps = path[0], path[1:]
    text = root.describe()
    for kind, key in steps:
        text += f".{key}" if kind == "attr" else f"[{key!r}]"
    return text
