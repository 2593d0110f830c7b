"""Which :class:`~tracejit.compiler.target.Target` an LLVM module is generated for.

``build_module`` binds the module to its program's target before emitting anything;
code that needs a CPU-dependent choice while emitting (the math library's FMA, the fence
after non-temporal stores) asks :func:`target_of` with the builder's module, so no
emitter reads the host. A module nobody bound (the runtime's own: the dispatcher, the
thread pool, np.unique's routines, which only the JIT runs) is the host's."""
from __future__ import annotations

import weakref

from llvmlite import ir

from tracejit.compiler.target import Target, host_target

_TARGETS: weakref.WeakKeyDictionary[ir.Module, Target] = weakref.WeakKeyDictionary()


def bind_target(module: ir.Module, target: Target) -> None:
    """Generate ``module`` for ``target``: its triple and data layout, and what :func:`target_of` answers."""
    module.triple = target.triple
    module.data_layout = target.data_layout
    _TARGETS[module] = target


def target_of(module: ir.Module) -> Target:
    """The target ``module`` is generated for (the host when it was never bound)."""
    target = _TARGETS.get(module)
    return host_target() if target is None else target
