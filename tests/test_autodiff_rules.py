"""Every op's differentiation rules, straight on the Graph IR: reverse and forward mode agree
with central finite differences of the op's NumPy reference (float64, relative 1e-6) and with
each other, for broadcasting, scalars, zero-size operands and a float32 case."""
from __future__ import annotations

import numpy as np
import pytest

from tracejit.compiler.autodiff import Builder, jvp_graph, vjp_graph
from tracejit.compiler.dtypes import AVal
from tracejit.compiler.graph import Graph
from tracejit.compiler.interpreter import evaluate
from tracejit.compiler.ops import REGISTRY, get_op

RNG = np.random.default_rng(18)

# domain of the operands per op: (low, high), default (-2, 2)
DOMAIN = {"log": (0.2, 3), "log2": (0.2, 3), "log10": (0.2, 3), "log1p": (-0.5, 3), "sqrt": (0.2, 3),
          "arcsin": (-0.9, 0.9), "arccos": (-0.9, 0.9), "arctanh": (-0.9, 0.9), "arccosh": (1.2, 3),
          "reciprocal": (0.5, 2), "divide": (0.5, 2), "power": (0.5, 2), "cbrt": (0.3, 2),
          "remainder": (0.6, 2.9), "fmod": (0.6, 2.9), "tan": (-1.2, 1.2)}
# ops whose derivative is zero almost everywhere (checked only to be zero)
PIECEWISE = {"sign", "floor_divide", "floor", "ceil", "trunc", "rint"}
SHAPES = {1: [((3, 4),), ((),), ((0, 3),)],
          2: [((3, 4), (3, 4)), ((3, 1), (4,)), ((), (2, 3)), ((0, 3), (3,))],
          3: [((3, 4), (3, 4), (3, 4)), ((3, 1), (4,), ())]}


def _elementwise_ops() -> list[str]:
    return [op.name for op in REGISTRY.values() if op.kind == "elementwise" and op.vjp is not None
            and op.name not in ("where", "convert", "copy")]


def _sample(op: str, shape, dtype=np.float64) -> np.ndarray:
    lo, hi = DOMAIN.get(op, (-2, 2))
    return RNG.uniform(lo, hi, shape).astype(dtype)


def check(op: str, operands: list[np.ndarray], attrs: dict | None = None, diff: tuple[int, ...] | None = None,
          rtol: float = 1e-6, eps: float = 1e-6) -> None:
    """Build ``op(operands)``; compare <w, J v> from both modes and from central differences."""
    attrs = attrs or {}
    diff = tuple(i for i, x in enumerate(operands) if x.dtype.kind == "f") if diff is None else diff
    g = Graph("rule")
    ins = [g.add_input(i, f"x{i}", AVal(x.shape, x.dtype)) for i, x in enumerate(operands)]
    out = g.add(op, ins, attrs=attrs)
    shape, dtype = g.aval(out).shape, g.aval(out).dtype
    n = len(operands)
    w = RNG.standard_normal(shape).astype(dtype)
    vs = [RNG.standard_normal(operands[i].shape).astype(operands[i].dtype) for i in diff]
    ct = g.add_input(n, "ct", AVal(shape, dtype))
    tans = [g.add_input(n + 1 + k, f"t{k}", AVal(operands[i].shape, operands[i].dtype)) for k, i in enumerate(diff)]
    b = Builder(g)
    cts = vjp_graph(b, [ins[i] for i in diff], [out], [ct])
    (tout,) = jvp_graph(b, [ins[i] for i in diff], tans, [out])
    results = []
    for node, like in list(zip(cts, [ins[i] for i in diff])) + [(tout, out)]:
        node = b.zeros(g.aval(like).shape, g.aval(like).dtype) if node is None else node
        results.append(node)
    for k, node in enumerate(results):
        g.add_output(k, node)
    g.verify()
    values = evaluate(g, operands + [w] + vs)
    grads, jv = values[:-1], values[-1]
    for gr, i in zip(grads, diff):
        assert gr.shape == operands[i].shape and gr.dtype == operands[i].dtype, (op, gr.shape, gr.dtype)
    assert jv.shape == tuple(shape)
    reverse = sum(float(np.sum(gr.astype(np.float64) * v)) for gr, v in zip(grads, vs))
    forward = float(np.sum(w.astype(np.float64) * jv))
    ref = get_op(op).reference

    def loss(t: float) -> float:
        xs = [x.astype(np.float64) for x in operands]
        for k, i in enumerate(diff):
            xs[i] = xs[i] + t * vs[k]
        with np.errstate(all="ignore"):
            value = np.asarray(ref(*[x.astype(operands[j].dtype) if operands[j].dtype != np.float64 else x
                                     for j, x in enumerate(xs)], **attrs), dtype=np.float64)
        return float(np.sum(w * value))

    numeric = (loss(eps) - loss(-eps)) / (2 * eps)
    scale = max(1.0, abs(numeric))
    assert abs(reverse - forward) <= rtol * scale, (op, reverse, forward)
    assert abs(reverse - numeric) <= rtol * scale, (op, reverse, numeric)


