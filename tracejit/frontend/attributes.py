"""What real and complex traced values share: ``np.shape``/``np.ndim``/``np.size``
(attributes only; registered by ``functions.py`` and ``complexfuncs.py``), ``len()`` and
iteration, and the decorator filling a table of NumPy-function handlers."""
from __future__ import annotations


def shape(a):
    return a.shape


def ndim(a):
    return a.ndim


def size(a, axis=None):
    return a.size if axis is None else a.shape[axis]


class SequenceLike:
    """``len()`` and iteration over the first axis, as ndarray (mixed into traced values)."""

    __slots__ = ()

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self.shape[0]))


def registrar(handlers: dict):
    """``implements(*numpy_functions)``: a decorator registering its function in
    ``handlers`` as the handler of each NumPy function (real and complex dispatch tables)."""
    def implements(*numpy_functions):
        def deco(handler):
            for f in numpy_functions:
                handlers[f] = handler
            return handler
        return deco
    return implements
