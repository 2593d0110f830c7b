"""Writing a call's argument versions back into the caller's arrays (``frontend/api.py``),
after the call or, when a run-time check fails, its snapshot (``frontend/checks.py``)."""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from tracejit.frontend.complex.boundary import pair_view


def write_back(targets: dict, pairs: Iterable[tuple[int, int]], outs: Sequence) -> None:
    """Copy output ``out`` into the caller's array ``targets[arg]``, for each ``(arg, out)``."""
    for arg, out in pairs:
        target = targets[arg]
        if outs[out] is not target:  # (else updated in its own memory: frontend/donation.py)
            np.copyto(pair_view(target) if target.dtype.kind == "c" else target, outs[out], casting="unsafe")
