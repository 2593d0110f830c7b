"""Real-world NumPy kernels with loops and data-dependent branches, written as users write them."""
from tests.realworld.cases import CASES

__all__ = ["CASES"]
