"""Shared fixtures (the 41 LiveCodeBench problems kept in data/benchmarks), GPU skipping, and the CI rule
for skips.

The suite mirrors the package: tests/<stage>/ per stage package, tests/test_<module>.py for top-level
modules and whole-project checks. `tiny_lm` and `conftest` are importable by name from every folder
(pytest's `pythonpath`, pyproject.toml). Every run lists its skips and their reasons (`-rs`). With
`CI=true` a skip that only means "this machine lacks something CI provides" is a failure: a missing
installed package (`importorskip`, "... is not installed") or a root-only sandbox protection. GPU tests
still skip without CUDA, and the Quarto tests keep their own rule (tests/report/test_quarto.py).
"""

from __future__ import annotations

import os
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


#: skip reasons that CI must not accept: a package CI installs, a protection CI runs as root to test
CI_FORBIDDEN_SKIPS = ("could not import", "is not installed", "root-only protections", "protection not active here")


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    return str(longrepr[2]) if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)


def _fail_in_ci(report) -> None:
    """Turn a skipped report whose reason CI must not accept into a failure naming that reason."""
    if report.skipped and os.environ.get("CI", "").lower() == "true":
        reason = _skip_reason(report)
        if any(key in reason for key in CI_FORBIDDEN_SKIPS):
            report.outcome = "failed"
            report.longrepr = f"skipped in CI (CI=true), which must run it: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _fail_in_ci(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    """Module-level `importorskip` skips the whole file at collection time."""
    outcome = yield
    _fail_in_ci(outcome.get_result())
