"""Feature statistics of an array larger than a worker's memory, block by block, on a dask cluster.

The data is a virtual float64 array (rows x features, 2 GB by default) that is never held
anywhere: each block is generated on the worker that needs it from ``(seed, block index)``,
correlated heavy-tailed columns around per-feature offsets and scales. Two jitted functions
process it block by block:

1. ``block_moments``: per-feature count, mean and sum of squared deviations of a block, merged
   on the client (Chan's parallel formula) into the global mean and standard deviation;
2. ``block_features``: standardizes a block with them, winsorizes at 5 sigma and reduces four
   features per column (mean tanh, mean signed log1p, outlier rate, lag-1 cross-column
   correlation) to one row of sums.

Each worker (2 processes, one thread each, 1 GB of memory each by default) receives the
jitted functions pickled by value (they live in ``__main__``), compiles each signature once
(or loads it from tracejit's disk cache, shared by the workers: a second run compiles nothing)
and streams its blocks through them. A sample of blocks is checked against NumPy, and, with
``--numpy``, the whole second pass is timed with NumPy too.

    python examples/dask_blocks.py                   # 2 GB on a 2-worker LocalCluster
    python examples/dask_blocks.py --gb 0.05 --numpy # a quick run, NumPy timed alongside
    python examples/dask_blocks.py --scheduler threads --threads 2
    python examples/dask_blocks.py --address tcp://host:8786   # an existing cluster

Needs dask (``pip install -e '.[dask]'``). Pass ``meta=`` to ``map_blocks`` as here: without
it dask calls the function on an empty array to guess the result's type, which traces and
compiles a signature of its own.
"""
from __future__ import annotations

import argparse
import logging
import sys
import time

import numpy as np

import tracejit as tj

CLIP = 5.0


def generate_block(block_id: tuple, seed: int, rows: int, features: int) -> np.ndarray:
    """Block ``block_id[0]`` of the virtual array: the same values wherever and whenever it is made."""
    rng = np.random.default_rng([seed, block_id[0]])
    base = rng.standard_normal((rows, features))
    mixed = base + 0.6 * np.roll(base, 1, axis=1)  # neighbouring columns correlated
    tails = rng.standard_t(4.0, size=(rows, 1)) * 0.3  # a common heavy-tailed factor
    return (mixed + tails) * (1.0 + 0.25 * np.arange(features)) + np.linspace(-3.0, 3.0, features)


@tj.jit
def block_moments(x):
    """One row: the block's row count, per-feature means, per-feature sums of squared deviations."""
    mean = x.mean(axis=0)
    d = x - mean
    m2 = (d * d).sum(axis=0)
    count = np.full(1, x.shape[0], dtype=x.dtype)
    return np.concatenate([count, mean, m2])[None, :]


@tj.jit
def block_features(x, mean, inv_std):
    """One row of sums over the block's rows: tanh and signed log1p of the winsorized z-scores,
    the count of |z| > 3, and z[:, j] * z[:, j + 1] (the last column's product with the first)."""
    z = np.clip((x - mean) * inv_std, -CLIP, CLIP)
    soft = np.tanh(z).sum(axis=0)
    logs = (np.sign(z) * np.log1p(np.abs(z))).sum(axis=0)
    outliers = (np.abs(z) > 3.0).sum(axis=0).astype(x.dtype)
    lag = (z * np.roll(z, -1, axis=1)).sum(axis=0)
    return np.concatenate([soft, logs, outliers, lag])[None, :]


def merge_moments(rows: np.ndarray, features: int) -> tuple[float, np.ndarray, np.ndarray]:
    """Chan's parallel merge of per-block (count, mean, M2) rows: total count, mean, std."""
    count, mean, m2 = 0.0, np.zeros(features), np.zeros(features)
    for row in rows:
        n, block_mean, block_m2 = row[0], row[1:features + 1], row[features + 1:]
        delta = block_mean - mean
        total = count + n
        mean = mean + delta * (n / total)
        m2 = m2 + block_m2 + delta * delta * (count * n / total)
        count = total
    return count, mean, np.sqrt(m2 / count)


def virtual_array(da, seed: int, blocks: int, rows: int, features: int):
    """The dask array of ``blocks`` blocks of ``rows`` rows, each generated where it is used."""
    return da.map_blocks(generate_block, seed=seed, rows=rows, features=features, dtype=np.float64,
                         chunks=((rows,) * blocks, (features,)), meta=np.empty((0, 0)))


def run(x, moments_fn, features_fn, features: int) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """Both passes over ``x``: (feature means per column, row count, mean, std), with these block functions."""
    meta = np.empty((0, 0))
    rows = x.map_blocks(moments_fn, chunks=((1,) * x.numblocks[0], (2 * features + 1,)), meta=meta).compute()
    count, mean, std = merge_moments(rows, features)
    sums = x.map_blocks(features_fn, mean, 1.0 / std, chunks=((1,) * x.numblocks[0], (4 * features,)),
                        meta=meta).sum(axis=0).compute()
    return sums.reshape(4, features) / count, count, mean, std


