"""The complex frontend (``frontend/complex*.py``) as the :class:`~tracejit.frontend.dispatch.ComplexSupport`
the real handlers ask about complex operands; installed by ``frontend/numpy/__init__.py``.
(The complex helper's branch brings its own ``ComplexSupport`` object: this adapter then goes.)"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tracejit.frontend import complexfuncs, complexufuncs, complexvalue


class ComplexNumbers:
    """Answers the real frontend's questions about complex operands with the complex modules."""

    def takes_function(self, func: Callable, args: tuple, kwargs: dict) -> bool:
        """Whether NumPy function ``func`` on these arguments is complex support's to run."""
        return complexvalue.involves_complex(args, kwargs) or func in complexfuncs.REAL_TOO

    def call_function(self, func: Callable, args: tuple, kwargs: dict) -> object:
        """Run NumPy function ``func`` on arguments of which some are complex."""
        return complexfuncs.dispatch(func, args, kwargs)

    def takes_ufunc(self, inputs: tuple, dtype: object) -> bool:
        """Whether a ufunc on ``inputs`` (into ``dtype``, None: promoted) is complex support's to run."""
        return complexvalue.involves_complex(inputs) or (dtype is not None and np.dtype(dtype).kind == "c")

    def call_ufunc(self, ufunc: np.ufunc, inputs: tuple, dtype: object, loc: str | None, operator: bool) -> object:
        """``ufunc(*inputs)`` where some input (or ``dtype``) is complex."""
        return complexufuncs.apply(ufunc, inputs, dtype, loc, operator)

    def from_real(self, x: object, dtype: np.dtype) -> object:
        """``x.astype(dtype)`` of a real tracer ``x`` to a complex ``dtype``."""
        return complexvalue.from_real(x, dtype)

    def filled(self, trace: object, shape: tuple, dtype: np.dtype, value: object) -> object:
        """A complex array of ``shape`` and ``dtype`` with every element ``value``."""
        return complexvalue.filled(trace, shape, dtype, value)

    def is_complex_value(self, x: object) -> bool:
        """Whether ``x`` is a traced complex array."""
        return isinstance(x, complexvalue.ComplexTracer)
