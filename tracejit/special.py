"""Special functions that NumPy lacks, usable eagerly and inside jitted functions.

Inside a jitted function each becomes one op with a vectorized implementation
(``scipy.special.erf`` and ``scipy.special.expit`` map to the same ops when SciPy is
installed). Outside, they compute with NumPy.
"""
from __future__ import annotations

import numpy as np
import numpy.typing as npt

from tracejit.compiler.ops import get_op
from tracejit.frontend.operands import as_operand, is_tracer


def _apply(op: str, x: npt.ArrayLike) -> np.ndarray:
    if is_tracer(x):
        return x._trace.apply(op, [as_operand(x._trace, x)], scalar=True)
    return get_op(op).reference(np.asarray(x))


def erf(x: npt.ArrayLike) -> np.ndarray:
    """The error function, elementwise."""
    return _apply("erf", x)


def sigmoid(x: npt.ArrayLike) -> np.ndarray:
    """The logistic function 1 / (1 + exp(-x)), elementwise, evaluated as NumPy would
    evaluate that expression."""
    return _apply("sigmoid", x)


expit = sigmoid