@pytest.mark.parametrize("op", _elementwise_ops())
def test_elementwise(op):
    arity = get_op(op).arity
    for shapes in SHAPES[arity]:
        operands = [_sample(op, s) for s in shapes]
        if op in ("maximum", "minimum", "fmax", "fmin"):
            operands[1] = operands[1] + 0.05 * np.sign(operands[1] - operands[0]) if operands[1].size else operands[1]
        check(op, operands)


def test_piecewise_constant_ops_have_zero_derivative():
    for op in sorted(PIECEWISE):
        assert get_op(op).vjp is not None
        g = Graph("z")
        arity = get_op(op).arity
        ins = [g.add_input(i, f"x{i}", AVal((3,), np.dtype(np.float64))) for i in range(arity)]
        out = g.add(op, ins)
        assert vjp_graph(Builder(g), ins, [out], [out]) == [None] * arity


@pytest.mark.parametrize("op", [op for op in _elementwise_ops() if get_op(op).arity == 2])
def test_mixed_dtype_operands(op):
    """An integer operand (NumPy's loop converts it: ``float_sum / int_count``) is not
    differentiated, and the partials are computed in the loop's float dtype."""
    ints = np.array([1, 2, 3], dtype=np.int64)
    for operands in ([_sample(op, (3,)), ints], [ints, _sample(op, (3,))]):
        try:
            get_op(op).infer(tuple(AVal(x.shape, x.dtype) for x in operands))
        except (TypeError, ValueError):
            continue  # (no such loop)
        check(op, operands)


def test_where_convert_copy():
    c = RNG.standard_normal((3, 4)) > 0
    check("where", [c, _sample("", (3, 4)), _sample("", (4,))], diff=(1, 2))
    check("where", [c[:1], _sample("", ()), _sample("", (3, 1))], diff=(1, 2))
    check("convert", [_sample("", (3, 4))], {"dtype": np.dtype(np.float64)})
    check("convert", [_sample("", (3,), np.float32)], {"dtype": np.dtype(np.float64)}, rtol=1e-3, eps=1e-2)
    check("copy", [_sample("", (2, 3))])


def test_float32_elementwise():
    for op in ("multiply", "exp", "tanh", "divide", "sin"):
        arity = get_op(op).arity
        check(op, [_sample(op, (5,), np.float32) for _ in range(arity)], rtol=1e-3, eps=1e-2)


def _rule_values(op: str, operands: list[np.ndarray], ct: np.ndarray) -> list[np.ndarray]:
    g = Graph("f32")
    ins = [g.add_input(i, f"x{i}", AVal(x.shape, x.dtype)) for i, x in enumerate(operands)]
    out = g.add(op, ins)
    cts = vjp_graph(Builder(g), ins, [out], [g.add_constant(ct.astype(g.aval(out).dtype))])
    for k, node in enumerate(n for n in cts if n is not None):  # (None: no derivative in that operand)
        g.add_output(k, node)
    g.verify()
    return evaluate(g, operands)


