"""``np.vander`` of a traced 1-d array, computed exactly as NumPy computes it.

NumPy fills the first column (the last for ``increasing=False``) with ones and the others
with ``x``, then ``multiply.accumulate``s along the rows: column ``k`` is
``((x * x) * x) ... * x``, ``k - 1`` products made strictly in order, in the dtype
``promote_types(x.dtype, int)``. Here ``x`` (converted to that dtype) is broadcast to the
``N - 1`` power columns, one ``cumprod`` scan along axis 1 makes the same products in the
same order (bit-identical results), a column of ones is concatenated in front, and the
columns are reversed (a view) unless ``increasing``. ``N`` is static (a traced Python int's
value); ``N = 0`` and zero-size ``x`` give NumPy's empty shapes.
"""
from __future__ import annotations

import operator

import numpy as np

from tracejit.compiler.dtypes import check_supported
from tracejit.errors import at, user_error
from tracejit.frontend.context import user_location
from tracejit.frontend.dispatch import implements
from tracejit.frontend.numpy.creation import filled
from tracejit.frontend.numpy.scans_and_sorts import accumulate
from tracejit.frontend.numpy.shape import astype, broadcast_to, concatenate
from tracejit.frontend.operands import Operand, as_operand, find_trace, lift


@implements(np.vander)
def vander(x: Operand, N: Operand = None, increasing: bool = False) -> Operand:
    """``numpy.vander`` of a traced 1-d array: ones, then a running product along the rows."""
    loc = user_location()
    trace = find_trace([x, N])
    x = lift(trace, np.asarray(x) if isinstance(x, (list, tuple)) else as_operand(trace, x))
    if x.ndim != 1:
        raise user_error(ValueError(f"x must be a one-dimensional array or sequence.{at(loc)}"))
    n = x.shape[0]
    N = n if N is None else operator.index(N)
    if N < 0:
        raise user_error(ValueError(f"negative dimensions are not allowed{at(loc)}"))
    dtype = check_supported(np.promote_types(x.dtype, int), f"numpy.vander{at(loc)}")
    ones = filled(trace, (n, min(N, 1)), dtype, 1)
    if N <= 1:
        return ones
    xs = astype(x, dtype)
    powers = accumulate(np.multiply, broadcast_to(xs[:, None], (n, N - 1)), axis=1)
    v = concatenate([ones, powers], axis=1)
    return v if increasing else v[:, ::-1]
