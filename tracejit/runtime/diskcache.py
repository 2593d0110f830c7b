"""The persistent cache of compiled object code, shared by every process of the user.

An entry is the object code of one generated module, keyed by a hash of the program's
fingerprint (every decision the compiler made: shapes, schedules, thread chunking; see
``compiler/fingerprint.py``), the target (triple, CPU name and features), the versions
of tracejit (``_version.py``) and llvmlite and a hash of tracejit's compiler and runtime
sources and ``compile.py`` (:func:`source_digest`). A second
process that builds the same program loads the object code and skips code generation
and LLVM entirely.

Safety: the directory is created private to the user (0700). Native code is loaded only
from a directory and from files that the user owns and that neither group nor others
can write; otherwise a warning says so once and the process compiles instead (loading
code from a directory others can write would let them run code as the user).
Writes go to a temporary file in the same directory and are renamed into place, so a
reader never sees half an entry and two processes filling the cache at once both
succeed. Each entry is bound to its key: it holds the key and kind it was written under
and a SHA-256 of both and of its contents, and what it holds is validated before use
(``read``'s ``validate``: object code defines exactly the expected symbols, see
``runtime/objcheck.py``; a program unpickles to the expected one). An entry that is
truncated, corrupted, stored under another key (copied) or fails validation is a miss:
a warning (once per process), then it is compiled again and rewritten. Nothing is
unpickled or loaded from an entry before its checksum and key are checked.
"""
from __future__ import annotations

import hashlib
import os
import stat
import tempfile
import threading
import warnings
from typing import Callable

from tracejit._version import __version__
from tracejit.compiler.target import host_target, llvmlite_missing
from tracejit.config import config

FORMAT = b"tracejit-object-2\n"
_warned: set[str] = set()
_lock = threading.Lock()


def cache_key(identity: str) -> str:
    """The hex SHA-256 naming the object code of ``identity`` (a program's fingerprint,
    or IR text) on this machine, with these versions and sources of tracejit."""
    h = hashlib.sha256()
    for part in (FORMAT.decode(), __version__, source_digest(), llvmlite_version(),
                 host_target().key, identity):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def llvmlite_version() -> str:
    """llvmlite's version (imported here on first use: ``import tracejit`` loads no llvmlite)."""
    try:
        import llvmlite
    except ImportError as error:
        raise llvmlite_missing(error) from error
    return llvmlite.__version__


_SOURCES = ("compiler", "runtime", "compile.py")  # what decides the code, relative to the package
_digest: str | None = None


def source_digest() -> str:
    """A hash of the compiler's and runtime's source files and of ``compile.py`` (path,
    size, modification time, as Numba stamps its cache): code built by another version of
    them, even an unreleased one, is never loaded. Stamps, not contents: this runs in
    every process before its first load from the cache (``os.scandir`` reads the stamps
    with the directory entries: ~0.3 ms for ~70 files)."""
    global _digest
    if _digest is None:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        stamps: list[str] = []
        for sub in _SOURCES:
            path = os.path.join(root, sub)
            if os.path.isdir(path):
                _stamps(path, sub, stamps)
            else:
                st = os.stat(path)
                stamps.append(f"{sub}:{st.st_size}:{st.st_mtime_ns}\0")
        h = hashlib.sha256()
        for stamp in sorted(stamps):
            h.update(stamp.encode())
        _digest = h.hexdigest()
    return _digest


def _stamps(directory: str, rel: str, out: list[str]) -> None:
    with os.scandir(directory) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name != "__pycache__":
                    _stamps(entry.path, f"{rel}/{entry.name}", out)
            elif entry.name.endswith(".py"):
                st = entry.stat()
                out.append(f"{rel}/{entry.name}:{st.st_size}:{st.st_mtime_ns}\0")


def cache_dir() -> str | None:
    """The usable cache directory (created if needed), or None when the cache is off or
    the directory is not private to the user."""
    if not config.cache_enabled:
        return None
    path = config.cache_dir
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        st = os.stat(path)
    except OSError as exc:
        _warn_once(path, f"tracejit: cache directory {path} is unusable ({exc}); compiling instead")
        return None
    if not owned_privately(st):
        _warn_once(path, f"tracejit: not using cache directory {path}: it is not owned by this user or "
                         "others can write to it (loading native code from it would let them run code "
                         "as you); compiling instead. Set TRACEJIT_CACHE_DIR to a private directory.")
        return None
    return path


def owned_privately(st: os.stat_result) -> bool:
    """Whether a cache file or directory is ours alone: owned by this user, writable by nobody else."""
    return (not hasattr(os, "getuid") or st.st_uid == os.getuid()) and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _warn_once(key: str, message: str) -> None:
    with _lock:
        if key in _warned:
            return
        _warned.add(key)
    warnings.warn(message, RuntimeWarning, stacklevel=3)


def _entry_path(directory: str, key: str, suffix: str = ".o") -> str:
    return os.path.join(directory, f"{key}{suffix}")


def _binding(key: str, suffix: str) -> bytes:
    """What an entry's checksummed body starts with: the key and kind it belongs to."""
    return f"{key}{suffix}\n".encode()


def read(key: str, suffix: str = ".o", validate: Callable[[bytes], str | None] | None = None) -> bytes | None:
    """The object code (or, with another ``suffix``, other bytes: ``.prog`` optimized
    programs) stored under ``key``, or None: missing, unsafe, corrupted, stored under
    another key, or refused by ``validate`` (which returns what is wrong, or None)."""
    directory = cache_dir()
    if directory is None:
        return None
    path = _entry_path(directory, key, suffix)
    try:
        with open(path, "rb") as fh:
            if not owned_privately(os.fstat(fh.fileno())):
                _warn_once(path, f"tracejit: ignoring cache entry {path}: others can write to it")
                return None
            data = fh.read()
    except OSError:
        return None
    header_len = len(FORMAT) + 32
    binding = _binding(key, suffix)
    digest, body = data[len(FORMAT):header_len], data[header_len:]
    if len(data) < header_len or not data.startswith(FORMAT) or hashlib.sha256(body).digest() != digest:
        problem = "truncated or corrupted"
    elif not body.startswith(binding):
        problem = "it was stored under another key"
    else:
        payload = body[len(binding):]
        problem = validate(payload) if validate is not None else None
        if problem is None:
            return payload
    _invalid(path, problem)
    return None


def _invalid(path: str, problem: str) -> None:
    """Say (once per process) that a cache entry is ignored, and why; it is rebuilt."""
    _warn_once("invalid entry", f"tracejit: ignoring cache entry {path} ({problem}); compiling it again "
                                "(further invalid entries are not reported)")


def write(key: str, obj: bytes, suffix: str = ".o") -> bool:
    """Store ``obj`` under ``key``, bound to it, atomically; False when the cache is off or
    unwritable."""
    directory = cache_dir()
    if directory is None:
        return False
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=directory)
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as fh:
            body = _binding(key, suffix) + obj
            fh.write(FORMAT + hashlib.sha256(body).digest() + body)
        os.replace(tmp, _entry_path(directory, key, suffix))
        return True
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return False
