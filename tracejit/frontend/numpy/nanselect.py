"""The selection behind ``np.nanquantile``/``np.nanpercentile``/``np.nanmedian`` of floats:
a ``partition`` whose ranks are read from the data (``attrs['nanq']``).

NumPy's linear method reads, for each quantile ``q``, ranks ``floor((m - 1) * q)`` and the
next among a line's ``m`` numbers (NaNs dropped). ``m`` is known only at run time, so the
ranks are not the static ``kth`` of a partition: the kernel (``codegen/select.py``) counts
the numbers while it copies the line in (NaNs to the back, as NumPy orders them), computes
those ranks in float64 as NumPy does, and selects them by the same introselect as
``np.quantile``'s static ranks: one pass per rank rather than a sort of the whole line.
The callers gather the ranks they read from each line (``frontend/numpy/quantiles.py``,
``frontend/numpy/nanmedian.py``).
"""
from __future__ import annotations

import numpy as np

from tracejit.frontend.numpy.scans_and_sorts import CONTIGUOUS_LINES
from tracejit.frontend.operands import Operand


def nan_partition(line: Operand, ax: int, qs: np.ndarray) -> Operand:
    """``line`` (floats) partitioned along ``ax``: NaNs last, and every rank NumPy's linear
    nanquantile of each of ``qs`` reads among each line's numbers in place."""
    nanq = tuple(sorted({float(q) for q in np.asarray(qs, dtype=np.float64).ravel()}))
    lines = np.moveaxis(line, ax, -1)
    n = lines.shape[-1]
    if ax != line.ndim - 1 and n >= CONTIGUOUS_LINES and line.size > n:
        lines = lines.copy()  # (the kernel reads each line contiguously: see scans_and_sorts.partitioning)
    out = lines._trace.apply("partition", [lines], {"axis": lines.ndim - 1, "kth": (), "nanq": nanq})
    return np.moveaxis(out, -1, ax)
