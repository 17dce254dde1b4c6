"""benchmarks/idle: a benchmark refuses to time GPUs that another process is using."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import idle  # noqa: E402

GIB = 2**30


def fake_gpus(monkeypatch, used_gib: list[float], total_gib: float = 140.0) -> None:
    infos = [[int((total_gib - u) * GIB), int(total_gib * GIB)] for u in used_gib]

    def run(cmd, **kwargs):
        return subprocess.CompletedProcess(cmd, 0, stdout=json.dumps(infos) + "\n", stderr="")

    monkeypatch.setattr(idle.subprocess, "run", run)


def test_a_gpu_holding_another_process_counts_as_busy(monkeypatch):
    fake_gpus(monkeypatch, [85.1, 0.5])
    assert idle.busy_gpus(2) == ["cuda:0 (85.1 GiB in use)"]


def test_idle_gpus_pass(monkeypatch):
    fake_gpus(monkeypatch, [0.5, 0.6])
    idle.refuse_busy(2, "bench")


def test_a_busy_gpu_stops_the_benchmark_naming_it(monkeypatch):
    fake_gpus(monkeypatch, [0.5, 40.0])
    with pytest.raises(SystemExit, match=r"bench: another process holds cuda:1 \(40.0 GiB in use\)"):
        idle.refuse_busy(2, "bench")
