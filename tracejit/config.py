"""Environment switches, read in one place.

``TRACEJIT_DISABLE_JIT=1`` runs every jitted function eagerly with NumPy.
``TRACEJIT_LOG`` is a comma list of ``retrace,passes,kernels,llvm,asm,fallbacks,compile`` dumps (``fallbacks``:
each call run in Python as a host call, once per function and line; ``compile``: each compilation's
time per stage, ``stagetimes.py``).
``TRACEJIT_SLOW_COMPILE`` (seconds, default 1): a compilation slower than that logs one warning line.
``TRACEJIT_FOLD_LIMIT`` caps the element count of a constant produced by folding.
``TRACEJIT_NUM_THREADS`` sets the threads for parallel loops (default: every CPU this
process may use).
``TRACEJIT_CACHE_DIR`` is the persistent cache of compiled code (default: the user's
cache directory, ``$XDG_CACHE_HOME/tracejit`` or ``~/.cache/tracejit``);
``TRACEJIT_CACHE=0`` turns it off.
``TRACEJIT_VERIFY=1`` checks the graph after every graph pass and the kernel program after
every kernel pass (the test suite turns it on, ``tests/conftest.py``).
``TRACEJIT_ISA=avx2`` compiles for the host with its features above that ISA level switched off
(``native``, the default: all of them; ``avx2`` on an AVX-512 machine: 256-bit vectors, 16
registers, the code an AVX2 machine runs; ``compiler/target.py``).
``TRACEJIT_REPORT=dir`` writes an HTML compile report of every compilation into ``dir``
(``report/env.py``).
"""
from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields

LOG_CHANNELS = ("retrace", "passes", "kernels", "llvm", "asm", "fallbacks", "compile")
ISA_LEVELS = ("native", "avx2")  # TRACEJIT_ISA: the features each switches off are compiler/target.py's


@dataclass
class Config:
    """Process-wide settings (``tj.config``), read from the ``TRACEJIT_*`` environment
    variables at import (see the module docstring); assigning an attribute changes it for
    the process. ``disable_jit = True`` runs every jitted function eagerly with NumPy.

    >>> import numpy as np, tracejit as tj
    >>> f = tj.jit(lambda x: x + 1)
    >>> tj.config.disable_jit = True
    >>> print(f(np.zeros(2)), f.cache_info().traces)  # run by NumPy, nothing traced
    [1. 1.] 0
    >>> tj.config.disable_jit = False
    >>> sorted(tj.config.log)  # TRACEJIT_LOG=retrace,fallbacks would give ['fallbacks', 'retrace']
    []
    """

    disable_jit: bool = False
    log: frozenset[str] = field(default_factory=frozenset)
    fold_limit: int = 1 << 16
    num_threads: int = 1
    cache_enabled: bool = True
    cache_dir: str = ""
    verify: bool = False
    slow_compile_seconds: float = 1.0  # a compilation slower than this logs a warning line (stagetimes.py)
    report_dir: str = ""  # a compile report of every compilation is written here (report/env.py)
    isa: str = "native"  # the host target's features up to this ISA level (compiler/target.py)

    @contextmanager
    def overriding(self, **settings: object) -> Iterator[Config]:
        """``settings`` in force inside the block, the earlier values restored after it
        (assigned both times, so listeners hear of each); an unknown name raises AttributeError.

        >>> import tracejit as tj
        >>> with tj.config.overriding(isa="avx2", cache_enabled=False):
        ...     print(tj.config.isa, tj.config.cache_enabled)
        avx2 False
        >>> tj.config.isa
        'native'
        """
        unknown = sorted(set(settings) - {f.name for f in fields(self)})
        if unknown:
            raise AttributeError(f"tj.config has no setting {', '.join(unknown)}")
        before = {name: getattr(self, name) for name in settings}
        try:
            for name, value in settings.items():
                setattr(self, name, value)
            yield self
        finally:
            for name, value in before.items():
                setattr(self, name, value)

    def __setattr__(self, name: str, value) -> None:
        object.__setattr__(self, name, value)
        for listener in _listeners:  # e.g. native dispatch follows disable_jit
            listener(name, value)

    @classmethod
    def from_env(cls, env: os._Environ | dict | None = None) -> "Config":
        """The settings read from ``env`` (default: the process's environment variables)."""
        env = os.environ if env is None else env
        log = {c.strip() for c in env.get("TRACEJIT_LOG", "").split(",") if c.strip()}
        unknown = log - set(LOG_CHANNELS) - {"all"}
        if unknown:
            raise ValueError(f"TRACEJIT_LOG: unknown channel(s) {sorted(unknown)}; "
                             f"choose from {', '.join(LOG_CHANNELS)}")
        if "all" in log:
            log = set(LOG_CHANNELS)
        return cls(
            disable_jit=env.get("TRACEJIT_DISABLE_JIT", "0") not in ("", "0", "false", "False"),
            log=frozenset(log),
            fold_limit=int(env.get("TRACEJIT_FOLD_LIMIT", 1 << 16)),
            num_threads=_threads(env),
            cache_enabled=env.get("TRACEJIT_CACHE", "1") not in ("0", "false", "False", "off"),
            cache_dir=env.get("TRACEJIT_CACHE_DIR") or _default_cache_dir(env),
            verify=env.get("TRACEJIT_VERIFY", "0") not in ("", "0", "false", "False", "off"),
            slow_compile_seconds=float(env.get("TRACEJIT_SLOW_COMPILE", 1.0)),
            report_dir=env.get("TRACEJIT_REPORT", ""),
            isa=_isa(env),
        )


def _default_cache_dir(env) -> str:
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tracejit")


def _isa(env) -> str:
    value = env.get("TRACEJIT_ISA", "").strip().lower() or "native"
    if value not in ISA_LEVELS:
        raise ValueError(f"TRACEJIT_ISA must be one of {', '.join(ISA_LEVELS)}, not {value!r}")
    return value


def _threads(env) -> int:
    value = env.get("TRACEJIT_NUM_THREADS")
    if value:
        if not value.isdigit() or int(value) < 1:
            raise ValueError(f"TRACEJIT_NUM_THREADS must be a positive integer, not {value!r}")
        return int(value)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


_listeners: list[Callable[[str, object], None]] = []


def on_change(listener: Callable[[str, object], None]) -> None:
    """Call ``listener(name, value)`` whenever a setting of ``config`` is assigned."""
    _listeners.append(listener)


config = Config.from_env()
logger = logging.getLogger("tracejit")


def log_enabled(channel: str) -> bool:
    """True when ``channel`` is named in ``TRACEJIT_LOG``."""
    return channel in config.log


def emit_log(channel: str, text: str, level: int = logging.INFO) -> None:
    """Write a dump (or, with ``level``, a warning) for ``channel`` to the ``tracejit`` logger
    (stderr by default; a level the user set on that logger is kept)."""
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("[tracejit:%(channel)s] %(message)s"))
        logger.addHandler(handler)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO)
    logger.log(level, text, extra={"channel": channel})
