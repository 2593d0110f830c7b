"""Complex numbers, decomposed into real and imaginary parts while tracing.

``value.py`` (the :class:`ComplexTracer` and its parts), ``arithmetic.py`` (NumPy's
complex loops as real arithmetic on part pairs), ``ufuncs.py`` (ufunc calls: promotion
and one rule per ufunc), ``functions.py`` (NumPy function handlers, casts, creation),
``boundary.py`` (complex arrays as float pair views around compiled code) and
``support.py`` (the answers to the real frontend's questions). The real frontend
imports none of these: importing this package installs :data:`support.SUPPORT` as the
hook ``frontend/arraylike.py`` hands complex operands to (``frontend/api.py`` imports
``complex.boundary``, which imports this package first).
"""
from tracejit.frontend.arraylike import install_complex_support
from tracejit.frontend.complex.support import SUPPORT

install_complex_support(SUPPORT)
