"""``python -m benchmarks``: progress for every section, the fastest-peer table, the first-call
table by stage, the ``import tracejit`` line, the plain summary and the PNG charts."""
from __future__ import annotations

import io
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import tracejit as tj
from benchmarks import firstcall, plots, sections
from benchmarks.__main__ import SECTIONS, parse_args
from benchmarks.progress import Progress
from benchmarks.report import fastest_peer, format_table
from benchmarks.runner import Row, SystemResult
from benchmarks.summary import compare, summarize
from tracejit.stagetimes import StageTimes, recorded

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROGRESS = re.compile(r"^\[[#.]{20}\] +(\d+)/(\d+) ([a-z]+):.* -> .*\(\d+\.\d s, \d+ s in all\)$")
PNG = b"\x89PNG\r\n\x1a\n"


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", "benchmarks", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def progress_sections(stderr: str) -> tuple[list[str], list[tuple[int, int]]]:
    """The section of every progress line and its (i, n)."""
    found = [PROGRESS.match(line) for line in stderr.splitlines()]
    matched = [m for m in found if m]
    return [m.group(3) for m in matched], [(int(m.group(1)), int(m.group(2))) for m in matched]


def check_run(done: subprocess.CompletedProcess, wanted: list[str], plot_dir: str) -> None:
    assert done.returncode == 0, done.stderr[-3000:]
    names, counts = progress_sections(done.stderr)
    assert set(names) == set(wanted), (names, done.stderr[-3000:])
    assert [i for i, _ in counts] == list(range(1, len(counts) + 1))  # every task counted once, in order
    assert {n for _, n in counts} == {len(counts)}  # and the total announced is the number of tasks
    out = done.stdout
    header = next(line for line in out.splitlines() if line.lstrip().startswith("first call of"))
    for column in ("trace ms", "optimize ms", "LLVM ms", "load ms"):
        assert column in header
    summary = out[out.index("\nsummary:"):]
    assert re.search(r"tracejit is faster than NumPy on \d+ of \d+ workloads \(median [\d.]+x\)", summary)
    assert "import tracejit takes" in summary and "Every tracejit result matched NumPy's." in summary
    for jargon in ("PASS", "FAIL", "n/a", "judgement"):
        assert jargon not in summary
    if plots.available():
        pngs = sorted(f for f in os.listdir(plot_dir) if f.endswith(".png"))
        assert pngs == ["first_call.png", "speedup_corpus.png", "speedup_workloads.png"]
        for name in pngs:
            with open(os.path.join(plot_dir, name), "rb") as f:
                assert f.read(8) == PNG
    else:
        assert "matplotlib is not installed" in done.stderr


def test_cli_on_a_tiny_subset(tmp_path):
    """Workloads and corpus programs named like ``mlp``, the call overhead and the import time."""
    wanted = ["workloads", "dispatch", "corpus", "import"]
    done = run_cli("--quick", "--no-peers", "--only", "mlp", "--sections", ",".join(wanted),
                   "--plots", str(tmp_path))
    check_run(done, wanted, str(tmp_path))
    out = done.stdout
    table = out[out.index("workload  "):]
    assert "fastest peer" in table.splitlines()[0] and "vs peer" in table.splitlines()[0]
    first = [line.split() for line in out.splitlines() if line.lstrip().startswith("mlp ")]
    kinds = {cells[1] for cells in first if len(cells) == 9}
    assert kinds == {"workload", "program"}, first
    assert any(cells[-1] == "compiled" and float(cells[5]) > 0 for cells in first if len(cells) == 9)  # LLVM ran


@pytest.mark.slow
def test_cli_every_section_shows_progress(tmp_path):
    wanted = [s for s in SECTIONS if s != "scaling"]
    done = run_cli("--quick", "--no-peers", "--plots", str(tmp_path), timeout=900)
    check_run(done, wanted, str(tmp_path))


def test_default_sections_and_only():
    assert parse_args([]).sections == [s for s in SECTIONS if s != "scaling"]
    assert parse_args(["--only", "mlp"]).sections == ["workloads", "corpus"]
    assert parse_args(["--scaling", "1,2"]).sections[-1] == "scaling"
    with pytest.raises(SystemExit):
        parse_args(["--sections", "workloads,nonsense"])


