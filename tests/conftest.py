"""Shared fixtures: where the (optional) shared benchmark file lives, and GPU skipping."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SHARED_LCB = Path(os.environ.get("CODEGEN_STUDY_SHARED", ROOT.parent / "shared")) / "data" / "lcb_atcoder_easy_2408_2502.jsonl"


@pytest.fixture
def shared_lcb() -> Path:
    """The 41 seed problems from ../shared; tests that need it skip cleanly without it."""
    if not SHARED_LCB.exists():
        pytest.skip(f"{SHARED_LCB} not present")
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
