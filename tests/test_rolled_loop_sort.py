"""``np.sort(i, axis=None)`` of a loop variable, in and after a rolled loop (fuzz seed
1703000334: a TracerConversionError in the campaign; the seed's program passes since)."""
from __future__ import annotations

import numpy as np

from tests.differential import check


def sorted_loop_variables(a):
    for i in range(6):  # rolled: more than UNROLL_MAX steps
        a = a + np.arctan(np.sort(i, axis=None))
    for j in range(2):  # rolled: a sort in the body
        a = np.sort(a) + j
    j = j & j
    return np.sort(i, axis=None), np.sort(j * 1.5, axis=None), a


def test_sort_of_rolled_loop_variables():
    check(sorted_loop_variables, np.arange(7.0)[::-1], ulps=2)
