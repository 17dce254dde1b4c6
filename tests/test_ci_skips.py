"""The CI rule for skips (conftest): a missing package or a root-only sandbox check fails under CI=true."""

from __future__ import annotations

from types import SimpleNamespace

import conftest


def _report(reason: str) -> SimpleNamespace:
    return SimpleNamespace(skipped=True, outcome="skipped", longrepr=("tests/x.py", 3, f"Skipped: {reason}"))


def test_a_missing_package_fails_in_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setenv("CI", "true")
    report = _report("could not import 'peft': No module named 'peft'")
    conftest._fail_in_ci(report)
    assert report.outcome == "failed" and "peft" in report.longrepr
    root_only = _report("root-only protections")
    conftest._fail_in_ci(root_only)
    assert root_only.outcome == "failed"
    monkeypatch.setenv("CI", "false")
    local = _report("could not import 'peft'")
    conftest._fail_in_ci(local)
    assert local.outcome == "skipped"


def test_gpu_and_quarto_skips_stay_skips_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    for reason in ("needs CUDA", "needs quarto, pdftotext (Quarto CLI and poppler-utils)"):
        report = _report(reason)
        conftest._fail_in_ci(report)
        assert report.outcome == "skipped", reason
