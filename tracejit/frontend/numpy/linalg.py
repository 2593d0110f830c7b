"""Products of traced arrays: ``a @ b`` (``np.matmul``) and ``np.dot`` where it agrees with it."""
from __future__ import annotations

import numpy as np

from tracejit.errors import UnsupportedError, at
from tracejit.frontend.context import user_location
from tracejit.frontend.core import Tracer
from tracejit.frontend.dispatch import implements
from tracejit.frontend.operands import as_array, as_operand, find_trace
from tracejit.frontend.operands import Operand


def matmul(a: object, b: object) -> Tracer:
    """``a @ b`` (``np.matmul``) with a traced operand."""
    trace = find_trace([a, b])
    return trace.apply("matmul", [as_operand(trace, a), as_operand(trace, b)], scalar=True)


@implements(np.dot)
def dot(a: Operand, b: Operand, out: object = None) -> Operand:
    """``numpy.dot`` of traced arrays, with NumPy's argument rules."""
    loc = user_location()
    if out is not None:
        raise UnsupportedError(f"numpy.dot: out= is not supported{at(loc)}")
    trace = find_trace([a, b])
    a, b = (as_operand(trace, as_array(trace, x)) for x in (a, b))  # both arrays (strong), as NumPy's
    if a.ndim == 0 or b.ndim == 0:
        return np.multiply(a, b)
    if b.ndim <= 2 or a.ndim == 1:  # where np.dot and np.matmul agree
        return matmul(a, b)
    raise UnsupportedError(f"numpy.dot of {a.ndim}-d and {b.ndim}-d arrays is not supported; "
                           f"use matmul or einsum semantics explicitly{at(loc)}")
