"""Runs an exported library from C: a generated ``main`` linked against ``libNAME.a`` with
the system C compiler reads the arguments (dims, then data) from a binary file, sizes the
results with ``NAME_shapes``, calls ``NAME`` and writes its code, the results (dims, data)
and the arguments updated in place to another file."""
from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import pytest

from tracejit.export.header import c_type

CC = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
needs_cc = pytest.mark.skipif(CC is None, reason="no C compiler (cc, gcc or clang) on PATH for the test main")

MAIN = r"""#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "HEADER"

static void *get(FILE *f, size_t n) {
    /* one byte more than asked, so "misaligned" can shift the data by one element */
    char *p = malloc(n + 64);
    if (!p) exit(3);
    return p;
}

int main(int argc, char **argv) {
    FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
    int shift = argc > 3 ? atoi(argv[3]) : 0;  /* elements by which every array is misaligned */
    if (!in || !out) return 4;
BODY
    fclose(out);
    return 0;
}
"""


def _body(exported) -> str:
    plan = exported.plan
    lines, call, shapes = [], [], []
    for a, (arg, spec) in enumerate(zip(plan.arg_names, plan.specs)):
        t, nd = c_type(spec.dtype), len(spec.dims)
        lines += [f"    int64_t {arg}_d[{max(nd, 1)}] = {{0}}; size_t {arg}_n = 1;",
                  f"    if (fread({arg}_d, 8, {nd}, in) != {nd}) return 5;",
                  f"    for (int i = 0; i < {nd}; i++) {arg}_n *= {arg}_d[i];",
                  f"    {t} *{arg}_raw = get(in, ({arg}_n + 1) * sizeof({t}));",
                  f"    {t} *{arg} = {arg}_raw + shift;",
                  f"    if (fread({arg}, sizeof({t}), {arg}_n, in) != {arg}_n) return 6;"]
        call += [arg] + [f"{arg}_d[{d}]" for d in range(nd)]
        shapes += [f"{arg}_d[{d}]" for d in range(nd)]
    for out in plan.outputs:
        lines.append(f"    int64_t {out.name}_d[{max(len(out.dims), 1)}] = {{0}};")
        shapes.append(f"{out.name}_d")
    lines.append(f"    int rc = {plan.name}_shapes({', '.join(shapes)});")
    lines.append("    fwrite(&rc, 4, 1, out);")
    lines.append("    if (rc) { fclose(out); return 0; }")
    for out in plan.outputs:
        t, nd = c_type(out.dtype), len(out.dims)
        lines += [f"    size_t {out.name}_n = 1;",
                  f"    for (int i = 0; i < {nd}; i++) {out.name}_n *= {out.name}_d[i];",
                  f"    {t} *{out.name} = ({t} *)get(in, ({out.name}_n + 1) * sizeof({t})) + shift;"]
        call.append(out.name)
    lines.append(f"    rc = {plan.name}({', '.join(call)});")
    lines.append("    fwrite(&rc, 4, 1, out);")
    for out in plan.outputs:
        t, nd = c_type(out.dtype), len(out.dims)
        lines += [f"    fwrite({out.name}_d, 8, {nd}, out);",
                  f"    fwrite({out.name}, sizeof({t}), {out.name}_n, out);"]
    for a in sorted(plan.written_inputs):
        arg, t = plan.arg_names[a], c_type(plan.specs[a].dtype)
        lines.append(f"    fwrite({arg}, sizeof({t}), {arg}_n, out);")
    return "\n".join(lines)


def main_source(exported) -> str:
    """The C source of the test main for ``exported`` (argv: input file, output file, shift)."""
    return MAIN.replace("HEADER", os.path.basename(exported.header)).replace("BODY", _body(exported))


def build_main(exported, folder: str) -> str:
    """Compile and link the test main for ``exported``; returns the executable's path."""
    source = os.path.join(folder, f"{exported.name}_main.c")
    with open(source, "w") as fh:
        fh.write(main_source(exported))
    exe = os.path.join(folder, f"{exported.name}_main")
    cmd = [CC, "-O1", "-I", os.path.dirname(exported.header), source, exported.library, "-o", exe, "-lm"]
    if exported.runtime:
        cmd.append("-pthread")
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return exe


def encode_inputs(exported, arrays: list[np.ndarray], dims: list[tuple] | None = None) -> bytes:
    """The main's input file: per argument its dims (int64) then its data (``dims``: the dims
    to claim instead of the arrays' own, to provoke size errors)."""
    payload = b""
    for k, (arr, spec) in enumerate(zip(arrays, exported.plan.specs)):
        shape = arr.shape if dims is None else dims[k]
        data = np.ascontiguousarray(arr, spec.dtype).ravel()
        if data.size != int(np.prod(shape)):  # the dims claimed: that many elements follow
            data = np.resize(data, int(np.prod(shape)))
        payload += np.asarray(shape, np.int64).tobytes() + data.tobytes()
    return payload


def decode_outputs(exported, arrays: list[np.ndarray], data: bytes):
    """``(code, results, updated arguments)`` from the main's output file."""
    plan = exported.plan
    code = int(np.frombuffer(data[:4], np.int32)[0])
    if code:
        return code, [], []
    code = int(np.frombuffer(data[4:8], np.int32)[0])
    at, results = 8, []
    for out in plan.outputs:
        nd = len(out.dims)
        shape = tuple(np.frombuffer(data[at:at + 8 * nd], np.int64)) if nd else ()
        at += 8 * nd
        n = int(np.prod(shape)) * out.dtype.itemsize
        results.append(np.frombuffer(data[at:at + n], out.dtype).reshape(shape))
        at += n
    updated = []
    for a in sorted(plan.written_inputs):
        n = arrays[a].nbytes
        updated.append(np.frombuffer(data[at:at + n], plan.specs[a].dtype).reshape(arrays[a].shape))
        at += n
    return code, results, updated


def run_main(exe: str, exported, arrays: list[np.ndarray], dims: list[tuple] | None = None, shift: int = 0,
             env: dict | None = None):
    """``(code, results, updated arguments)`` of the exported function on ``arrays`` (``dims``:
    the dims to pass instead of the arrays' own, to provoke size errors)."""
    folder = os.path.dirname(exe)
    src, dst = os.path.join(folder, "in.bin"), os.path.join(folder, "out.bin")
    with open(src, "wb") as fh:
        fh.write(encode_inputs(exported, arrays, dims))
    subprocess.run([exe, src, dst, str(shift)], check=True, env=env, timeout=120)
    return decode_outputs(exported, arrays, open(dst, "rb").read())


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal shapes, dtypes and bytes (NaNs of one payload equal)."""
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()
