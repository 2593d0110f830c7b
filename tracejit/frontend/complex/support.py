"""The complex support the real frontend asks through its one hook (``frontend/arraylike.py``).

:data:`SUPPORT` answers every question the real frontend has about complex operands
(:class:`~tracejit.frontend.arraylike.ComplexSupport`): whether a NumPy function or ufunc
call is complex support's to run and running it, ``astype`` to a complex dtype, complex
creation and captured constants, the trace's side of a complex argument and result
(float pair views: ``complex/boundary.py``), and splitting complex loop-carried values
into parts and back (``frontend/control.py``). ``complex/__init__.py`` installs it.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from tracejit.frontend.complex import functions, reductions, ufuncs
from tracejit.frontend.complex.value import ComplexTracer, dispatch, involves_complex, is_complex, make
from tracejit.frontend.core import Tracer
from tracejit.frontend.numpy.indexing import getitem
from tracejit.frontend.numpy.shape import squeeze, stack

HANDLER_MODULES = (functions, reductions)  # imported for the FUNCTIONS handlers they register


class ComplexNumbers:
    """Complex support: the real frontend's questions about complex operands, answered."""

    def takes_function(self, func: Callable, args: tuple, kwargs: dict) -> bool:
        """Whether NumPy function ``func`` on these arguments is complex support's to run."""
        return involves_complex(args, kwargs) or func in functions.REAL_TOO

    def call_function(self, func: Callable, args: tuple, kwargs: dict) -> Any:
        """Run NumPy function ``func`` on arguments of which some are complex."""
        return dispatch(func, args, kwargs)

    def takes_ufunc(self, inputs: tuple, dtype: Any) -> bool:
        """Whether a ufunc on ``inputs`` (into ``dtype``, None: promoted) is complex support's to run."""
        return involves_complex(inputs) or (dtype is not None and np.dtype(dtype).kind == "c")

    def call_ufunc(self, ufunc: np.ufunc, inputs: tuple, dtype: Any, loc: str | None, operator: bool) -> Any:
        """``ufunc(*inputs)`` where some input (or ``dtype``) is complex."""
        return ufuncs.apply(ufunc, inputs, dtype, loc, operator)

    def from_real(self, x: Tracer, dtype: np.dtype) -> ComplexTracer:
        """``x.astype(dtype)`` of a real tracer ``x`` to a complex ``dtype``."""
        return functions.from_real(x, dtype)

    def filled(self, trace: Any, shape: tuple, dtype: np.dtype, value: Any) -> ComplexTracer:
        """A complex array of ``shape`` and ``dtype`` with every element ``value``."""
        return functions.filled(trace, shape, dtype, value)

    def constant(self, trace: Any, value: np.ndarray | np.generic) -> ComplexTracer:
        """A concrete complex array (or NumPy complex scalar: a traced scalar) as a traced value."""
        out = functions.constant(trace, value)
        if isinstance(value, np.generic):
            out._scalar = True
        return out

    def bind_argument(self, pairs: Tracer) -> ComplexTracer:
        """The traced complex value for a pair-view argument tracer (shape ``(..., 2)``): its
        parts are views of the argument, so writes to them reach the caller's array."""
        re = squeeze(getitem(pairs, (Ellipsis, slice(0, 1))), -1)
        im = squeeze(getitem(pairs, (Ellipsis, slice(1, 2))), -1)
        return ComplexTracer(re, im, scalar=bool(pairs._scalar))

    def result_pairs(self, value: ComplexTracer) -> Tracer:
        """The float tracer of shape ``value.shape + (2,)`` a complex result is returned as."""
        return stack([value.re_part, value.im_part], axis=-1)

    def split(self, leaf: Any) -> tuple | None:
        """A complex leaf (traced or concrete) as its (real, imaginary) parts; None for others."""
        if isinstance(leaf, ComplexTracer):
            if leaf._weak is complex:  # a Python complex: parts carried as Python floats, joined back weak
                return tuple(_python_float(t) for t in (leaf.re_part, leaf.im_part))
            return leaf.re_part, leaf.im_part
        if type(leaf) is complex:
            return leaf.real, leaf.imag
        if is_complex(leaf):
            v = np.asarray(leaf)
            scalar = not isinstance(leaf, np.ndarray)
            return tuple((p[()] if scalar else np.array(p)) for p in (v.real, v.imag))
        return None

    def join(self, re: Tracer, im: Tracer) -> ComplexTracer:
        """The traced complex value of real tracers ``re`` and ``im`` (a Python complex of Python floats)."""
        value = make(re, im)
        if getattr(re, "_weak", None) is float and getattr(im, "_weak", None) is float:
            value._weak = complex
        return value


def _python_float(t: Tracer) -> Tracer:
    """Part ``t`` of a Python complex as a traced Python float (a new tracer of its node)."""
    out = Tracer(t._trace, t._trace.node_of(t), scalar=True)
    out._weak = float
    return out


SUPPORT = ComplexNumbers()
