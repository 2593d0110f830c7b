"""``np.shape``, ``np.ndim`` and ``np.size`` of traced values: attributes only, the same
for real and complex values (registered by ``functions.py`` and ``complexfuncs.py``)."""
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
