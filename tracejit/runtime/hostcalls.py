"""The run-time side of host calls (``frontend/hostcall.py``): native callbacks into Python.

Compiled code calls a host call's callback ``int32 cb(void **pointers)`` with the
addresses of its operands' buffers, then its results' (``codegen/host.py``). The
callback is a ``ctypes.CFUNCTYPE`` object (ctypes takes the GIL around it, so a call
made with the GIL released works too); it wraps the operand buffers as read-only NumPy
arrays of the traced shapes (a complex one over its buffer of (real, imaginary) pairs:
the same memory), runs the Python function and copies its results into the result
buffers, never past their ends, or lets the function write its one result there
(``out=``, for ``np.fft``: no copy). The arrays made over a buffer are kept and reused
while its address stays the same (most calls), so a call's fixed cost is mostly the
Python function's own. An exception is not raised through native code:
it is stored for this thread's current call (:func:`run_checked`), later host calls of
the same call are skipped (their results NaN or zero-filled), and the call raises it when the
native code returns. Host calls run on the calling thread only (a control kernel is
never a parallel task), so the thread pool never waits on the GIL.
"""
from __future__ import annotations

import ctypes
import math
import threading
from typing import Any, Callable

import numpy as np

CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p)

_state = threading.local()


class _Interface:
    """An object NumPy turns into an array over given memory (``__array_interface__``: no copy,
    much cheaper than a ctypes buffer)."""

    __slots__ = ("__array_interface__",)

    def __init__(self, interface: dict):
        self.__array_interface__ = interface


class _View:
    """Wraps a buffer of one shape and dtype as an array; the last one made is kept and
    handed out again for the same address (a program's buffers are mostly the same from
    call to call: making an array over memory costs microseconds)."""

    def __init__(self, shape: tuple, dtype: np.dtype, writeable: bool):
        self.shape, self.dtype = tuple(shape), np.dtype(dtype)
        self.empty = math.prod(self.shape) == 0
        self.readonly = not writeable
        self.base = {"shape": self.shape, "typestr": self.dtype.str, "version": 3}
        if self.dtype.fields is not None or self.dtype.subdtype is not None:
            self.base["descr"] = self.dtype.descr
        self.last = (None, None)  # (address, array): one tuple, replaced whole (threads)

    def __call__(self, address: int | None) -> np.ndarray:
        """The buffer at ``address`` as an array (a fresh zeroed one when it holds no element)."""
        last = self.last
        if last[0] == address and address:
            return last[1]
        if self.empty or not address:
            return np.zeros(self.shape, self.dtype)
        interface = dict(self.base)
        interface["data"] = (address, self.readonly)
        array = np.asarray(_Interface(interface))
        self.last = (address, array)
        return array


# 0-d results written through a ctypes scalar over the buffer (~0.3 us) instead of an array made
# over it (~2.5 us): a program's outputs are new memory at each call. (float32 is left out: its
# value would pass through a double, which may change a NaN's payload.)
_SCALARS = {np.dtype(t): c for t, c in [
    (np.float64, ctypes.c_double), (np.int64, ctypes.c_int64), (np.int32, ctypes.c_int32),
    (np.int16, ctypes.c_int16), (np.int8, ctypes.c_int8), (np.uint64, ctypes.c_uint64),
    (np.uint32, ctypes.c_uint32), (np.uint16, ctypes.c_uint16), (np.uint8, ctypes.c_uint8),
    (np.bool_, ctypes.c_bool)]}


class _Scalar:
    """Makes the ctypes scalar over a 0-d result buffer (written with ``.value = ...``)."""

    def __init__(self, kind: type):
        self.kind = kind

    def __call__(self, address: int | None) -> Any:
        return self.kind.from_address(address) if address else self.kind()


def _result_maker(shape: tuple, dtype: np.dtype) -> Any:
    kind = _SCALARS.get(np.dtype(dtype)) if tuple(shape) == () and np.dtype(dtype).isnative else None
    return _View(shape, dtype, True) if kind is None else _Scalar(kind)


