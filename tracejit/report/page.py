"""The compile report as one self-contained HTML page: no network, every text escaped.

The page (sections in order): a summary; ``#graph``, the traced graph drawn
(``svg.render_graph``, nodes coloured by kernel, linked to the source lines); ``#source``,
the user's lines (anchors ``src-LINE``); ``#kernels``, one ``section.kernel`` per kernel
(loop nests, schedules, the buffers with their memory plan, the LLVM IR and assembly
folded); ``#memory``; ``#passes``, a ``details.pass`` per pass with its time (the graph
drawn after each graph pass when it is small, ``collect.PASS_GRAPH_LIMIT``; counts of
nodes and of ops changed otherwise); ``#fallbacks``; ``#times``, the compile-time
breakdown with bars; ``#module``, the module's other functions. The style and script
(``script.py``) are inlined.
"""
from __future__ import annotations

import os
from html import escape
from typing import TYPE_CHECKING

from tracejit.report.collect import KernelView, PassView, ReportData, collect
from tracejit.report.script import SCRIPT, STYLE
from tracejit.report.svg import render_graph
from tracejit.report.texts import truncated

if TYPE_CHECKING:
    from tracejit.frontend.lowered import Lowered

TEXT_LIMIT = 60_000  # characters of one folded block (a kernel's IR or assembly); the rest is cut, and said so
NODE_LIST_LIMIT = 200  # graph nodes listed per kernel


def render(data: ReportData) -> str:
    """The page of ``data`` (see the module docstring)."""
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>tracejit report: {escape(data.name)}</title>", f"<style>{STYLE}</style></head><body>",
        _summary(data), _graph(data), _source(data),
        '<section id="kernels"><h2>Kernels</h2>', *(_kernel(k) for k in data.kernels), "</section>",
        _memory(data), _passes(data.passes), _fallbacks(data), _times(data), _module(data),
        f"<script>{SCRIPT}</script>", "</body></html>",
    ]
    return "\n".join(parts)


def report(lowered: Lowered, path: str | os.PathLike | None = None) -> str:
    """The report page of ``lowered`` (compiled now if not yet), written to ``path`` when given."""
    page = render(collect(lowered))
    if path is not None:
        with open(path, "w", encoding="utf-8") as file:
            file.write(page)
    return page


def _pre(text: str, limit: int = TEXT_LIMIT) -> str:
    shown, cut = truncated(text, limit)
    note = (f'\n<p class="cut">(cut at {limit} of {len(text)} characters: the whole text is '
            f"<code>lowered.as_text(...)</code>)</p>") if cut else ""
    return f"<pre>{escape(shown)}</pre>{note}"


def _folded(summary: str, text: str) -> str:
    body = _pre(text) if text else "<p>(none)</p>"
    return f"<details><summary>{escape(summary)}</summary>{body}</details>"


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _link(k: KernelView) -> str:
    return (f'<a class="kernel-link" data-kernel="{k.index}" href="#kernel-{k.index}">'
            f"kernel {k.index}: {escape(k.name)}</a>")


def _summary(data: ReportData) -> str:
    links = " ".join(f'<a href="#{s}">{s}</a>' for s in
                     ("graph", "source", "kernels", "memory", "passes", "fallbacks", "times", "module"))
    facts = [("function", data.name), ("arguments", ", ".join(data.signature) or "(none)"),
             ("traced nodes", str(len(data.nodes))), ("kernels", str(len(data.kernels))),
             ("fallbacks", str(len(data.fallbacks))), ("compile time", f"{data.total_seconds * 1e3:.1f} ms")]
    return (f"<h1>tracejit compile report: {escape(data.name)}</h1><nav>{links}</nav>"
            + _table(("", ""), facts))


def _graph(data: ReportData) -> str:
    legend = " ".join(f"<li>{_link(k)} ({escape(k.kind)})</li>" for k in data.kernels)
    return (f'<section id="graph"><h2>Traced graph</h2><p>{len(data.nodes)} nodes, {len(data.edges)} edges; '
            f"a node's colour is its kernel, a click on a kernel highlights its nodes.</p>"
            f'<ul class="legend">{legend}</ul>{render_graph(data.nodes, data.edges, graph_id="traced")}</section>')


def _source(data: ReportData) -> str:
    if not data.sources:
        return '<section id="source"><h2>Source</h2><p>(the source lines cannot be read)</p></section>'
    blocks = []
    for number, (path, lines) in enumerate(data.sources):
        anchor = "src-" if number == 0 else f"src{number}-"  # the traced function's own file: src-LINE
        rows = "\n".join(f'<span class="src-line" id="{anchor}{n}">{n:5d}  {escape(text)}</span>'
                         for n, text in lines)
        blocks.append(f"<h3>{escape(path)}</h3><pre>{rows}</pre>")
    converted = _folded("as converted by autograph, with the trace's notes", data.converted) if data.converted else ""
    return f'<section id="source"><h2>Source</h2>{"".join(blocks)}{converted}</section>'


