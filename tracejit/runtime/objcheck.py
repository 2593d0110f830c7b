"""Checking object code from the disk cache before it is loaded into the process.

An entry's key and checksum (``runtime/diskcache.py``) say it was written for this key;
this says its contents are what loading it assumes: a well-formed relocatable ELF object
for this machine (every section and symbol inside the file) that defines each expected
symbol, and no global symbol outside their namespace (the common prefix of the expected
names, derived from the cache key for programs: ``tj<key>_<name>_``). Object code of
another program, a foreign object file or a damaged one is refused, never loaded: MCJIT
would abort the process on a malformed object or a duplicate definition, or run other
code under our names. On hosts whose object format is not 64-bit ELF only the key and
the checksum are checked.
"""
from __future__ import annotations

import os
import platform
import struct
import sys

ET_REL, SHT_SYMTAB, SHT_STRTAB, SHT_NOBITS, SHN_UNDEF = 1, 2, 3, 8, 0
STB_GLOBAL, STB_WEAK = 1, 2
_MACHINES = {"x86_64": 62, "amd64": 62, "aarch64": 183, "arm64": 183, "ppc64le": 21, "ppc64": 21,
             "s390x": 22, "riscv64": 243}
_ELF_HOST = sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")) and sys.maxsize > 2**32
_ORDER = "<" if sys.byteorder == "little" else ">"


class _Malformed(Exception):
    pass


def _need(ok: bool, what: str) -> None:
    if not ok:
        raise _Malformed(what)


def _sections(obj: bytes) -> list[tuple]:
    """The section headers of ``obj`` (name, type, flags, addr, offset, size, link, info,
    align, entsize), each checked to lie inside the file."""
    _need(len(obj) >= 64 and obj[:4] == b"\x7fELF", "not an ELF file")
    _need(obj[4] == 2 and obj[5] == (1 if _ORDER == "<" else 2), "not a 64-bit ELF file of this byte order")
    e_type, e_machine = struct.unpack_from(_ORDER + "HH", obj, 16)
    _need(e_type == ET_REL, "not a relocatable object")
    machine = _MACHINES.get(platform.machine().lower())
    _need(machine is None or e_machine == machine, f"object code for machine {e_machine}, not this one")
    shoff, = struct.unpack_from(_ORDER + "Q", obj, 40)
    shentsize, shnum = struct.unpack_from(_ORDER + "HH", obj, 58)
    _need(shentsize == 64 and 0 < shnum < 0xFF00 and shoff + shnum * 64 <= len(obj), "bad section table")
    sections = [struct.unpack_from(_ORDER + "IIQQQQIIQQ", obj, shoff + i * 64) for i in range(shnum)]
    for s in sections:
        _need(s[1] == SHT_NOBITS or s[4] + s[5] <= len(obj), "a section lies outside the file")
    return sections


def defined_symbols(obj: bytes) -> set[str]:
    """The global (and weak) symbols ``obj`` defines; raises ``_Malformed``."""
    sections = _sections(obj)
    tables = [s for s in sections if s[1] == SHT_SYMTAB]
    _need(len(tables) == 1, "no symbol table")
    table = tables[0]
    _need(table[9] == 24 and table[5] % 24 == 0 and table[6] < len(sections), "bad symbol table")
    strtab = sections[table[6]]
    _need(strtab[1] == SHT_STRTAB, "bad string table")
    start, end = strtab[4], strtab[4] + strtab[5]
    names = set()
    for offset in range(table[4], table[4] + table[5], 24):
        name, info, _, shndx = struct.unpack_from(_ORDER + "IBBH", obj, offset)
        if info >> 4 not in (STB_GLOBAL, STB_WEAK) or shndx == SHN_UNDEF:
            continue
        stop = obj.find(b"\0", start + name, end)
        _need(name < strtab[5] and stop >= 0, "a symbol name lies outside the string table")
        names.add(obj[start + name:stop].decode("ascii", "replace"))
    return names


BUNDLE = b"TJOBJS1\0"  # several object files in one cache entry: magic, count, lengths, the objects


def bundle(objects: list[bytes]) -> bytes:
    """One cache entry of ``objects`` (a module compiled in parts, ``runtime/engine.py``); one object
    is stored as itself."""
    if len(objects) == 1:
        return objects[0]
    head = struct.pack(f"<Q{len(objects)}Q", len(objects), *map(len, objects))
    return BUNDLE + head + b"".join(objects)


def unbundle(data: bytes) -> list[bytes]:
    """The object files of a cache entry (:func:`bundle`); raises ``ValueError`` on a damaged bundle."""
    if not data.startswith(BUNDLE):
        return [data]
    at = len(BUNDLE)
    if len(data) < at + 8:
        raise ValueError("truncated bundle")
    count, = struct.unpack_from("<Q", data, at)
    if not 0 < count <= 1024 or len(data) < at + 8 * (count + 1):
        raise ValueError("bad bundle count")
    sizes = struct.unpack_from(f"<{count}Q", data, at + 8)
    at += 8 * (count + 1)
    if at + sum(sizes) != len(data):
        raise ValueError("bundle sizes disagree with its length")
    out = []
    for size in sizes:
        out.append(data[at:at + size])
        at += size
    return out


def problem(obj: bytes, symbols: list[str]) -> str | None:
    """What is wrong with object code ``obj`` (one object file or a :func:`bundle` of them) that
    must define ``symbols`` (see the module docstring), or None."""
    try:
        objects = unbundle(obj)
    except ValueError as e:
        return f"not a well-formed bundle of object files: {e}"
    if not _ELF_HOST:
        return None
    defined: set[str] = set()
    try:
        for one in objects:
            names = defined_symbols(one)
            twice = sorted(defined & names)
            if twice:
                return f"object files of one entry both define {', '.join(twice[:3])}"
            defined |= names
    except (_Malformed, struct.error) as e:
        return f"not a well-formed object file: {e}"
    missing = sorted(set(symbols) - defined)
    if missing:
        return f"object code does not define {', '.join(missing)}"
    namespace = os.path.commonprefix(list(symbols))
    foreign = sorted(n for n in defined if not n.startswith(namespace))
    if len(namespace) >= 3 and foreign:
        return f"object code defines {', '.join(foreign[:3])}, outside {namespace}*"
    return None
