"""Real-world NumPy kernels with loops and data-dependent branches, written as users write them.

``CASES`` maps a name to (kernel, make_inputs); ``XFAIL`` maps the names still refused (clearly) to why.
A module of more kernels defines its own ``CASES``/``XFAIL`` and is merged here."""
from tests.realworld import applied, applied2, applied3, applied4
from tests.realworld.cases import CASES, XFAIL

CASES.update(applied.CASES)
XFAIL.update(applied.XFAIL)
CASES.update(applied2.CASES)
XFAIL.update(applied2.XFAIL)
CASES.update(applied3.CASES)
XFAIL.update(applied3.XFAIL)
CASES.update(applied4.CASES)
XFAIL.update(applied4.XFAIL)

__all__ = ["CASES", "XFAIL"]
