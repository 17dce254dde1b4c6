"""README promises two commands; .ci/run must run the second one verbatim."""

from __future__ import annotations

from conftest import ROOT


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("```bash", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_readme_opens_with_two_commands_and_ci_runs_the_test_one():
    main_job, tests = _readme_commands()
    assert "analysis.render" in main_job and "[report]" in main_job and "torch" not in main_job
    assert "pytest" in tests and "torch==2.13.0" in tests
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert tests in ci
