"""Declaring elementwise ops, plus the non-ufunc ones: ``where``, ``convert``, ``copy``.

An elementwise op's shape rule is NumPy broadcasting; its dtype rule is NumPy's own
ufunc type resolution (``ufunc.resolve_dtypes``), so promotion matches NumPy 2 exactly.
Kernels convert each operand to the op's *loop dtype* before calling its lowering
(``codegen/lowerings/``), so a lowering only ever sees operands of one dtype.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Iterable

import numpy as np

from tracejit.compiler.dtypes import AVal, check_supported
from tracejit.compiler.ops.diffrules import (
    convert_jvp,
    convert_vjp,
    identity_jvp,
    identity_vjp,
    where_jvp,
    where_vjp,
)
from tracejit.compiler.ops.registry import OpDef, register

Signature = tuple[tuple[np.dtype, ...], np.dtype]  # (loop dtypes of the inputs, output dtype)


@functools.lru_cache(maxsize=4096)
def _resolve(ufunc: np.ufunc, in_dtypes: tuple[np.dtype, ...]) -> Signature:
    resolved = ufunc.resolve_dtypes(in_dtypes + (None,) * ufunc.nout)
    loop_in, out = tuple(resolved[:ufunc.nin]), resolved[-1]
    for dt in loop_in + (out,):
        check_supported(dt, f"{ufunc.__name__} on {', '.join(map(str, in_dtypes))}")
    if len(set(loop_in)) > 1:
        raise TypeError(f"{ufunc.__name__}: mixed-dtype loop {loop_in} is not supported")
    return loop_in, out


def signature(op: OpDef, in_dtypes: Iterable[np.dtype | type], **attrs: Any) -> Signature:
    """Loop dtypes of the operands and the output dtype of elementwise ``op``."""
    in_dtypes = tuple(np.dtype(d) for d in in_dtypes)
    if op.ufunc is not None:
        return _resolve(op.ufunc, in_dtypes)
    return op.extra["signature"](in_dtypes, **attrs)


def infer_for(sig: Callable) -> Callable[..., AVal]:
    """The shape/dtype rule of an elementwise op whose loop dtypes ``sig`` gives: broadcasting."""
    def infer(avals, **attrs) -> AVal:
        shape = np.broadcast_shapes(*(a.shape for a in avals))
        _, out = sig(tuple(a.dtype for a in avals), **attrs)
        return AVal(tuple(shape), out)
    return infer


def ufunc_op(name: str, ufunc: np.ufunc, cost: int = 1, doc: str = "", **rules: Callable) -> OpDef:
    """Register the elementwise op ``name`` implementing NumPy's ``ufunc``; ``rules``: its
    ``jvp``/``vjp`` (``ops/diffrules.py``)."""
    sig = functools.partial(_resolve, ufunc)
    return register(OpDef(
        name=name, kind="elementwise", arity=ufunc.nin,
        infer=infer_for(lambda dts, **_: sig(dts)),
        reference=ufunc, cost=cost, ufunc=ufunc,
        doc=doc or f"numpy.{ufunc.__name__}", **rules))


# -- where(cond, x, y) ----------------------------------------------------------------

def _where_sig(in_dtypes, **_):
    c, x, y = in_dtypes
    out = np.result_type(x, y)
    check_supported(out, "where")
    return (np.dtype(bool), out, out), out


register(OpDef(
    name="where", kind="elementwise", arity=3, infer=infer_for(_where_sig),
    reference=np.where, jvp=where_jvp, vjp=where_vjp,
    extra={"signature": _where_sig}, doc="numpy.where(cond, x, y)"))


# -- convert (astype) and copy --------------------------------------------------------

def _convert_sig(in_dtypes, dtype):
    return (in_dtypes[0],), check_supported(dtype, "astype")


register(OpDef(
    name="convert", kind="elementwise", arity=1, infer=infer_for(_convert_sig),
    reference=lambda x, dtype: np.asarray(x).astype(dtype), jvp=convert_jvp, vjp=convert_vjp,
    extra={"signature": _convert_sig}, doc="ndarray.astype(dtype) with unsafe casting"))


def _copy_sig(in_dtypes, **_):
    return (in_dtypes[0],), in_dtypes[0]


register(OpDef(
    name="copy", kind="elementwise", arity=1, infer=infer_for(_copy_sig),
    reference=lambda x: np.array(x, copy=True), jvp=identity_jvp, vjp=identity_vjp,
    extra={"signature": _copy_sig}, doc="a fresh copy (outputs that would alias an input)"))