@pytest.mark.parametrize("op", [op for op in _elementwise_ops() if op not in PIECEWISE])
def test_float32_rules_agree_with_float64(op):
    """Each rule at float32 keeps float32 and gives the float64 rule's values to float32 accuracy."""
    arity = get_op(op).arity
    x64 = [_sample(op, (7,)) for _ in range(arity)]
    ct = RNG.standard_normal(7)
    g32 = _rule_values(op, [x.astype(np.float32) for x in x64], ct)
    g64 = _rule_values(op, [x.astype(np.float32).astype(np.float64) for x in x64], ct)
    for a, b in zip(g32, g64):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-4 * max(1.0, float(np.max(np.abs(b)))))


def test_max_ties_split_evenly():
    g = Graph("ties")
    x = g.add_input(0, "x", AVal((4,), np.dtype(np.float64)))
    out = g.add("max", [x], attrs={"axes": (0,), "keepdims": False})
    (ct,) = vjp_graph(Builder(g), [x], [out], [g.add_constant(np.float64(1.0))])
    g.add_output(0, ct)
    np.testing.assert_array_equal(evaluate(g, [np.array([1.0, 3.0, 3.0, 2.0])])[0], [0, 0.5, 0.5, 0])


@pytest.mark.parametrize("op", ["sum", "prod", "max", "min", "nanmax", "nanmin"])  # (REDUCTIONS)
@pytest.mark.parametrize("shape,axes,keepdims", [((3, 4), (1,), False), ((3, 4), (0, 1), True),
                                                 ((2, 3, 4), (0, 2), False), ((5,), (0,), False),
                                                 ((0, 3), (1,), False)])
def test_reductions(op, shape, axes, keepdims):
    check(op, [_sample(op, shape)], {"axes": axes, "keepdims": keepdims})


@pytest.mark.parametrize("zeros", [1, 2])
def test_prod_with_zeros(zeros):
    x = _sample("", (2, 5))
    x[0, :zeros] = 0.0
    x[1, 1] = 0.0
    check("prod", [x], {"axes": (1,), "keepdims": False})


@pytest.mark.parametrize("op,shape,attrs", [
    ("reshape", (3, 4), {"shape": (2, 6)}), ("reshape", (), {"shape": (1, 1)}),
    ("transpose", (2, 3, 4), {"perm": (2, 0, 1)}),
    ("broadcast_to", (3, 1), {"shape": (2, 3, 4)}), ("broadcast_to", (), {"shape": (3,)}),
    ("slice", (5, 6), {"starts": (1, 0), "steps": (1, 1), "shape": (3, 6)}),
    ("slice", (5, 6), {"starts": (4, 1), "steps": (-2, 2), "shape": (3, 3)}),
    ("slice", (5, 6), {"starts": (0, 0), "steps": (1, 1), "shape": (0, 6)}),
    ("slice", (7, 6), {"starts": (1, 5), "steps": (3, -1), "shape": (2, 6)}),
    ("slice", (7,), {"starts": (6,), "steps": (-3,), "shape": (3,)}),
    ("slice", (7,), {"starts": (5,), "steps": (-2,), "shape": (1,)}),
    ("diagonal", (4, 4), {"offset": 0, "axis1": 0, "axis2": 1}),
    ("diagonal", (2, 3, 5), {"offset": 1, "axis1": 2, "axis2": 1}),
])
def test_views(op, shape, attrs):
    check(op, [_sample("", shape)], attrs)


@pytest.mark.parametrize("a,b", [((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)),
                                 ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)), ((1, 3, 4), (2, 4, 5)), ((3, 0), (0, 2))])
def test_matmul(a, b):
    check("matmul", [_sample("", a), _sample("", b)])


