"""Compile reports (``tracejit/report/``): ``Lowered.report(path)`` and ``TRACEJIT_REPORT=dir``
write one self-contained HTML page: a section per kernel, every traced node drawn, the LLVM
IR and assembly, source lines linked, no URL to fetch. (The page in a real browser: the
browser test of ``report/script.py``.)"""
from __future__ import annotations

import logging
import re
import time
from html.parser import HTMLParser

import numpy as np
import pytest

import tracejit as tj
from tracejit.config import Config, config
from tracejit.report.collect import PASS_GRAPH_LIMIT, collect, node_id, split_module
from tracejit.report.passstats import counted_passes
from tracejit.report.texts import asm_functions, llvm_functions, op_counts, parse_graph_dump, truncated

VOID = {"meta", "br", "hr", "img", "input", "link", "wbr", "col", "area", "base", "source"}


class Page(HTMLParser):
    """The page parsed: tags must nest properly; attribute values per section id, ids, links."""

    def __init__(self, text: str):
        super().__init__()
        self.stack: list[str] = []
        self.sections: list[str] = []  # ids of the open <section>s
        self.attrs_in: dict[str, list[str]] = {}  # section id -> every attribute value inside it
        self.ids: list[str] = []
        self.links: list[str] = []
        self.urls: list[str] = []  # src, href and xlink:href values
        self.kernel_sections: list[dict] = []
        self.scripts = 0
        self.feed(text)
        self.close()
        assert not self.stack, f"unclosed tags: {self.stack}"

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if tag == "section":
            self.sections.append(attrs.get("id", ""))
            if attrs.get("class") == "kernel":
                self.kernel_sections.append(attrs)
        for section in self.sections:
            self.attrs_in.setdefault(section, []).extend(v for v in attrs.values() if v)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        for key in ("src", "href", "xlink:href"):
            if key in attrs:
                self.urls.append(attrs[key])
        if tag == "a" and "href" in attrs:
            self.links.append(attrs["href"])
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)
            self.stack.pop() if self.stack and self.stack[-1] == tag else None

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()
        if tag == "section":
            self.sections.pop()


def tokens(values: list[str]) -> set[str]:
    return {t for v in values for t in re.split(r"[^\w]", v) if t}


def check_page(text: str, lowered) -> Page:
    """What every report must hold, for ``lowered``'s program."""
    page = Page(text)
    assert page.ids.count("graph") == 1 and len(page.ids) == len(set(page.ids)), "ids are unique"
    graph = lowered.traced.graph
    drawn = tokens(page.attrs_in.get("graph", []))
    missing = [n for n in graph.topo_order() if node_id(n) not in drawn]
    assert not missing, f"nodes not drawn: {missing[:10]}"
    kernels = lowered.kernels
    assert [int(s["data-kernel"]) for s in page.kernel_sections] == list(range(len(kernels)))
    assert [s["id"] for s in page.kernel_sections] == [f"kernel-{k}" for k in range(len(kernels))]
    for k, kernel in enumerate(kernels):
        link = f'<a class="kernel-link" data-kernel="{k}" href="#kernel-{k}">kernel {k}: {kernel.name}</a>'
        assert link in text
    for section in ("graph", "source", "kernels", "memory", "passes", "fallbacks", "times", "module"):
        assert section in page.ids
    assert not [u for u in page.urls if re.match(r"\s*(https?:)?//", u)], "no URL to fetch"
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", text) and "@import" not in text
    assert "<link" not in text and "<img" not in text and page.scripts == 1
    return page


def small(x, w):
    h = np.maximum(x @ w + 1.0, 0.0)
    gate = np.where(h < 0.5, h, -h)  # "<" in the source: escaped on the page
    return np.exp(gate.sum(axis=1)) * 2


