"""Shared fixtures: the 41 LiveCodeBench problems kept in data/benchmarks, and GPU skipping."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SHARED_LCB = ROOT / "data" / "benchmarks" / "lcb_atcoder_easy_2408_2502.jsonl"


@pytest.fixture
def shared_lcb() -> Path:
    """The 41 seed problems (public tests) in data/benchmarks."""
    assert SHARED_LCB.exists(), f"{SHARED_LCB} is part of the repository"
    return SHARED_LCB


def pytest_collection_modifyitems(config, items):
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except Exception:
        has_cuda = False
    if has_cuda:
        return
    skip = pytest.mark.skip(reason="needs CUDA")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
