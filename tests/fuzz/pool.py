"""A pool of worker subprocesses with per-program timeouts; dead workers are replaced.

A worker that dies while running a program gives that program the class ``crash``
(with the signal and the tail of the worker's log, where Python's faulthandler and the C
library print); one that does not answer within the timeout is killed, ``hang``. Workers
are also recycled every ``recycle`` programs (compiled code is never freed in a process).
"""
from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class Worker:
    """One worker subprocess and the job it is running."""

    def __init__(self, log_dir: Path, index: int):
        self.log_path = log_dir / f"worker{index}.log"
        self.log = open(self.log_path, "ab")
        env = dict(os.environ, TRACEJIT_CACHE="0", PYTHONFAULTHANDLER="1", PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.fuzz.worker"], cwd=REPO, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log)
        self.job: dict | None = None
        self.started = 0.0
        self.log_offset = 0
        self.done = 0

    def submit(self, job: dict) -> None:
        self.log.flush()
        self.log_offset = self.log_path.stat().st_size
        self.job, self.started = job, time.monotonic()
        self.proc.stdin.write((json.dumps({"id": job["id"], "source": job["source"]}) + "\n").encode())
        self.proc.stdin.flush()

    def log_tail(self, limit: int = 4000) -> str:
        self.log.flush()
        with open(self.log_path, "rb") as fh:
            fh.seek(self.log_offset)
            return fh.read().decode(errors="replace")[-limit:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.log.close()


def _death(worker: Worker) -> dict:
    code = worker.proc.wait()
    what = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"
    return {"class": "crash", "message": f"worker died ({what})", "traceback": worker.log_tail()}


class Pool:
    """Runs jobs (``{"id", "source", ...}``) on ``size`` workers."""

    def __init__(self, size: int, log_dir: Path, timeout: float = 60.0, recycle: int = 150):
        self.size, self.log_dir, self.timeout, self.recycle = size, log_dir, timeout, recycle
        log_dir.mkdir(parents=True, exist_ok=True)
        self.workers: list[Worker] = [Worker(log_dir, i) for i in range(size)]

    def close(self) -> None:
        for w in self.workers:
            if w.proc.stdin and not w.proc.stdin.closed:
                try:
                    w.proc.stdin.close()
                except OSError:
                    pass
            w.stop()

    def _replace(self, i: int) -> None:
        self.workers[i].stop()
        self.workers[i] = Worker(self.log_dir, i)

    def run(self, jobs, on_result, deadline: float | None = None) -> None:
        """Feed ``jobs`` (an iterator) to the workers; ``on_result(job, verdict)`` for each.
        Stops taking jobs at ``deadline`` (time.monotonic) and waits for running ones."""
        jobs = iter(jobs)
        exhausted = False
        while True:
            for i, w in enumerate(self.workers):
                if w.job is None and not exhausted:
                    if deadline is not None and time.monotonic() > deadline:
                        exhausted = True
                        break
                    job = next(jobs, None)
                    if job is None:
                        exhausted = True
                        break
                    if w.done >= self.recycle or w.proc.poll() is not None:
                        self._replace(i)
                        w = self.workers[i]
                    w.submit(job)
            busy = [w for w in self.workers if w.job is not None]
            if not busy:
                return
            ready, _, _ = select.select([w.proc.stdout for w in busy], [], [], 0.5)
            for i, w in enumerate(self.workers):
                if w.job is None:
                    continue
                if w.proc.stdout in ready:
                    line = w.proc.stdout.readline()
                    if line:
                        verdict = json.loads(line)
                        job, w.job = w.job, None
                        w.done += 1
                        on_result(job, verdict)
                        continue
                    job, w.job = w.job, None
                    verdict = _death(w)
                    self._replace(i)
                    on_result(job, verdict)
                elif time.monotonic() - w.started > job_timeout(w.job, self.timeout):
                    job, w.job = w.job, None
                    tail = w.log_tail()
                    self._replace(i)
                    on_result(job, {"class": "hang", "message": f"no answer in {job_timeout(job, self.timeout):.0f} s",
                                    "traceback": tail})


def job_timeout(job: dict, default: float) -> float:
    return float(job.get("timeout", default))


def run_alone(source: str, log_dir: Path, timeout: float = 120.0) -> dict:
    """One program in a fresh worker (confirming a crash or hang, minimizing)."""
    pool = Pool(1, log_dir, timeout)
    out: list[dict] = []
    try:
        pool.run([{"id": 0, "source": source}], lambda job, verdict: out.append(verdict))
    finally:
        pool.close()
    return out[0]
