"""Runs an exported library on its target: the test main of ``tests/exportharness.py``
built with the target's C compiler against ``libNAME.a`` and run under ``qemu-*``
(aarch64, armv7, riscv64: the triple's sysroot ``/usr/<triple>`` given with ``-L``) or
node (wasm32-wasi: ``node:wasi``, the run's folder preopened as ``/d``); the host builds
with ``cc`` and runs natively. Arguments and results go through files in that folder.
A target whose compiler or runner is missing is skipped with the reason."""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

import numpy as np
import pytest

import tracejit as tj
from tests.exportharness import decode_outputs, encode_inputs, main_source

NODE_LOADER = r"""import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
const [wasmPath, dir, ...args] = process.argv.slice(2);
const wasi = new WASI({ version: 'preview1', args: ['main', ...args], env: {}, preopens: { '/d': dir },
                        returnOnExit: true });
const module = await WebAssembly.compile(await readFile(wasmPath));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
"""


@dataclass(frozen=True)
class Toolchain:
    """How to build and run a C program for one export target."""

    target: str
    cc: list[str]  # the compiler command (without sources)
    runner: list[str]  # prefix before the executable (qemu), or ["node", loader] for wasm
    wasm: bool = False

    def missing(self) -> str | None:
        """Why this target cannot run here (None: it can)."""
        need = [self.cc[0]] + ([self.runner[0]] if self.runner else [])
        if self.wasm:
            need.append("wasm-ld")
        absent = [tool for tool in need if shutil.which(tool) is None]
        if absent:
            return f"{self.target}: {', '.join(absent)} not on PATH (.ci/run installs them with apt-get)"
        if self.runner[:1] and self.runner[0].startswith("qemu-"):
            sysroot = self.runner[-1]
            if not os.path.isdir(sysroot):
                return f"{self.target}: no sysroot {sysroot} for {self.runner[0]} (the cross gcc's libc)"
        if self.wasm and not _wasi_libc():
            return f"{self.target}: clang finds no wasi-libc (apt-get install wasi-libc)"
        return None


def _qemu(arch: str, triple: str) -> list[str]:
    return [f"qemu-{arch}", "-L", f"/usr/{triple}"]


TOOLCHAINS = {
    "host": Toolchain("host", [shutil.which("cc") or shutil.which("gcc") or shutil.which("clang") or "cc"], []),
    "aarch64-linux-gnu": Toolchain("aarch64-linux-gnu", ["aarch64-linux-gnu-gcc"],
                                   _qemu("aarch64", "aarch64-linux-gnu")),
    "armv7-linux-gnueabihf": Toolchain("armv7-linux-gnueabihf", ["arm-linux-gnueabihf-gcc", "-march=armv7-a",
                                                                 "-mfpu=neon-vfpv4", "-mfloat-abi=hard"],
                                       _qemu("arm", "arm-linux-gnueabihf")),
    "riscv64-linux-gnu": Toolchain("riscv64-linux-gnu", ["riscv64-linux-gnu-gcc"],
                                   _qemu("riscv64", "riscv64-linux-gnu")),
    "wasm32-wasi": Toolchain("wasm32-wasi", ["clang", "--target=wasm32-wasi"], ["node"], wasm=True),
}


def _wasi_libc() -> bool:
    probe = subprocess.run(["clang", "--target=wasm32-wasi", "-print-file-name=libc.a"], capture_output=True,
                           text=True)
    return probe.returncode == 0 and os.path.isabs(probe.stdout.strip())


def toolchain(target: str) -> Toolchain:
    """``target``'s toolchain; skips the calling test when it is missing here."""
    tools = TOOLCHAINS[target]
    reason = tools.missing()
    if reason:
        pytest.skip(reason)
    return tools


def build(exported, folder: str, target: str, source: str | None = None) -> str:
    """Compile and link the test main (or ``source``, a C file) for ``target`` against the
    export's static library; returns the executable (a .wasm module for wasm32)."""
    tools = toolchain(target)
    if source is None:
        source = os.path.join(folder, f"{exported.name}_main.c")
        with open(source, "w") as fh:
            fh.write(main_source(exported))
    exe = os.path.join(folder, f"{exported.name}_main" + (".wasm" if tools.wasm else ""))
    cmd = [*tools.cc, "-O1", "-I", os.path.dirname(exported.header), source, exported.library, "-o", exe, "-lm"]
    if exported.runtime and not tools.wasm:
        cmd.append("-pthread")
    built = subprocess.run(cmd, capture_output=True, text=True)
    assert built.returncode == 0, f"{' '.join(cmd)}\n{built.stderr[-3000:]}"
    return exe


def command(exe: str, target: str, args: list[str]) -> list[str]:
    """The command line running ``exe`` with ``args`` (paths inside its folder) on ``target``."""
    tools = TOOLCHAINS[target]
    if not tools.wasm:
        return [*tools.runner, exe, *args]
    folder = os.path.dirname(exe)
    loader = os.path.join(folder, "wasi_run.mjs")
    with open(loader, "w") as fh:
        fh.write(NODE_LOADER)
    guest = ["/d/" + os.path.relpath(a, folder) if os.path.isabs(a) else a for a in args]
    return ["node", "--no-warnings", loader, exe, folder, *guest]


def run(exe: str, exported, target: str, arrays: list[np.ndarray], dims: list[tuple] | None = None,
        shift: int = 0, timeout: int = 600):
    """``(code, results, updated arguments)`` of the export on ``arrays``, run on ``target``."""
    folder = os.path.dirname(exe)
    src, dst = os.path.join(folder, "in.bin"), os.path.join(folder, "out.bin")
    with open(src, "wb") as fh:
        fh.write(encode_inputs(exported, arrays, dims))
    if os.path.exists(dst):
        os.remove(dst)
    done = subprocess.run(command(exe, target, [src, dst, str(shift)]), capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{target}: exit {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    with open(dst, "rb") as fh:
        return decode_outputs(exported, arrays, fh.read())


def export_and_run(fun, examples: list, arrays: list[np.ndarray], target: str, folder: str,
                   name: str) -> tuple[int, list[np.ndarray], list[np.ndarray]]:
    """Export ``fun`` (example arguments ``examples``) for ``target`` into ``folder``, build and run
    it on ``arrays``: (exit code, its results, the host JIT's results on the same arrays)."""
    done = tj.export(fun, *examples, target=target, out_dir=folder, name=name)
    exe = build(done, folder, target)
    code, got, _ = run(exe, done, target, [a.copy() for a in arrays])
    want = tj.jit(fun)(*[a.copy() for a in arrays])
    return code, got, [np.asarray(w) for w in (want if isinstance(want, tuple) else [want])]