def main(argv: list[str] | None = None) -> int:
    """Parse options, start (or join) a cluster, run both passes, check against NumPy, print timings."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gb", type=float, default=2.0, help="size of the virtual array in GB (default 2)")
    parser.add_argument("--block-mb", type=float, default=32.0, help="size of one block in MB (default 32)")
    parser.add_argument("--features", type=int, default=16, help="columns (default 16)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scheduler", choices=["processes", "threads"], default="processes",
                        help="a LocalCluster of worker processes (default) or dask's threaded scheduler")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker / of the threaded scheduler")
    parser.add_argument("--memory-limit", default="1GB", help="memory of each worker process (default 1GB)")
    parser.add_argument("--address", help="join the dask scheduler at this address instead")
    parser.add_argument("--sample", type=int, default=2, help="blocks checked against NumPy (default 2)")
    parser.add_argument("--numpy", action="store_true", help="also time the second pass with NumPy")
    args = parser.parse_args(argv)
    try:
        import dask
        import dask.array as da
    except ImportError:
        sys.exit("this example needs dask: pip install -e '.[dask]'")

    features = args.features
    rows = max(1, int(args.block_mb * 1e6 / (8 * features)))
    blocks = max(1, round(args.gb * 1e9 / (8 * features * rows)))
    x = virtual_array(da, args.seed, blocks, rows, features)
    print(f"virtual array {x.shape[0]} x {features} float64 = {x.nbytes / 1e9:.2f} GB in {blocks} blocks of "
          f"{rows * features * 8 / 1e6:.1f} MB")

    client = cluster = None
    if args.address or args.scheduler == "processes":
        from distributed import Client, LocalCluster
        if args.address:
            client = Client(args.address, timeout="60s")
        else:  # one tracejit thread per worker: the workers already use the cores
            cluster = LocalCluster(n_workers=args.workers, threads_per_worker=args.threads, processes=True,
                                   memory_limit=args.memory_limit, dashboard_address=None,
                                   silence_logs=logging.ERROR,
                                   env={"TRACEJIT_NUM_THREADS": str(args.threads)})
            client = Client(cluster, timeout="60s")
        print(f"cluster: {len(client.scheduler_info()['workers'])} workers, {args.memory_limit} each"
              if cluster else f"cluster at {args.address}")
        context = dask.config.set()
    else:  # the scheduler's threads share the cores: tracejit's parallel loops run on the caller's thread
        tj.config.num_threads = 1
        context = dask.config.set(scheduler="threads", num_workers=args.threads)
    try:
        with context:
            t0 = time.perf_counter()  # a pass that only makes the blocks: what the data source costs
            x.map_blocks(lambda b: b[:1], chunks=((1,) * blocks, (features,)), meta=np.empty((0, 0))).compute()
            print(f"generating the blocks alone: {time.perf_counter() - t0:.2f} s a pass")
            t0 = time.perf_counter()
            result, count, mean, std = run(x, block_moments, block_features, features)
            seconds = time.perf_counter() - t0
            print(f"tracejit: both passes {seconds:.2f} s ({x.nbytes / 1e9 / seconds:.2f} GB/s, the first "
                  f"calls' compilation included)")
            if client is not None:
                for worker, info in sorted(client.run(block_features.cache_info).items()):
                    print(f"  {worker}: block_features {info}")
            if args.numpy:
                t0 = time.perf_counter()
                expected, *_ = run(x, block_moments.eager, block_features.eager, features)
                numpy_seconds = time.perf_counter() - t0
                print(f"NumPy:    both passes {numpy_seconds:.2f} s ({numpy_seconds / seconds:.2f}x tracejit's time)")
                np.testing.assert_allclose(result, expected, rtol=1e-9, atol=1e-12)
        for b in np.linspace(0, blocks - 1, min(args.sample, blocks)).astype(int):
            block = generate_block((b,), args.seed, rows, features)
            np.testing.assert_allclose(block_features(block, mean, 1.0 / std),
                                       block_features.eager(block, mean, 1.0 / std), rtol=1e-9, atol=1e-9)
            np.testing.assert_allclose(block_moments(block), block_moments.eager(block), rtol=1e-9, atol=1e-9)
        print(f"matches NumPy on {min(args.sample, blocks)} sampled blocks" + (" and in full" if args.numpy else ""))
        print("mean tanh(z) of the first columns:", np.round(result[0, :4], 4), " outlier rate:",
              np.round(result[2, :4], 5))
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
