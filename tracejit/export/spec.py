"""Example arguments of an export: arrays (fixed shapes) or specs such as ``"f32[N,64]"``,
whose named dims (``N``) are sizes the exported function takes at run time."""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from tracejit.errors import UnsupportedError

DTYPE_NAMES = {"f16": "float16", "f32": "float32", "f64": "float64", "i8": "int8", "i16": "int16",
               "i32": "int32", "i64": "int64", "u8": "uint8", "u16": "uint16", "u32": "uint32",
               "u64": "uint64", "bool": "bool"}
_SPEC = re.compile(r"^\s*([a-z0-9]+)\s*\[\s*(.*?)\s*\]\s*$")
_SYMBOL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class ExampleSpec:
    """One argument: its dtype and dims, each an int (fixed) or a name (a run-time size)."""

    dtype: np.dtype
    dims: tuple[int | str, ...]

    def symbols(self) -> list[str]:
        """The named dims, in order."""
        return [d for d in self.dims if isinstance(d, str)]

    def concrete(self, values: dict[str, int]) -> np.ndarray:
        """An array of this spec with the named dims set from ``values`` (deterministic contents)."""
        shape = tuple(values[d] if isinstance(d, str) else d for d in self.dims)
        rng = np.random.default_rng(len(shape) + sum(shape))
        if self.dtype.kind == "b":
            return rng.random(shape) < 0.5
        if self.dtype.kind in "iu":
            return rng.integers(0, 10, shape).astype(self.dtype)
        return rng.standard_normal(shape).astype(self.dtype)

    def text(self) -> str:
        """The spec as it is written (``f32[N,64]``)."""
        name = next((k for k, v in DTYPE_NAMES.items() if np.dtype(v) == self.dtype), self.dtype.name)
        return f"{name}[{','.join(str(d) for d in self.dims)}]"


def parse_spec(text: str) -> ExampleSpec:
    """``"f32[N,64]"`` (or ``"float32[N, 64]"``, ``"f64[]"`` for a 0-d array) as an :class:`ExampleSpec`."""
    m = _SPEC.match(text)
    if not m:
        raise ValueError(f"tracejit.export: example {text!r} is not of the form dtype[dims], e.g. f32[N,64]")
    name, body = m.groups()
    try:
        dtype = np.dtype(DTYPE_NAMES.get(name, name))
    except TypeError:
        raise ValueError(f"tracejit.export: unknown dtype {name!r} in {text!r}") from None
    dims: list[int | str] = []
    for part in (p.strip() for p in body.split(",")) if body else ():
        if part.isdigit():
            dims.append(int(part))
        elif _SYMBOL.match(part):
            dims.append(part)
        else:
            raise ValueError(f"tracejit.export: dim {part!r} of {text!r} is neither a size nor a name")
    return ExampleSpec(dtype, tuple(dims))


def as_spec(arg: object) -> ExampleSpec:
    """An example argument as a spec: a string is parsed, an array has fixed dims."""
    if isinstance(arg, ExampleSpec):
        return arg
    if isinstance(arg, str):
        return parse_spec(arg)
    if isinstance(arg, np.ndarray):
        if arg.dtype.kind not in "biuf":
            raise UnsupportedError(f"tracejit.export: arguments of dtype {arg.dtype} cannot be exported yet")
        return ExampleSpec(arg.dtype, tuple(int(n) for n in arg.shape))
    raise UnsupportedError(f"tracejit.export: example arguments are arrays or specs like 'f32[N,64]', "
                           f"not {type(arg).__name__}")
