"""Real-world NumPy kernels with loops and data-dependent branches, written as users write them.

``CASES`` maps a name to (kernel, make_inputs); ``XFAIL`` maps the names still refused (clearly) to why.
A module of more kernels defines its own ``CASES``/``XFAIL`` and is merged here."""
from tests.realworld.cases import CASES, XFAIL

__all__ = ["CASES", "XFAIL"]