def test_report_of_a_small_program(tmp_path):
    x, w = np.random.default_rng(0).standard_normal((2, 4, 3)), np.ones((3, 5))
    lowered = tj.jit(small).lower(x, w[:3])
    path = tmp_path / "report.html"
    text = lowered.report(path)
    assert path.read_text() == text
    page = check_page(text, lowered)
    assert len(page.kernel_sections) == len(lowered.kernels) >= 1
    sections = [part.split("</section>")[0] for part in text.split('<section class="kernel"')[1:]]
    for kernel_text in sections:  # each kernel: IR as generated, after O3, assembly, folded
        assert kernel_text.count("<details>") == 3 and "define " in kernel_text and ".size" in kernel_text
    assert lowered.as_text("asm").count(".size") >= len(lowered.kernels)
    lines = {int(loc.rsplit(":", 1)[1]) for n in lowered.traced.graph.topo_order()
             if (loc := lowered.traced.graph.loc(n)) and __file__.endswith(loc.rsplit(":", 1)[0])}
    assert lines and all(f"src-{line}" in page.ids for line in lines), "every traced line has its anchor"
    assert {f"#src-{line}" for line in lines} & set(page.links), "graph nodes link to their lines"
    assert "h &lt; 0.5" in text and "h < 0.5" not in text
    assert '<details class="pass">' in text and "fusion" in text
    for stage in ("trace", "graph passes", "codegen", "LLVM optimize"):
        assert f"<td>{stage}</td>" in text.split('id="times"')[1]
    np.testing.assert_allclose(tj.jit(small)(x, w[:3]), small(x, w[:3]))


def test_control_flow_program():
    def f(x, n):
        def body(state):
            i, v = state
            return i + 1, tj.cond(v.sum() > 0, lambda a: a * 0.5, lambda a: a - 1.0, v)
        return tj.while_loop(lambda s: s[0] < n, body, (0, x))[1]

    x = np.arange(6.0)
    lowered = tj.jit(f).lower(x, 3)
    page = check_page(lowered.report(), lowered)
    ops = {lowered.traced.graph.op(n) for n in lowered.traced.graph.topo_order()}
    assert "while" in " ".join(ops) or "loop" in " ".join(ops)
    assert any(k.kind == "control" for k in lowered.kernels) and page.kernel_sections
    control = [k for k in collect(lowered).kernels if k.kind == "control"]
    assert control[0].llvm.count("define ") > 1, "a loop's kernel shows its sub-programs' functions"
    assert "sub-program body" in control[0].text
    np.testing.assert_allclose(tj.jit(f)(x, 3), f(x, 3))


@pytest.mark.parametrize("fun, args", [
    (lambda x: x, (np.ones(3),)),  # an argument returned: one copy kernel
    (lambda x: (x.T, 2.0 * np.ones(2)), (np.ones((2, 3)),)),  # a transposed view and a constant result
    (lambda x: x[0] + 1, (np.ones((2, 3), np.float32),)),
], ids=["identity", "view-and-constant", "row"])
def test_report_of_edge_programs(fun, args):
    lowered = tj.jit(fun).lower(*args)
    check_page(lowered.report(), lowered)


def test_host_fallback_is_listed():
    def f(x):
        return np.abs(np.fft.rfft(x)).sum() + x.mean()

    x = np.linspace(0, 1, 8)
    lowered = tj.jit(f).lower(x)
    text = lowered.report()
    check_page(text, lowered)
    fallbacks = text.split('id="fallbacks"')[1].split("</section>")[0]
    assert "numpy.fft.rfft" in fallbacks and "no native handler" in fallbacks
    host = [n for n in lowered.traced.graph.topo_order() if lowered.traced.graph.op(n) == "host"]
    assert host and all(f"%{n}" in fallbacks for n in host)
    data = collect(lowered)
    assert all(node.kernel is None for node in data.nodes if node.id in {node_id(n) for n in host})
    np.testing.assert_allclose(tj.jit(f)(x), f(x))


def test_report_dir_writes_one_file_per_compilation(tmp_path, monkeypatch, restored_config):
    assert Config.from_env({"TRACEJIT_REPORT": str(tmp_path)}).report_dir == str(tmp_path)
    assert Config.from_env({}).report_dir == ""
    reports = tmp_path / "reports"
    monkeypatch.setattr(config, "report_dir", str(reports))
    f = tj.jit(lambda x: np.sin(x) * 2)
    for n in (3, 3, 5, 5, 3):  # two signatures: two compilations
        np.testing.assert_allclose(f(np.ones(n)), np.sin(np.ones(n)) * 2)
    files = sorted(p.name for p in reports.iterdir())
    assert files == ["_lambda_-0.html", "_lambda_-1.html"], files
    assert all("<section class=\"kernel\"" in (reports / name).read_text() for name in files)


