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

_NAME = re.compile(r"tj_(unique|runs)_([fiu])([1248])_([ed])([012])$")


def routine_name(kind: str, itemsize: int, equal_nan: bool, flag: int, runs: bool = False) -> str:
    """The name of the variant for NumPy dtype kind ``kind`` and ``itemsize`` bytes (``flag``: the
    hash routine's inverse wanted; the run-length routine's 0 alone, 1 with a permutation, 2 and the inverse)."""
    letter = "f" if kind == "f" else ("i" if kind == "i" else "u")
    return f"tj_{'runs' if runs else 'unique'}_{letter}{itemsize}_{'e' if equal_nan else 'd'}{int(flag)}"


def is_routine(name: str) -> bool:
    """Whether ``name`` names one of these routines."""
    return _NAME.match(name) is not None


def variant(name: str) -> tuple[bool, str, int, bool, int]:
    """Routine ``name``'s form (run-length or not), key kind (``f``, ``i``, ``u``), bytes, NaNs
    equal, and flag."""
    form, kind, width, nan, flag = _NAME.match(name).groups()
    return form == "runs", kind, int(width), nan == "e", int(flag)


@functools.cache
def address(name: str) -> int:
    """The address of routine ``name`` in this process (compiled on first use, or loaded from
    the disk cache; llvmlite is imported only now: ``import tracejit`` loads none)."""
    from tracejit.runtime import diskcache, engine, hashunique_ir
    key = diskcache.cache_key(f"hashunique {name}")
    compiled, _ = engine.load_cached(key, [name], lambda: hashunique_ir.module_text(name, *variant(name)))
    return compiled.addresses[name]
