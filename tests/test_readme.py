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
    # Quarto when it is on PATH (HTML + PDF), the offline preview otherwise: one line either way
    assert "command -v quarto" in main_job and "quarto render report.qmd" in main_job
    assert "pytest" in tests and "torch==2.13.0" in tests
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert tests in ci
    # CI installs Quarto where the machine provides the installer; nothing else reads ../shared
    assert any("../shared/tools/quarto/install.sh" in line for line in ci)
    shared = [path for folder in ("analysis", "codegen_study", "tests") for path in (ROOT / folder).rglob("*.py")
              if "../shared" in path.read_text(encoding="utf-8") and path.name != "test_readme.py"]
    assert shared == [] and "../shared" not in (ROOT / "report.qmd").read_text(encoding="utf-8")


def test_readme_map_names_every_package_and_module():
    """The "What is in the box" map is where a newcomer looks a module up: every stage package and
    top-level module of the library is named by its dotted path, and every module of the package and of
    analysis/ by its name, in code (a synth family module by its topic name)."""
    import re

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("## What is in the box", 1)[1].split("\n## ", 1)[0]
    package = ROOT / "codegen_study"
    top = [p.stem for p in package.glob("*.py") if p.stem not in ("__init__", "__main__")]
    units = sorted([f"codegen_study.{p.parent.name}" for p in package.glob("*/__init__.py")]
                   + [f"codegen_study.{name}" for name in top])
    assert {"codegen_study.core", "codegen_study.training", "codegen_study.store"} <= set(units), units
    spans = re.findall(r"`([^`]+)`", re.sub(r"```.*?```", "", table, flags=re.S))  # the data-flow sketch aside
    missing_units = [u for u in units if u not in spans]
    assert not missing_units, f"README's map does not name: {', '.join(missing_units)}"
    modules = sorted({p.stem for folder in ("codegen_study", "analysis") for p in (ROOT / folder).rglob("*.py")}
                     - {"__init__", "__main__"})
    named = {word for span in spans for word in re.split(r"[^\w]+", span)}
    missing = [m for m in modules if m not in named]
    assert not missing, f"README's map does not name: {', '.join(missing)}"