def test_report_dir_that_cannot_be_written_warns(tmp_path, monkeypatch, restored_config, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setattr(config, "report_dir", str(blocker / "reports"))
    with caplog.at_level(logging.WARNING, logger="tracejit"):
        np.testing.assert_allclose(tj.jit(lambda x: x + 1)(np.ones(2)), 2.0)
    assert "TRACEJIT_REPORT" in caplog.text


def test_graph_dump_parses_back_to_the_graph():
    for fun, args in ((small, (np.ones((4, 3)), np.ones((3, 5)))),
                      (lambda x: np.abs(np.fft.rfft(x)).sum(), (np.ones(8),)),
                      (lambda x: (x[::2] * x[::2]).reshape(2, 2).T @ np.eye(2, dtype=np.float32),
                       (np.ones(8, np.float32),))):
        graph = tj.jit(fun).lower(*args).traced.graph
        nodes, edges = parse_graph_dump(graph.as_text())
        assert [n.id for n in nodes] == graph.topo_order()
        assert [n.op for n in nodes] == [graph.op(n) for n in graph.topo_order()]
        assert [n.loc for n in nodes] == [graph.loc(n) for n in graph.topo_order()]
        assert edges == [(u, v) for v in graph.topo_order() for u in graph.operands(v)]
    with pytest.raises(ValueError, match="not a graph dump line"):
        parse_graph_dump("graph f:\n  %1 = add\n")


def test_counted_passes_are_the_recorded_ones():
    """The big-graph path (passes counted, not dumped) replays the pipeline's graph passes."""
    lowered = tj.jit(small).lower(np.ones((4, 3)), np.ones((3, 5)))
    records = [r for r in lowered.compilation.pass_records() if r.text.startswith("graph ")]
    counts = counted_passes(lowered.traced.graph)
    assert [(c.name, c.changed) for c in counts] == [(r.name, r.changed) for r in records]
    assert [c.ops for c in counts] == [op_counts(r.text) for r in records]
    assert any(c.changed for c in counts)


def test_module_split_per_kernel():
    assert split_module(["p_k0", "p_k0_task", "p_k0_k1", "p_k0_k1_task", "p_entry", "tracejit.exp64.f64"],
                        ("p_k0", "p_k0_k1")) == ([["p_k0", "p_k0_task"], ["p_k0_k1", "p_k0_k1_task"]],
                                                 ["p_entry", "tracejit.exp64.f64"])
    ir = ('declare void @g()\ndefine void @"a.b"(i8* %x) {\nentry:\n  ret void\n}\n\n'
          'define i64 @c() #0 {\n  ret i64 1\n}\n')
    assert list(llvm_functions(ir)) == ["a.b", "c"] and llvm_functions(ir)["c"].endswith("}")
    asm = "\t.text\n.LCPI0_0:\n\t.quad 1\nf:\n\tret\n\t.size\tf, .Lfunc_end0-f\ng:\n\tret\n\t.size\tg, .Lfunc_end1-g\n"
    assert list(asm_functions(asm)) == ["f", "g"] and ".LCPI0_0" in asm_functions(asm)["f"]
    assert truncated("ab\ncd\nef", 5) == ("ab", True) and truncated("ab", 5) == ("ab", False)


COEFS = [1.0 + 1e-4 * i for i in range(1700)]


def long_chain(x):
    for i, c in enumerate(COEFS):  # a Python loop over a list: traced through, 3 nodes a step
        x = x * c + 0.5
        if i % 600 == 599:
            x = x - x.mean()
    return x


def test_report_of_5000_nodes_stays_small_and_quick():
    lowered = tj.jit(long_chain).lower(np.ones(64))
    assert len(lowered.traced.graph) >= 5000 > PASS_GRAPH_LIMIT
    lowered.executable  # noqa: B018 - compiled first: the report's own time is measured below
    start = time.perf_counter()
    text = lowered.report()
    seconds = time.perf_counter() - start
    check_page(text, lowered)
    assert text.count("<svg") == 1, "a graph this big is drawn once; each pass shows counts only"
    sections = set(re.findall(r'<section class="kernel" id="kernel-(\d+)"', text))
    lit = {k for tag in re.findall(r'<g class="node"[^>]*>', text)
           for found in re.findall(r'data-kernels?="([^"]*)"', tag) for k in found.split()}
    assert sections and sections <= lit, f"kernels whose link lights no node: {sorted(sections - lit)}"
    passes = text.split('id="passes"')[1].split("</section>")[0]
    assert passes.count('<details class="pass">') >= 3 and "fusion: " in passes and "<pre>" not in passes
    assert len(text) < 12_000_000, len(text)
    assert seconds < 120, seconds  # measured: see docs/design.md (a shared machine: a loose bound)
