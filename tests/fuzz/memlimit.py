"""A cap on a fuzzing process's address space, so that a generated or minimized program
that grows without bound (a loop doubling an array, a huge broadcast) raises MemoryError
in that process instead of exhausting the machine (the kernel's OOM killer then takes the
campaign itself)."""
from __future__ import annotations

import os

try:
    import resource
except ImportError:  # not on this platform: no cap
    resource = None


def limit_memory(share: float = 0.25) -> None:
    """Cap the address space at ``share`` of physical memory (at least 4 GiB)."""
    if resource is None or not hasattr(os, "sysconf"):
        return
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return
    cap = max(4 << 30, int(physical * share))
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    if soft == resource.RLIM_INFINITY or soft > cap:
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