def _fill_failed(outs: list) -> None:
    """Results of a failed or skipped host call: NaN (floats: a loop testing ``err > tol`` on
    them ends), else zeros; the call raises the stored error when the native code returns."""
    for out in outs:
        if isinstance(out, np.ndarray):
            out[...] = np.nan if out.dtype.kind in "fc" else 0
        else:  # (a ctypes scalar)
            out.value = math.nan if isinstance(out, ctypes.c_double) else 0


def make_callback(run: Callable[..., list], operands: list[tuple], results: list[tuple], into: bool = False) -> Any:
    """A native callback calling ``run(operand arrays) -> result values`` (each already of
    the shape and dtype of ``results``, a list of (shape, dtype)); ``operands`` likewise.
    The last result is the call's ordering token (one byte): zeroed by the generated code,
    never viewed here. With ``into``, ``run(operands, results' arrays)`` may return those
    arrays themselves, written in place (then nothing is copied).

    The callback reads the whole table of buffer addresses at once and, when it holds the
    addresses of the previous call (most calls: the same arguments, arena blocks reused),
    hands ``run`` the arrays it made then, with no per-buffer work. 0-d results are written
    through ctypes scalars (``_SCALARS``)."""
    n_in = len(operands)
    makers = [_View(s, d, False) for s, d in operands] + [_result_maker(s, d) for s, d in results[:-1]]
    scalar = [type(m) is _Scalar for m in makers[n_in:]]
    into = into and not scalar[0]
    n = len(makers)
    table_type = ctypes.c_void_p * max(n, 1)
    state = _state
    last: list = [(None, [], [])]  # [(addresses, operand arrays, result arrays)]: replaced whole (threads)

    def callback(pointers: int) -> int:
        addresses = table_type.from_address(pointers)[:n]
        known = last[0]
        if known[0] == addresses:
            ins, outs = known[1], known[2]
        else:
            made = [make(address) for make, address in zip(makers, addresses)]
            ins, outs = made[:n_in], made[n_in:]
            last[0] = (addresses, ins, outs)
        if getattr(state, "error", None) is not None:  # an earlier host call of this call failed
            _fill_failed(outs)
            return 1
        try:
            values = run(ins, outs) if into else run(ins)
            for out, value, is_scalar in zip(outs, values, scalar):
                if is_scalar:
                    out.value = value
                elif value is not out:
                    out[...] = value
            return 0
        except BaseException as error:  # noqa: BLE001 - handed to the caller, raised after the native call
            state.error = error
            _fill_failed(outs)
            return 1

    return CALLBACK(callback)


def callback_address(callback: Any) -> int:
    """The native address of a callback made by :func:`make_callback`."""
    return ctypes.cast(callback, ctypes.c_void_p).value or 0


def run_checked(run: Callable[[list], Any], arrays: list) -> Any:
    """``run(arrays)`` (a compiled program with host calls), then the exception the first
    failing host call stored, raised as it is (each call has its own, per thread)."""
    previous = getattr(_state, "error", None)
    _state.error = None
    try:
        outs = run(arrays)
        error = _state.error
    finally:
        _state.error = previous
    if error is not None:
        raise error
    return outs


def checked(call: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``call`` (a direct call of a program with host calls: arguments -> results or MISS) raising
    the exception its first failing host call stored, as :func:`run_checked` does."""
    state = _state

    def direct(args: Any) -> Any:
        previous = getattr(state, "error", None)
        state.error = None
        try:
            outs = call(args)
            error = state.error
        finally:
            state.error = previous
        if error is not None:
            raise error
        return outs
    return direct


def has_host_calls(program: Any) -> bool:
    """Whether ``program`` (a kernel program) makes host calls, in its loops and branches too."""
    for kernel in program.kernels:
        control = kernel.control
        if control is None:
            continue
        if control.kind == "host":
            return True
        if any(has_host_calls(sub.concrete if sub.concrete is not None else sub.program) for sub in control.subs):
            return True
    return False
