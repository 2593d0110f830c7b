"""Splitting the text dumps a compile report shows: an LLVM module and its assembly into
functions (so each kernel shows its own), and a graph dump (``Graph.as_text``, as the pass
records keep it) back into nodes and edges (so a graph after a pass can be drawn)."""
from __future__ import annotations

import re
from dataclasses import dataclass

_DEFINE = re.compile(r'^define\b[^@]*@"?([^"(\s]+)"?\(')
_ASM_SIZE = re.compile(r"^\s*\.size\s+([^,\s]+),")
# one top-level node of Graph.as_text: "  %id = op[attrs] %a, %b : aval   [tag]  # loc"
_NODE = re.compile(r"^  %(\d+) = ([^\s\[]+)(.*?)((?: %\d+,?)*) : (\S+)(?:\s+\[[^\]]*\])?(?:\s+# (.*))?$")
_HEAD = re.compile(r"^  %(\d+) = ([^\s\[]+)")


def llvm_functions(module: str) -> dict[str, str]:
    """The functions defined in an LLVM module's text, name -> text (``define`` to its ``}``),
    in module order; declarations, globals and metadata are left out."""
    functions: dict[str, str] = {}
    name, body = None, []
    for line in module.splitlines():
        if name is None:
            match = _DEFINE.match(line)
            if match:
                name, body = match.group(1), [line]
            continue
        body.append(line)
        if line == "}":
            functions[name] = "\n".join(body)
            name = None
    return functions


def asm_functions(asm: str) -> dict[str, str]:
    """The functions of an assembly listing, name -> text: each from the end of the one
    before (its constant pools and section directives included) to its ``.size`` line."""
    functions: dict[str, str] = {}
    chunk: list[str] = []
    for line in asm.splitlines():
        chunk.append(line)
        match = _ASM_SIZE.match(line)
        if match:
            functions[match.group(1)] = "\n".join(chunk)
            chunk = []
    return functions


@dataclass(frozen=True)
class DumpNode:
    """One node read back from a graph dump: id, op, abstract value text and source line."""

    id: int
    op: str
    aval: str
    loc: str | None


def parse_graph_dump(text: str) -> tuple[list[DumpNode], list[tuple[int, int]]]:
    """The top-level nodes (in dump order) and operand edges (operand, user) of a
    ``Graph.as_text`` dump; the nested graphs of loops and branches are left out. A line
    not in the dump's format raises ValueError (the format changed: this must follow)."""
    nodes: list[DumpNode] = []
    edges: list[tuple[int, int]] = []
    for line in text.splitlines()[1:]:
        if not line.startswith("  %"):
            continue  # "    body of %7:" and the nested graph's lines, indented further
        match = _NODE.match(line)
        if match is None:
            raise ValueError(f"not a graph dump line: {line!r}")
        nid = int(match.group(1))
        nodes.append(DumpNode(nid, match.group(2), match.group(5), match.group(6)))
        edges.extend((int(u), nid) for u in re.findall(r"%(\d+)", match.group(4)))
    return nodes, edges


def op_counts(text: str) -> dict[str, int]:
    """How many top-level nodes of each op a ``Graph.as_text`` dump holds (cheap: no full parse)."""
    counts: dict[str, int] = {}
    for line in text.splitlines():
        match = _HEAD.match(line)
        if match:
            counts[match.group(2)] = counts.get(match.group(2), 0) + 1
    return counts


def truncated(text: str, limit: int) -> tuple[str, bool]:
    """``text`` cut to at most ``limit`` characters at a line end, and whether it was cut."""
    if len(text) <= limit:
        return text, False
    cut = text.rfind("\n", 0, limit)
    return text[:cut if cut > 0 else limit], True
