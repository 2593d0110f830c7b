"""Native ``np.unique`` routines, called like LAPACK routines (``runtime/lapack.py`` resolves the
names matching ``_NAME`` here; ``frontend/numpy/unique.py`` records the calls). Every argument is
passed by pointer; results hold ``k`` (the number of distinct values, int64) and, in their first
``k`` places, the sorted distinct values (the first occurrence's bits), first indices and counts
(int64), and the inverse (int64, every element's rank).

Keys are the values' bits made monotone unsigned integers (as ``codegen/radix.py``: ``-0.0``
gets ``+0.0``'s key, every NaN the all-ones key; NaNs that are not equal never merge).

- ``tj_unique_<kind><bytes>_<nan><inv>`` (kind ``f`` float, ``i`` signed, ``u`` unsigned or
  bool; ``nan`` ``e`` where NaNs are equal, else ``d``; ``inv`` 1 to write the inverse) takes the
  contiguous data and ``n``, then k, values, counts, first indices, inverse and an int64 scratch
  of ``8 n + 8``. One pass inserts the keys in an open-addressing table of entry ids (linear
  probing, multiplicative hash of the key folded, doubled when half full); each entry holds its
  key, first index and count (a repeat of the previous key only grows a pending run: no chain of
  increments through memory). Past ``max(4096, n / 8)`` entries it stops and makes every element
  an entry. The entries are sorted by key (LSD radix, stable, skipping bytes no key changes),
  equal neighbours merged, and the inverse mapped from entries to ranks.
- ``tj_runs_<kind><bytes>_<nan><flag>`` takes sorted data, the permutation that sorted it (read
  for ``flag % 3`` 1: first indices, 2: and the inverse; counts written for ``flag >= 3``) and ``n``,
  then k, values, counts, first indices, inverse: one pass, a run at each key change.

Each routine is generated on first use in a process (its IR: ``compiler/codegen/hashunique.py``)
or loaded from the disk cache.
"""
from __future__ import annotations

import functools
import re

_NAME = re.compile(r"tj_(unique|runs)_([fiu])([1248])_([ed])([0-5])$")


def routine_name(kind: str, itemsize: int, equal_nan: bool, flag: int, runs: bool = False) -> str:
    """The name of the variant for NumPy dtype kind ``kind`` and ``itemsize`` bytes (``flag``: the
    hash routine's inverse wanted; the run-length routine's 0 alone, 1 with a permutation, 2 and the inverse,
    plus 3 to write the counts)."""
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
    from tracejit.compiler.codegen.hashunique import module_text  # (the IR: codegen, llvmlite's; no pass)
    from tracejit.runtime import diskcache, engine
    key = diskcache.cache_key(f"hashunique {name}")
    compiled, _ = engine.load_cached(key, [name], lambda: module_text(name, *variant(name)))
    return compiled.addresses[name]
