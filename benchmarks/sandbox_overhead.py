"""Per-run overhead of the sandbox against a fresh `python` subprocess per run.

Measured in one run on the same machine so that the ratio is meaningful:
  1. fresh:     subprocess.run([sys.executable, "-c", program]) per run, sequential
  2. sandbox/1: Sandbox(workers=1).run_many (sequential, one warm worker)
  3. sandbox/N: Sandbox(workers=N).run_many (N = 2 by default)
The program reads a number from stdin and prints a sum, like a tiny competitive-programming
test. Wall rates depend on how busy the machine is; CPU ms per run (this process plus every
child, workers included) is the load-independent cost.
Usage: python benchmarks/sandbox_overhead.py [--runs 500] [--fresh-runs 100] [--workers 2]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from codegen_study.sandbox import Job, Limits, Sandbox  # noqa: E402

PROGRAM = "n = int(input())\nprint(sum(range(n)))\n"
STDIN = "1000\n"
EXPECTED = f"{sum(range(1000))}\n"


def cpu_seconds() -> float:
    """CPU of this process plus all reaped children (sandbox workers count once closed)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def fresh_rate(runs: int) -> tuple[float, float]:
    """(runs per wall second, CPU ms per run)."""
    cpu, start = cpu_seconds(), time.perf_counter()
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", PROGRAM], input=STDIN, capture_output=True, text=True)
        assert done.stdout == EXPECTED, done
    return runs / (time.perf_counter() - start), (cpu_seconds() - cpu) / runs * 1000


def sandbox_rate(runs: int, workers: int) -> tuple[float, float]:
    """(runs per wall second, CPU ms per run including worker start-up and shutdown)."""
    jobs = [Job(PROGRAM, STDIN, Limits(timeout_s=5))] * runs
    cpu = cpu_seconds()
    with Sandbox(workers=workers, preload=("math", "collections", "itertools", "heapq", "bisect")) as box:
        box.run_many(jobs[: min(20, runs)])  # warm-up: page cache, first forks
        start = time.perf_counter()
        outcomes = box.run_many(jobs)
        rate = runs / (time.perf_counter() - start)
    bad = [o for o in outcomes if o.status != "ok" or o.stdout != EXPECTED]
    assert not bad, bad[:1]
    return rate, (cpu_seconds() - cpu) / (runs + min(20, runs)) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--fresh-runs", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    fresh, fresh_cpu = fresh_rate(args.fresh_runs)
    one, one_cpu = sandbox_rate(args.runs, 1)
    many, many_cpu = sandbox_rate(args.runs, args.workers)
    print(f"{'':24} {'runs/s':>8} {'x fresh':>8} {'CPU ms/run':>11} {'x fresh':>8}")
    for name, rate, cpu in [("fresh python subprocess", fresh, fresh_cpu), ("sandbox, 1 worker", one, one_cpu),
                            (f"sandbox, {args.workers} workers", many, many_cpu)]:
        print(f"{name:24} {rate:8.1f} {rate / fresh:8.1f} {cpu:11.2f} {fresh_cpu / cpu:8.1f}")


if __name__ == "__main__":
    main()
