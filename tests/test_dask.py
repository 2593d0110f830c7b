"""Jitted functions in dask (issue 20): ``map_blocks``, ``blockwise`` and ``delayed`` on the threaded
scheduler (blocks run at once: native code releases the GIL) and on a 2-process ``LocalCluster``
(one cluster for the module): results equal NumPy's, each worker compiles a signature at most once,
and with the shared disk cache a restarted (warm) cluster compiles nothing. Also
``examples/dask_blocks.py`` at a small size, on that cluster and on the threaded scheduler."""
from __future__ import annotations

import importlib.util
import logging
import os
import pathlib
import subprocess
import sys
import threading
import time
import types

import numpy as np
import pytest

import tracejit as tj
from tracejit.runtime.engine import stats as llvm_stats

dask = pytest.importorskip("dask", reason="dask is an optional extra: pip install -e '.[dask]'")
da = pytest.importorskip("dask.array", reason="dask.array is an optional extra: pip install -e '.[dask]'")

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "dask_blocks.py"
META = np.empty((0, 0))  # passed as meta=: else dask calls the function on an empty array to guess it
TIMEOUT = 240  # seconds for one computation on the cluster (a loaded 2-core machine)


@tj.jit
def standardize(x):
    return (x - x.mean(axis=0)) / (x.std(axis=0) + 1.0)


@tj.jit
def heavy(x):
    return (np.tanh(x) * np.exp(-x * x) + np.sqrt(np.abs(x))).sum(axis=1, keepdims=True)


def per_block(fn, data: np.ndarray, rows: int) -> np.ndarray:
    """``fn`` applied to each block of ``rows`` rows, concatenated: what map_blocks computes."""
    return np.concatenate([fn(data[i:i + rows]) for i in range(0, len(data), rows)])


