"""NumPy on traced arrays: one handler per NumPy function, grouped by family.

Importing this package registers every handler in ``frontend/dispatch.py``'s tables (each
module's ``@implements``), installs the ndarray methods and operators on the Tracer
(``methods.py``). Complex values reach ``frontend/complex/`` through the one hook,
``arraylike.complex_support()``, which that package installs.
The modules, each building only on those before it:

- ``axes``: axis and shape arguments, normalized as NumPy does
- ``shape``: views, reshapes, transposes, broadcasts, concatenation, copies and casts
- ``creation``: ``*_like``, ``full_like``, and ``filled`` (an array of one value)
- ``elementwise``: ``where``, ``clip``, ``round`` (the ufuncs themselves: ``ufuncs``)
- ``writes``: writes into traced arrays (``a[k] = v``, ``out=``, ``np.copyto``)
- ``reductions``: ``sum``, ``max``, ``argmax``, ``mean``, ``var``...
- ``scans_and_sorts``: ``cumsum``, ``cumprod``, ``accumulate``, ``sort``, ``argsort``
- ``selection``: boolean masks of data-dependent size (``x[mask]``, ``nonzero``)
- ``advanced``, ``indexing``: ``x[key]`` and ``x[key] = v``, integer-array indices, ``take``
- ``linalg``: ``matmul``, ``dot``
- ``composites``, ``numerics``: functions composed from the ops above (flip, roll, split,
  einsum, outer, norm...; diagonals, differences, grids, closeness, padding, median)
- ``einsum_paths``: ``einsum`` of three or more operands or repeated labels (pairwise, NumPy's greedy order)
- ``gradient``, ``convolution``: ``gradient``; ``convolve``, ``correlate`` (fused shifted slices)
- ``putmask``: ``putmask``, ``place``
- ``assembly``: ``take_along_axis``, ``select``, ``append``, ``column_stack``, ``kron``, ``ptp``,
  ``partition``/``argpartition``, ``put``
- ``nanfuncs``: ``nansum``, ``nanmean``, ``nanvar``, ``nanargmin``... (NaNs replaced, then the plain function)
- ``stats``, ``spacing``: ``average``, ``trapezoid``, ``cov``, ``corrcoef``; ``linspace``, ``logspace``,
  ``geomspace`` with traced endpoints
- ``accumulate``, ``ufunc_at``: the other ``ufunc.accumulate``s, bitwise ``ufunc.reduce``s, ``ufunc.at``
  (used by ``ufuncs``)
- ``quantiles``: ``quantile``, ``percentile`` (``method='linear'``, constant ``q``)
- ``nanselect``, ``nanmedian``: the partition with ranks read from the data behind ``nanquantile``,
  ``nanpercentile`` and ``nanmedian``
- ``search``: ``searchsorted``, ``digitize``, ``interp`` (unrolled binary searches)
- ``histogram``: ``histogram``, ``histogram_bin_edges``, ``bincount`` (counts by ``scatter_add``)
- ``unique``: ``unique`` (a selection: its length depends on the data)
- ``vander``: ``vander`` (ones and a running product, as NumPy computes it)
- ``ufuncs``: NumPy's ufuncs and their methods (``reduce``, ``accumulate``, ``outer``)
- ``methods``: the Tracer's ndarray methods and Python operators
"""
from tracejit.frontend.numpy import (  # noqa: F401
                                     accumulate,
                                     advanced,
                                     assembly,
                                     axes,
                                     composites,
                                     convolution,
                                     creation,
                                     einsum_paths,
                                     elementwise,
                                     gradient,
                                     histogram,
                                     indexing,
                                     lapack_funcs,
                                     linalg,
                                     methods,
                                     nanfuncs,
                                     nanmedian,
                                     numerics,
                                     putmask,
                                     quantiles,
                                     reductions,
                                     scans_and_sorts,
                                     scipy_linalg,
                                     search,
                                     selection,
                                     shape,
                                     spacing,
                                     stats,
                                     ufunc_at,
                                     ufuncs,
                                     unique,
                                     vander,
                                     writes,
)