def test_progress_lines_have_section_count_and_time():
    out = io.StringIO()
    p = Progress(3, out)
    p.section("corpus")
    p.begin("lu")
    p.step("tracejit")
    p.end("1 ms")
    with p.task("mlp") as box:
        box["summary"] = "2 ms"
    with pytest.raises(ValueError), p.task("broken"):
        raise ValueError("x")
    lines = out.getvalue().splitlines()
    assert [PROGRESS.match(line).groups() for line in lines] == [("1", "3", "corpus"), ("2", "3", "corpus"),
                                                                  ("3", "3", "corpus")]
    assert "lu: tracejit -> 1 ms" in lines[0] and "mlp: -> 2 ms" in lines[1] and "raised ValueError" in lines[2]


def test_recorded_first_call_has_every_stage_group(monkeypatch):
    monkeypatch.setattr(tj.config, "cache_enabled", False)
    f = tj.jit(lambda x, y: np.tanh(x) @ y + 3.5)
    x = np.linspace(0, 1, 16).reshape(4, 4)
    with recorded() as records:
        np.testing.assert_allclose(f(x, x), np.tanh(x) @ x + 3.5)
        f(x, x)  # cached: not compiled again
    assert len(records) == 1
    call = firstcall.from_records("f", "workload", 10.0, records)
    assert call.source == "compiled" and call.compilations == 1
    assert all(call.groups[g] > 0 for g in firstcall.GROUPS), call.groups
    assert call.rest == pytest.approx(10.0 - sum(call.groups.values()))
    with recorded() as later:
        pass
    assert later == [] and firstcall.from_records("g", "program", 1.0, later).groups == {}


def test_stage_groups_add_the_stages():
    times = StageTimes()
    times.seconds = {"trace": 1.0, "graph passes": 2.0, "kernel passes": 0.5, "codegen": 3.0, "LLVM optimize": 4.0,
                     "machine code": 1.0, "load": 0.25}
    assert firstcall.grouped(times) == {"trace": 1.0, "optimize": 2.5, "LLVM": 8.0, "load": 0.25}
    reused = StageTimes()
    reused.seconds = {"trace": 0.1, "program cache": 0.01}
    assert firstcall.from_records("h", "workload", None, [("h", reused)]).source == "reused"


def _row(name: str, numpy_ms: float, ms: dict[str, float | None]) -> Row:
    systems = {"numpy": SystemResult("ok", numpy_ms)}
    systems.update({k: SystemResult("ok", v) if v else SystemResult("n/a") for k, v in ms.items()})
    return Row(name, "", "8", 3, 1, 1.0, systems)


def test_fastest_peer_table_and_summary_sentences():
    rows = [_row("a", 2.0, {"tracejit": 1.0, "jax": 0.5, "torch": 0.8}),
            _row("b", 1.0, {"tracejit": 2.0, "jax": None, "torch": 4.0}),
            _row("c", 1.0, {"tracejit": 1.01, "jax": 2.0, "torch": None})]
    peers = ["jax", "torch"]
    assert [fastest_peer(r, peers) for r in rows] == ["jax", "torch", "jax"]
    table = format_table(rows, peers, None).splitlines()
    assert table[2].split()[:8] == ["a", "8", "2.000", "1.000", "2.00x", "jax", "0.500", "0.50x"]
    text = compare({r.name: r.ratio("tracejit", "numpy") for r in rows}, "workloads", "NumPy")
    assert text == ("tracejit is faster than NumPy on 1 of 3 workloads (median 0.99x), about as fast (within 5%) "
                    "on 1; slower on: b (0.50x).")
    summary = summarize(rows, peers, [{"name": "lu", "speedup": 4.0, "ok": True}], [], 0.25, [], quick=True)
    assert "the fastest other library beats tracejit on: a (jax, 0.50x)." in summary
    assert "On 1 real NumPy programs, tracejit is faster than NumPy on 1 of 1 programs" in summary
    assert "import tracejit takes 250 ms" in summary and "quick run" in summary


def test_charts_need_matplotlib_and_say_so(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(plots, "available", lambda: False)
    opts = parse_args(["--plots", str(tmp_path)])
    info = {"cpu": "cpu", "cores": 2}
    assert sections.write_plots(opts, info, [_row("a", 2.0, {"tracejit": 1.0})], [], [], [], None) == []
    assert "matplotlib is not installed" in capsys.readouterr().err and not os.listdir(tmp_path)


def test_thread_scaling_chart(tmp_path):
    pytest.importorskip("matplotlib")
    reports = {n: {"rows": [{"name": "w", "systems": {"tracejit": {"median_ms": 4.0 / n}}}]} for n in (1, 2, 4)}
    path = plots.write_all(str(tmp_path), "t", [], [], [], [], reports)
    assert path == [str(tmp_path / "thread_scaling.png")]
    with open(path[0], "rb") as f:
        assert f.read(8) == PNG
