"""``tj.export``: a traced NumPy function as a C library (object file, static library,
header; with ``threads=True`` the pthreads runtime's C source beside them)."""
from __future__ import annotations

import inspect
import keyword
import os
import re
import subprocess
from dataclasses import dataclass
from typing import Any, Callable

from tracejit.compiler.target import Target
from tracejit.export.archive import write_archive
from tracejit.export.emit import check_target, describe_target, emit_module, runtime_compiler
from tracejit.export.plan import ExportPlan, build_plan
from tracejit.export.runtime_c import runtime_source
from tracejit.export.spec import as_spec

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class Exported:
    """The files an export wrote, and its plan (signature, sizes)."""

    name: str
    header: str
    object: str
    library: str
    runtime: str | None  # the thread runtime's C source (threads=True)
    plan: ExportPlan
    archiver: str  # what wrote the library: ar or python

    @property
    def symbols(self) -> list[str]:
        """The global functions the library defines."""
        return [self.name, f"{self.name}_shapes"] + (
            [f"{self.name}_parallel_for", f"{self.name}_shutdown_threads"] if self.runtime else [])


def _c_name(text: str) -> str:
    out = re.sub(r"\W", "_", text)
    return out if _IDENT.match(out) and not keyword.iskeyword(out) else f"tj_{out}"


def _argument_names(fun: Callable, n: int) -> list[str]:
    """C names of the first ``n`` positional parameters (``a0``... where they have none)."""
    try:
        params = [p.name for p in inspect.signature(fun).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    names = [_c_name(params[i]) if i < len(params) else f"a{i}" for i in range(n)]
    if len(set(names)) != n or any(re.match(r"^out\d+$", x) for x in names):
        names = [f"a{i}" for i in range(n)]
    return names


def _publish_only(module, public: set[str]) -> None:
    """Every function defined in ``module`` other than ``public`` becomes internal."""
    for fn in module.functions:
        if not fn.is_declaration and fn.name not in public:
            fn.linkage = "internal"


def _compile_runtime(source_path: str, object_path: str, target: Target) -> bytes | None:
    cc = runtime_compiler(target)
    if cc is None:
        return None
    subprocess.run([*cc, "-O2", "-fPIC", "-pthread", "-c", source_path, "-o", object_path], check=True,
                   capture_output=True)
    with open(object_path, "rb") as fh:
        return fh.read()


def export(f: Callable, *example_args: Any, target: str = "host", out_dir: str = ".", name: str | None = None,
           threads: bool = False, sizes: dict[str, int] | None = None, origin: str | None = None) -> Exported:
    """Compile ``f`` for ``example_args`` (arrays, or specs such as ``"f32[N,64]"`` whose named
    dims are run-time sizes, sampled around ``sizes``, default 1000) as a C library for
    ``target`` in ``out_dir``: ``name.o``, ``libname.a``, ``name.h`` (see docs/design.md,
    "Export"). Raises ``UnsupportedError`` for programs that call back into Python, and for
    named dims the code needs fixed. ``target``: ``"host"`` or a cross target
    (``"aarch64-linux-gnu"``, ``"armv7-linux-gnueabihf"``, ``"riscv64-linux-gnu"``,
    ``"wasm32-wasi"``), for which the program is scheduled and compiled.

    >>> import tempfile, tracejit as tj
    >>> lib = tj.export(lambda x: x * 2.0, "f64[N]", out_dir=tempfile.mkdtemp(), name="double")
    >>> lib.symbols, lib.header.endswith("double.h")
    (['double', 'double_shapes'], True)
    """
    from llvmlite import ir  # deferred: llvmlite is loaded by the first compilation

    from tracejit.compiler.codegen.halfcalls import define_half_libcalls
    from tracejit.compiler.codegen.targeting import bind_target
    from tracejit.export.entry import emit_export

    machine = check_target(target, threads)
    fun = getattr(f, "fun", f)  # a JitFunction: its Python function
    name = _c_name(name or fun.__name__)
    specs = [as_spec(a) for a in example_args]
    arg_names = _argument_names(fun, len(specs))
    plan = build_plan(fun, specs, arg_names, name, sizes, threads, machine)
    module = ir.Module(name=name)
    bind_target(module, machine)
    emit_export(module, plan, f"{name}_tj", f"{name}_parallel_for" if threads else None)
    _publish_only(module, {name, f"{name}_shapes"})
    if machine.half_libcalls and "half" in str(module):  # the target's C runtime may lack them
        define_half_libcalls(module)
    obj = emit_module(str(module), machine)
    os.makedirs(out_dir, exist_ok=True)
    paths = {k: os.path.join(out_dir, f) for k, f in
             (("o", f"{name}.o"), ("h", f"{name}.h"), ("a", f"lib{name}.a"), ("c", f"{name}_runtime.c"))}
    with open(paths["o"], "wb") as fh:
        fh.write(obj)
    from tracejit.export.header import header_text
    with open(paths["h"], "w") as fh:
        fh.write(header_text(plan, origin or f"{fun.__module__}:{fun.__qualname__}", describe_target(machine)))
    members = [(f"{name}.o", obj, [name, f"{name}_shapes"])]
    runtime = None
    if threads:
        runtime = paths["c"]
        with open(runtime, "w") as fh:
            fh.write(runtime_source(name))
        compiled = _compile_runtime(runtime, os.path.join(out_dir, f"{name}_runtime.o"), machine)
        if compiled is not None:
            members.append((f"{name}_runtime.o", compiled, [f"{name}_parallel_for", f"{name}_shutdown_threads"]))
    archiver = write_archive(paths["a"], members, use_ar=target == "host")  # (host ar may not know the format)
    return Exported(name, paths["h"], paths["o"], paths["a"], runtime, plan, archiver)
