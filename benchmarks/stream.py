"""The machine's memory bandwidth, measured with a STREAM triad ``a = b + s*c``.

Two implementations run in interleaved blocks: tracejit itself (all its threads) and the best
NumPy can do, a blocked loop of ``np.multiply(c, s, out=tmp); np.add(b, tmp, out=a)``
with a cache-sized ``tmp``, so that only the three big arrays touch memory. As in
STREAM, a triad counts 3 arrays of traffic (read b and c, write a). The triad runs at
the start and at the end of a run (the machine drifts, and other processes may compete
for it); the reference bandwidth is the highest median of any implementation in either
phase, i.e. what the machine was seen to deliver.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

import tracejit as tj
from benchmarks.timing import check, interleaved, median_ms

SCALAR = 3.0
BLOCK = 1 << 15  # elements of tmp: 256 KiB of float64, fits in L2


def triad(b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``b + s*c``, compiled by tracejit."""
    return b + SCALAR * c


def numpy_triad(a: np.ndarray, b: np.ndarray, c: np.ndarray, tmp: np.ndarray) -> np.ndarray:
    """``a[:] = b + s*c`` in cache-sized blocks, with no temporary array in memory."""
    for i in range(0, a.size, BLOCK):
        j = min(i + BLOCK, a.size)
        t = tmp[: j - i]
        np.multiply(c[i:j], SCALAR, out=t)
        np.add(b[i:j], t, out=a[i:j])
    return a


def _count(n: int) -> str:
    """``20000000`` as ``2e7``."""
    mantissa, exp = f"{n:.0e}".split("e")
    return f"{mantissa}e{int(exp)}" if float(f"{n:.0e}") == n else str(n)


@dataclass
class Triad:
    """Triad samples (seconds) per phase (``start``, ``end``) and implementation."""

    n: int
    dtype: str
    phases: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def bytes_per_triad(self) -> int:
        return 3 * self.n * np.dtype(self.dtype).itemsize

    def gbps(self, phase: str, system: str) -> float | None:
        """Median bandwidth of ``system`` in ``phase``, in GB/s (1e9 bytes per second)."""
        s = self.phases.get(phase, {}).get(system)
        return self.bytes_per_triad / (median_ms(s) * 1e-3) / 1e9 if s else None

    @property
    def reference(self) -> float | None:
        """The machine's triad bandwidth: the best median of any implementation and phase."""
        rates = [self.gbps(p, s) for p, systems in self.phases.items() for s in systems]
        return max(rates) if rates else None

    def describe_phase(self, phase: str) -> str:
        """``tracejit 16.9, numpy (blocked, out=) 11.2 GB/s``."""
        parts = [f"{s} {self.gbps(phase, s):.1f}" for s in self.phases.get(phase, {})]
        return ", ".join(parts) + " GB/s"

    def describe(self) -> str:
        """Two header lines: what was measured and the reference, then the medians."""
        ref = self.reference
        text = (f"STREAM triad a = b + {SCALAR:g}*c, 3 arrays of {_count(self.n)} {self.dtype} "
                f"({self.bytes_per_triad / 1e6:.0f} MB/triad): reference "
                + (f"{ref:.1f} GB/s (best median)" if ref else "none"))
        text += "".join(f" [{p}]" for p in self.problems)
        return text + "\n  triad medians: " + "; ".join(
            f"{p}: {self.describe_phase(p)}" for p in self.phases)


def measure(phase: str, quick: bool, reps: int, rng: np.random.Generator,
            result: Triad | None = None) -> Triad:
    """Time both triads ``reps`` times, in interleaved blocks, as ``phase`` of ``result``
    (a new Triad when None)."""
    n = 2 * 10**6 if quick else 2 * 10**7
    result = result or Triad(n, "float64")
    b, c = rng.standard_normal(n), rng.standard_normal(n)
    a, tmp = np.empty(n), np.empty(BLOCK)
    expected = b + SCALAR * c
    thunks = {}
    jitted = tj.jit(triad)
    try:
        problem = check(expected, jitted(b, c))
    except Exception as exc:  # noqa: BLE001 - reported in the header
        problem = f"raised {type(exc).__name__}: {exc}"
    if problem:
        result.problems.append(f"tracejit triad ({phase}): {problem}")
    else:
        thunks["tracejit"] = lambda: jitted(b, c)
    thunks["numpy (blocked, out=)"] = lambda: numpy_triad(a, b, c, tmp)
    numpy_triad(a, b, c, tmp)  # warm-up: fault in a's pages
    result.phases[phase] = interleaved(thunks, reps, passes=2, settle=0.02 if quick else 0.25)
    return result
