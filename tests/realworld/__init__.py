"""Real-world NumPy kernels with loops and data-dependent branches, written as users write them.

``CASES`` maps a name to (kernel, make_inputs); ``XFAIL`` maps the names still refused (clearly) to why.
A module of more kernels defines its own ``CASES``/``XFAIL`` and is merged here."""
from tests.realworld import algorithms2, algorithms3, algorithms4, applied, applied2, applied3, applied4
from tests.realworld.cases import CASES, XFAIL

for _module in (applied, applied2, applied3, applied4, algorithms2, algorithms3, algorithms4):
    CASES.update(_module.CASES)
    XFAIL.update(_module.XFAIL)

__all__ = ["CASES", "XFAIL"]