def test_concatenate():
    check("concatenate", [_sample("", (2, 3)), _sample("", (4, 3)), _sample("", (0, 3))], {"axis": 0})
    check("concatenate", [_sample("", (2, 3)), _sample("", (2, 1))], {"axis": 1})


REDUCTIONS = ["sum", "prod", "max", "min", "nanmax", "nanmin"]
VIEWS = ["reshape", "transpose", "broadcast_to", "slice", "diagonal"]


def test_every_op_with_a_rule_is_swept():
    """A rule added to an op must be added to a sweep here too."""
    swept = set(_elementwise_ops()) | {"where", "convert", "copy", "matmul", "concatenate"} | set(REDUCTIONS) \
        | set(VIEWS) | {"loop_out", "lapack"}  # (test_multi_result_ops; lapack: tests/test_autodiff_linalg.py)
    swept_elsewhere = ("gather", "update", "along_axis")  # (tests/test_autodiff_indexing.py: INDEXING_OPS)
    assert sorted(op.name for op in REGISTRY.values() if op.vjp is not None and op.name not in swept
                  and op.kind not in swept_elsewhere) == []


def test_rules_come_in_pairs():
    for op in REGISTRY.values():
        assert (op.jvp is None) == (op.vjp is None), op.name


def test_float_elementwise_ops_all_have_rules():
    missing = [op.name for op in REGISTRY.values() if op.kind == "elementwise" and op.vjp is None
               and op.name not in ("size",) and _float_result(op.name)]
    assert missing == []


def _float_result(name: str) -> bool:
    op = get_op(name)
    try:
        aval = op.infer(tuple(AVal((), np.dtype(np.float64)) for _ in range(op.arity)))
    except (TypeError, ValueError):
        return False
    return aval.dtype.kind == "f"


def test_multi_result_ops():
    """A control node's (co)tangents are dicts by result index: loop_out picks and builds them.
    Checked with a stand-in control op ``pair(x, y) = (x * y, x + y)``, registered for the test."""
    from tracejit.compiler.ops.control import TOKEN
    from tracejit.compiler.ops.registry import OpDef, register

    def jvp(b, tangents, operands, out):
        (x, y), (tx, ty) = operands, tangents
        return {0: b.add(b.mul(tx, y), b.mul(ty, x)), 1: b.add(tx, ty)}

    def vjp(b, ct, operands, out):
        x, y = operands
        c0, c1 = ct.get(0), ct.get(1)
        return b.add(b.mul(c0, y), c1), b.add(b.mul(c0, x), c1)

    register(OpDef(name="test_pair", kind="control", arity=2, infer=lambda avals: TOKEN,
                   reference=lambda x, y, evaluate: (x * y, x + y), jvp=jvp, vjp=vjp))
    try:
        f64 = np.dtype(np.float64)
        g = Graph("pair")
        x, y = (g.add_input(i, n, AVal((3,), f64)) for i, n in enumerate("xy"))
        p = g.add("test_pair", [x, y])
        a = g.add("loop_out", [p], attrs={"index": 0, "shape": (3,), "dtype": f64})
        c = g.add("loop_out", [p], attrs={"index": 1, "shape": (3,), "dtype": f64})
        out = g.add("multiply", [a, c])  # x y (x + y): d/dx = 2xy + y^2, d/dy = x^2 + 2xy
        b = Builder(g)
        ones = g.add_constant(np.ones(3))
        gx, gy = vjp_graph(b, [x, y], [out], [ones])
        (tx,) = jvp_graph(b, [x], [ones], [out])
        for k, node in enumerate((gx, gy, tx)):
            g.add_output(k, node)
        g.verify()
        xv, yv = np.array([1.0, 2.0, -1.0]), np.array([0.5, -3.0, 2.0])
        rx, ry, fx = evaluate(g, [xv, yv])
        np.testing.assert_allclose(rx, 2 * xv * yv + yv ** 2)
        np.testing.assert_allclose(ry, xv ** 2 + 2 * xv * yv)
        np.testing.assert_allclose(fx, rx)
    finally:
        del REGISTRY["test_pair"]
