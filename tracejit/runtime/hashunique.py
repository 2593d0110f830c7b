"""A native hash-based ``np.unique`` routine, called like a LAPACK routine (``runtime/lapack.py``
resolves names starting with ``tj_unique_`` here; ``frontend/numpy/unique.py`` records the call).

``tj_unique_<kind><bytes>_<nan><inv>`` (kind ``f`` float, ``i`` signed, ``u`` unsigned or bool;
``nan`` ``e`` where NaNs are equal, else ``d``; ``inv`` ``1`` to write the inverse) takes, every
argument by pointer: the contiguous data, ``n`` (int64), then the results: the count ``k`` of
distinct values (int64), the values, the counts, the first indices, the inverse (int64, ``n`` each;
only the first ``k`` of the first three are written) and an int64 scratch of ``8 n`` elements.

Each element's *key* is its bits made a monotone unsigned integer (as ``codegen/radix.py``:
``-0.0`` gets ``+0.0``'s key, every NaN the all-ones key). One pass inserts the keys in an
open-addressing table of entry ids (linear probing, multiplicative hash, doubled when half full),
each entry holding its key, first index and count; the inverse first holds entry ids. NaNs that
are not equal each get an entry of their own, outside the table. Then the ``k`` entries are sorted
by key (an LSD radix sort, stable, skipping bytes that no key changes), and each sorted entry
gives its value (the first occurrence's bits: NumPy's stable order), count and first index; the
inverse is the entries' ranks. The routine is generated once per variant per process.
"""
from __future__ import annotations

import functools
import re

_NAME = re.compile(r"tj_unique_([fiu])([1248])_([ed])([01])$")


def routine_name(kind: str, itemsize: int, equal_nan: bool, inverse: bool) -> str:
    """The name of the variant for NumPy dtype kind ``kind`` and ``itemsize`` bytes."""
    letter = "f" if kind == "f" else ("i" if kind == "i" else "u")
    return f"tj_unique_{letter}{itemsize}_{'e' if equal_nan else 'd'}{int(inverse)}"


def is_routine(name: str) -> bool:
    """Whether ``name`` names one of these routines."""
    return _NAME.match(name) is not None


def variant(name: str) -> tuple[str, int, bool, bool]:
    """Routine ``name``'s key kind (``f``, ``i``, ``u``), bytes, NaNs equal, inverse written."""
    kind, width, nan, inv = _NAME.match(name).groups()
    return kind, int(width), nan == "e", inv == "1"


@functools.cache
def address(name: str) -> int:
    """The address of routine ``name`` in this process (compiled on first use, or loaded from
    the disk cache; llvmlite is imported only now: ``import tracejit`` loads none)."""
    from tracejit.runtime import diskcache, engine, hashunique_ir
    key = diskcache.cache_key(f"hashunique {name}")
    compiled, _ = engine.load_cached(key, [name], lambda: hashunique_ir.module_text(name, *variant(name)))
    return compiled.addresses[name]
