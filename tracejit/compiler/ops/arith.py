"""Arithmetic, comparison, logical and bitwise ops: NumPy's ufuncs, with its integer
semantics (integer division by zero gives 0, ``MIN // -1`` wraps, shifts by the bit
width or more give 0 or -1). Lowered in ``codegen/lowerings/arith.py``.

Differentiation (``ops/diffrules.py``): each float op's partial derivatives below.
Comparisons, logical and bitwise ops give bools or integers, which are never
differentiated; ``sign``, ``floor_divide`` are piecewise constant (zero derivative).
``maximum``/``minimum`` (and ``fmax``/``fmin``) pass the derivative to the operand that wins
and split it evenly at ties (0.5 each), as JAX does; ``absolute`` has derivative 1 at 0, as
in JAX.
"""
from __future__ import annotations

import numpy as np

from tracejit.compiler.ops.diffrules import ZERO_RULES, from_partials
from tracejit.compiler.ops.elementwise import ufunc_op


def _pick(b, wins, ties, out):
    """1 where ``wins``, 0.5 where ``ties`` (a tie), else 0."""
    one, half, zero = b.const(1.0, out), b.const(0.5, out), b.const(0.0, out)
    return b.op("where", wins, one, b.op("where", ties, half, zero))


def _extremum(compare: str, skip_nan: bool):
    def partials(b, ops, out):
        x, y = ops
        eq = b.op("equal", x, y)
        x_wins, y_wins = b.op(compare, x, y), b.op(compare, y, x)
        if skip_nan:  # fmax/fmin: a NaN operand loses
            x_wins = b.op("logical_or", x_wins, b.op("isnan", y))
            y_wins = b.op("logical_or", y_wins, b.op("isnan", x))
        return _pick(b, x_wins, eq, out), _pick(b, y_wins, eq, out)
    return partials


def _power(b, ops, out):
    """d x**y: y * x**(y-1) (x**0 has derivative 0 even at x = 0) and x**y * log(x)
    (0 where x = 0, as JAX)."""
    x, y = ops
    one, zero = b.const(1.0, out), b.const(0.0, out)
    y_is_zero = b.op("equal", y, zero)
    exponent = b.op("where", y_is_zero, one, b.op("subtract", y, one))
    dx = b.op("multiply", y, b.op("power", x, exponent))
    x_is_zero = b.op("equal", x, zero)
    safe_x = b.op("where", x_is_zero, one, x)
    dy = b.op("multiply", out, b.op("log", safe_x))
    return dx, dy


def _sign(b, x, out):
    """d|x|: 1 where x >= 0 (at 0 too, as JAX), -1 below."""
    return b.op("where", b.op("greater_equal", x, b.const(0.0, out)), b.const(1.0, out), b.const(-1.0, out))


PARTIALS = {
    "add": lambda b, ops, out: (1.0, 1.0),
    "subtract": lambda b, ops, out: (1.0, -1.0),
    "multiply": lambda b, ops, out: (ops[1], ops[0]),
    "divide": lambda b, ops, out: (b.op("reciprocal", ops[1]), b.op("negative", b.op("divide", out, ops[1]))),
    "positive": lambda b, ops, out: (1.0,),
    "conjugate": lambda b, ops, out: (1.0,),
    "negative": lambda b, ops, out: (-1.0,),
    "absolute": lambda b, ops, out: (_sign(b, ops[0], out),),
    "fabs": lambda b, ops, out: (_sign(b, ops[0], out),),
    "square": lambda b, ops, out: (b.op("multiply", ops[0], b.const(2.0, out)),),
    "reciprocal": lambda b, ops, out: (b.op("negative", b.op("square", out)),),
    # x - floor(x / y) * y and x - trunc(x / y) * y: the quotient is piecewise constant
    "remainder": lambda b, ops, out: (1.0, b.op("negative", b.op("floor_divide", ops[0], ops[1]))),
    "fmod": lambda b, ops, out: (1.0, b.op("negative", b.op("trunc", b.op("divide", ops[0], ops[1])))),
    "power": _power,
    "maximum": _extremum("greater", False), "minimum": _extremum("less", False),
    "fmax": _extremum("greater", True), "fmin": _extremum("less", True),
}
ZERO = {"sign", "floor_divide"}

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
    _rules = from_partials(PARTIALS[_name]) if _name in PARTIALS else ZERO_RULES if _name in ZERO else {}
    ufunc_op(_name, _uf, cost=_cost, **_rules)