def test_map_blocks_blockwise_delayed_on_threads_equal_numpy_one_trace():
    data = np.random.default_rng(0).standard_normal((8 * 500, 6))
    x = da.from_array(data, chunks=(500, 6))
    before = standardize.cache_info()
    combine = tj.jit(lambda a, b: np.tanh(a) * b + a.sum(axis=1, keepdims=True))
    y = x.map_blocks(standardize, meta=META)
    z = da.blockwise(combine, "ij", x, "ij", 2.0 * x, "ij", dtype=np.float64, meta=META)
    d = dask.delayed(standardize)(data[:500])
    got_y, got_z, got_d = dask.compute(y, z, d, scheduler="threads", num_workers=2)
    np.testing.assert_allclose(got_y, per_block(standardize.eager, data, 500), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got_z, np.tanh(data) * 2.0 * data + data.sum(axis=1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(got_d, standardize.eager(data[:500]), rtol=1e-12, atol=1e-12)
    after = standardize.cache_info()
    # one signature, traced once though two threads called it first at once; 9 calls
    assert after.traces - before.traces == 1 and combine.cache_info().traces == 1, (before, after)
    assert (after.traces + after.hits) - (before.traces + before.hits) == 9


def test_threaded_scheduler_runs_blocks_at_once_with_the_gil_released():
    """Two scheduler threads run blocks at the same time, and Python keeps running meanwhile."""
    data = np.random.default_rng(1).standard_normal((8 * 400_000, 4))
    x = da.from_array(data, chunks=(400_000, 4))
    heavy(data[:400_000])  # compiled first: the blocks time the native call only
    spans, lock = [], threading.Lock()

    def timed(block):
        start = time.perf_counter()
        out = heavy(block)
        with lock:
            spans.append((start, time.perf_counter()))
        return out

    result, done = [], threading.Event()

    def compute():
        result.append(x.map_blocks(timed, chunks=((400_000,) * 8, (1,)), meta=META)
                      .compute(scheduler="threads", num_workers=2))
        done.set()

    worker = threading.Thread(target=compute)
    start = time.perf_counter()
    worker.start()
    ticks = []
    while not done.is_set():
        ticks.append(time.perf_counter())
        time.sleep(0.0005)
    worker.join()
    np.testing.assert_allclose(result[0], per_block(heavy.eager, data, 400_000), rtol=1e-12)
    gaps = np.diff([start] + ticks)
    assert len(ticks) > 10 and gaps.max() < 0.5 * (ticks[-1] - start), (len(ticks), gaps.max())
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    running = np.cumsum([step for _, step in events])
    assert running.max() == 2, spans  # two blocks inside native code at once


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A client of a 2-worker, 1-thread-each LocalCluster of processes sharing a fresh tracejit disk
    cache, and the environment the workers got."""
    distributed = pytest.importorskip("distributed", reason="dask.distributed is an optional extra: "
                                                            "pip install -e '.[dask]'")
    cache = tmp_path_factory.mktemp("tracejit-cache")
    os.chmod(cache, 0o700)
    env = {"TRACEJIT_CACHE": "1", "TRACEJIT_CACHE_DIR": str(cache), "TRACEJIT_NUM_THREADS": "1"}
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                       env=env, silence_logs=logging.ERROR, death_timeout=120)
    client = distributed.Client(cluster, timeout="120s")
    try:
        yield types.SimpleNamespace(client=client, env=env)
    finally:
        client.close(timeout=30)
        cluster.close(timeout=30)


def test_cluster_compiles_once_per_worker_and_nothing_when_warm(cluster):
    client = cluster.client
    workers = client.run(lambda: tj.__file__)
    assert all(path == tj.__file__ for path in workers.values()), workers  # this checkout's tracejit
    data = np.random.default_rng(2).standard_normal((8 * 1000, 6))
    x = da.from_array(data, chunks=(1000, 6))
    local = tj.jit(lambda a, b: np.tanh(a) * b + a.sum(axis=1, keepdims=True))  # sent by value

    def run_all(shift: float):  # (a new shift: new tasks, the same signatures)
        xs, ds = x + shift, data + shift
        pieces = [xs.map_blocks(standardize, meta=META), da.blockwise(local, "ij", xs, "ij", xs + 1.0, "ij", meta=META),
                  dask.delayed(standardize)(ds[:1000])]
        expected = [per_block(standardize.eager, ds, 1000), np.tanh(ds) * (ds + 1.0) + ds.sum(axis=1)[:, None],
                    standardize.eager(ds[:1000])]
        for future, want in zip(client.compute(pieces), expected):
            np.testing.assert_allclose(future.result(timeout=TIMEOUT), want, rtol=1e-12, atol=1e-12)

    run_all(0.0)
    run_all(1.0)  # the same functions again: each worker keeps one object per function (by name or by token)
    for fn in (standardize, local):
        infos = client.run(fn.cache_info)
        assert all(info.traces <= 1 and info.compilations <= 1 for info in infos.values()), infos
        calls = sum(info.traces + info.hits for info in infos.values())
        assert calls == (2 * 9 if fn is standardize else 2 * 8), infos
        assert sum(info.compilations + info.disk_hits + info.reused for info in infos.values()) == \
            sum(info.traces for info in infos.values()), infos

    client.restart(timeout=TIMEOUT)  # fresh worker processes, the same disk cache: warm
    run_all(2.0)
    assert all(n == 0 for n in (s["compilations"] for s in client.run(llvm_stats).values())), \
        client.run(llvm_stats)  # no LLVM at all: functions, dispatcher, thread pool all from disk
    for fn in (standardize, local):
        infos = client.run(fn.cache_info)
        assert all(info.compilations == 0 and info.disk_hits + info.reused == info.traces for info in infos.values())
        assert sum(info.traces for info in infos.values()) >= 1, infos


def test_example_on_the_cluster(cluster):
    """The example's ``__main__`` functions travel by value to the workers; results equal NumPy."""
    client = cluster.client  # (the example's own process shares the workers' disk cache)
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""), **cluster.env)
    done = subprocess.run([sys.executable, str(EXAMPLE), "--gb", "0.004", "--block-mb", "0.5", "--numpy",
                           "--address", client.scheduler.address], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=2 * TIMEOUT)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert "matches NumPy on 2 sampled blocks and in full" in done.stdout, done.stdout
    lines = [line for line in done.stdout.splitlines() if "block_features CacheInfo" in line]
    assert lines and all("traces=1," in line and ("compilations=0" in line or "compilations=1" in line)
                         for line in lines), done.stdout


def test_example_on_threads(monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location("dask_blocks", EXAMPLE)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    monkeypatch.setattr(tj.config, "num_threads", tj.config.num_threads)  # (main sets it: restored after)
    assert example.main(["--gb", "0.004", "--block-mb", "0.5", "--scheduler", "threads", "--threads", "2",
                         "--numpy", "--sample", "3"]) == 0
    out = capsys.readouterr().out
    assert "in 8 blocks" in out and "matches NumPy on 3 sampled blocks and in full" in out, out
    assert example.block_features.cache_info().traces == 1
