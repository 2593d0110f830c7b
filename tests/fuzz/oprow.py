"""One row of the fuzzer's op table (``tests/fuzz/ops.py``, ``tests/fuzz/libops.py``)."""
from __future__ import annotations

from dataclasses import dataclass

NUM = "biuf"      # real numbers
ALL = "biufc"


@dataclass(frozen=True)
class Op:
    """One operation the generator can emit."""
    name: str
    tmpl: str
    arity: int = 1
    kinds: str = NUM
    rule: str = "perturb"    # perturb | move | linear | reduce:<kind> | product | astype | discrete
    fn: str = ""             # perturb: a NumPy callable (source, may use params); default np.<name>
    ulps: float = 0.0
    group: str = "unary"
    pair: str = "bcast"      # bcast | same | mask | matmul | concat | where | none
    min_ndim: int = 0
    weight: float = 1.0
    factor: float = 1.0      # linear: the error multiplier