def _kernel(k: KernelView) -> str:
    nodes = " ".join(f"%{n}" for n in k.nodes[:NODE_LIST_LIMIT])
    more = f" (and {len(k.nodes) - NODE_LIST_LIMIT} more)" if len(k.nodes) > NODE_LIST_LIMIT else ""
    buffers = _table(("buffer", "kind", "type", "bytes", "arena offset", "live in kernels"), k.buffer_rows)
    return (f'<section class="kernel" id="kernel-{k.index}" data-kernel="{k.index}">'
            f"<h3>{_link(k)} <small>({escape(k.kind)}, {len(k.nodes)} nodes)</small></h3>"
            f"<p>nodes: {escape(nodes)}{more}</p><h4>Loop nest and schedule</h4>{_pre(k.text)}"
            f"<h4>Memory</h4>{buffers}"
            + _folded("LLVM IR (as generated)", k.llvm) + _folded("LLVM IR (after O3)", k.llvm_opt)
            + _folded("assembly", k.asm) + "</section>")


def _memory(data: ReportData) -> str:
    rows = [(name, str(nbytes)) for name, nbytes in data.memory.items()]
    return f'<section id="memory"><h2>Memory</h2>{_table(("", "bytes"), rows)}{_pre(data.plan_text)}</section>'


def _pass(index: int, p: PassView) -> str:
    change = "changed" if p.changed else "unchanged"
    summary = f"{p.name}: {p.seconds * 1e3:.2f} ms, {change}"
    body = []
    if p.n_nodes is not None:
        delta = ", ".join(f"{op} {d:+d}" for op, d in p.ops_delta.items()) or "no op added or removed"
        summary += f", {p.n_nodes} nodes"
        body.append(f"<p>ops: {escape(delta)}</p>")
    if p.nodes is not None and p.edges is not None:
        body.append(render_graph(p.nodes, p.edges, graph_id=f"pass-{index}"))
    if p.text is not None:
        body.append(_folded("as text", p.text))
    return f'<details class="pass"><summary>{escape(summary)}</summary>{"".join(body)}</details>'


def _passes(passes: list[PassView]) -> str:
    total = sum(p.seconds for p in passes) * 1e3
    return (f'<section id="passes"><h2>Passes</h2><p>{len(passes)} passes, {total:.1f} ms (timed in a '
            f"second run of the pipeline that records each result)</p>"
            + "".join(_pass(i, p) for i, p in enumerate(passes)) + "</section>")


def _fallbacks(data: ReportData) -> str:
    if not data.fallbacks:
        return '<section id="fallbacks"><h2>Fallbacks</h2><p>none: everything runs as compiled code</p></section>'
    rows = [(name, line or "", why) for name, line, why in data.fallbacks]
    nodes = ", ".join(f"%{nid[1:]}" + (f" ({loc})" if loc else "") for nid, loc in data.host_nodes)
    return (f'<section id="fallbacks"><h2>Fallbacks</h2><p>host calls (run in Python with NumPy at run time)</p>'
            f'{_table(("function", "line", "why"), rows)}'
            f"<p>host nodes of the traced graph: {escape(nodes)}</p></section>")


def _times(data: ReportData) -> str:
    longest = max((s for _, s in data.times), default=0.0) or 1.0
    rows = "".join(f"<tr><td>{escape(stage)}</td><td>{s * 1e3:.2f}</td><td>{100 * s / (data.total_seconds or 1):.0f}%"
                   f'</td><td><span class="bar" style="width:{300 * s / longest:.0f}px"></span></td></tr>'
                   for stage, s in data.times)
    return (f'<section id="times"><h2>Compile time</h2><table><thead><tr><th>stage</th><th>ms</th><th>share</th>'
            f"<th></th></tr></thead><tbody>{rows}</tbody><tfoot><tr><td>total</td>"
            f"<td>{data.total_seconds * 1e3:.2f}</td><td></td><td></td></tr></tfoot></table></section>")


def _module(data: ReportData) -> str:
    blocks = "".join(_folded(f"{name}: LLVM IR (after O3)", ir) + _folded(f"{name}: assembly", asm)
                     for name, (ir, asm) in data.module_rest.items())
    return (f'<section id="module"><h2>The module\'s other functions</h2><p>the entry (runs the kernels in turn), '
            f"the call wrapper and the math library</p>{blocks}</section>")
