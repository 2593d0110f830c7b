"""Parallel loops after a call that parks the thread pool stay serial unless they are large.

A LAPACK or host call parks the pool before it runs (``codegen/host.park_workers``): the
idle workers stop spinning and sleep, and the cores go to OpenBLAS or NumPy. The first
parallel loop after such a call must wake a worker by a futex, and the worker's core has
often gone to another process meanwhile: the caller then waits for a chunk the late worker
claimed. Measured on the shared 2-core machine (issue 17): ``cholesky`` of 8 64x64
matrices, whose triangle-mask copy (32768 elements, 9 us serial) ran on the pool after
``dpotrf``, took 107-137 us against 83 us serial; the same kernel on a warm pool gains
nothing either. So a loop right after a parking call needs :data:`COLD_PARALLEL_MIN_WORK`
(8x the warm threshold ``vectorize.PARALLEL_MIN_WORK``) to run in parallel; one that does
wakes the pool, and the loops after it see the warm threshold again.
"""
from __future__ import annotations

from tracejit.compiler.kir import Kernel, Program
from tracejit.compiler.schedule.vectorize import PARALLEL_MIN_WORK, kernel_work

COLD_PARALLEL_MIN_WORK = 8 * PARALLEL_MIN_WORK  # estimated element-ops a loop needs to wake a parked pool
# the calls the rule follows: host calls park the pool too, but the loops around them (fft_xcorr's
# 100000-element maps) were not measured to gain from it on the loaded machine, so they keep the pool
PARKING = ("lapack",)


def _loop_nest(kernel: Kernel) -> bool:
    return kernel.control is None and kernel.gemm is None and kernel.along is None and bool(kernel.nests)


def serial_after_parking(program: Program) -> Program:
    """``program`` with each small parallel loop nest that runs while the pool is parked
    (after a LAPACK call, or before the first in a program that makes one, until a loop
    wakes the pool) made serial, in place."""
    # (a program that parks the pool starts with it parked too: it parked on its last return,
    # and its calls, not its loops, fill the time between: 16 64x64 qr's first copy, 2.6 ms late)
    cold = any(k.control is not None and k.control.kind in PARKING for k in program.kernels)
    for k in program.kernels:
        if k.control is not None:
            cold = k.control.kind in PARKING  # (a loop or branch may wake the pool: taken as warm)
        elif k.parallel_grain:
            if cold and _loop_nest(k) and kernel_work(k) < COLD_PARALLEL_MIN_WORK:
                k.parallel_grain = 0
            else:
                cold = False
    return program
