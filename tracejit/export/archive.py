"""Static libraries: ``ar rcs`` when the system has it, else the archive written here
(the System V / GNU format: ``!<arch>``, a ``/`` symbol index that linkers need, members
with 60-byte headers, data padded to even lengths)."""
from __future__ import annotations

import os
import shutil
import struct
import subprocess


def _header(name: str, size: int) -> bytes:
    text = f"{name:<16}{0:<12}{0:<6}{0:<6}{644:<8}{size:<10}`\n"
    assert len(text) == 60, text
    return text.encode("ascii")


def write_archive_python(path: str, members: list[tuple[str, bytes, list[str]]]) -> None:
    """Write ``members`` (file name, bytes, global symbols defined) as an archive with an index."""
    names = [s for _, _, symbols in members for s in symbols]
    index_size = 4 + 4 * len(names) + sum(len(s) + 1 for s in names)
    index_size += index_size % 2
    offset = 8 + 60 + index_size
    offsets = []
    for name, data, _ in members:
        offsets.append(offset)
        offset += 60 + len(data) + len(data) % 2
    index = struct.pack(">I", len(names))
    for (_, _, symbols), at in zip(members, offsets):
        index += struct.pack(">I", at) * len(symbols)
    index += b"".join(s.encode() + b"\0" for s in names)
    index += b"\0" * (len(index) % 2)
    out = [b"!<arch>\n", _header("/", len(index)), index]
    for i, (name, data, _) in enumerate(members):
        short = name if len(name) <= 15 else f"member{i}.o"  # (longer names need a name table)
        out += [_header(short + "/", len(data)), data, b"\n" * (len(data) % 2)]
    with open(path, "wb") as fh:
        fh.write(b"".join(out))


def write_archive(path: str, members: list[tuple[str, bytes, list[str]]], use_ar: bool = True) -> str:
    """The static library ``path`` of ``members``; returns what wrote it (``ar`` or ``python``)."""
    ar = shutil.which("ar") if use_ar else None
    if ar is None:
        write_archive_python(path, members)
        return "python"
    folder = os.path.dirname(os.path.abspath(path))
    files = []
    for name, data, _ in members:
        file = os.path.join(folder, name)
        if not os.path.exists(file) or open(file, "rb").read() != data:
            with open(file, "wb") as fh:
                fh.write(data)
        files.append(file)
    if os.path.exists(path):
        os.remove(path)
    subprocess.run([ar, "rcs", path, *files], check=True, capture_output=True)
    return "ar"
