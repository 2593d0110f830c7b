"""Real-world NumPy kernels with loops and data-dependent branches, written as users write them.

``CASES`` maps a name to (kernel, make_inputs); ``XFAIL`` maps the names still refused (clearly) to why.
A module of more kernels defines its own ``CASES``/``XFAIL`` and is merged here."""
from tests.realworld import algorithms2, algorithms3, algorithms4
from tests.realworld.cases import CASES, XFAIL

CASES.update(algorithms2.CASES)
XFAIL.update(algorithms2.XFAIL)
CASES.update(algorithms3.CASES)
XFAIL.update(algorithms3.XFAIL)
CASES.update(algorithms4.CASES)
XFAIL.update(algorithms4.XFAIL)

__all__ = ["CASES", "XFAIL"]
