"""Arithmetic, comparison, logical and bitwise ops: NumPy's ufuncs, with its integer
semantics (integer division by zero gives 0, ``MIN // -1`` wraps, shifts by the bit
width or more give 0 or -1). Lowered in ``codegen/lowerings/arith.py``."""
from __future__ import annotations

import numpy as np

from tracejit.compiler.ops.elementwise import ufunc_op

for _name, _uf, _cost in [
    ("add", np.add, 1), ("subtract", np.subtract, 1), ("multiply", np.multiply, 1),
    ("divide", np.true_divide, 4), ("positive", np.positive, 1), ("conjugate", np.conjugate, 1),
    ("negative", np.negative, 1), ("absolute", np.absolute, 1), ("fabs", np.fabs, 1), ("sign", np.sign, 1),
    ("square", np.square, 1), ("reciprocal", np.reciprocal, 4),
    ("floor_divide", np.floor_divide, 6), ("remainder", np.remainder, 6), ("fmod", np.fmod, 6),
    ("power", np.power, 10),
    ("maximum", np.maximum, 1), ("minimum", np.minimum, 1), ("fmax", np.fmax, 1), ("fmin", np.fmin, 1),
    ("equal", np.equal, 1), ("not_equal", np.not_equal, 1), ("less", np.less, 1),
    ("less_equal", np.less_equal, 1), ("greater", np.greater, 1), ("greater_equal", np.greater_equal, 1),
    ("logical_and", np.logical_and, 1), ("logical_or", np.logical_or, 1), ("logical_xor", np.logical_xor, 1),
    ("logical_not", np.logical_not, 1), ("bitwise_and", np.bitwise_and, 1), ("bitwise_or", np.bitwise_or, 1),
    ("bitwise_xor", np.bitwise_xor, 1), ("invert", np.invert, 1),
    ("left_shift", np.left_shift, 1), ("right_shift", np.right_shift, 1),
]:
    ufunc_op(_name, _uf, cost=_cost)
