"""configs/: every file loads into the stage dataclasses, opens with its command, and the two
offline corpora are a controlled comparison (they differ only in name, output folder and corpus)."""

from __future__ import annotations

from pathlib import Path

import pytest

from codegen_study.config import load_section, read_toml
from codegen_study.generate import EvalConfig
from codegen_study.train_config import load_configs

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.toml"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_config_loads_and_opens_with_its_command(path):
    assert path.read_text().startswith("# codegen-study ")
    configs = load_configs(path)
    assert configs["model"].name_or_path
    if "eval" in read_toml(path):
        assert load_section(path, "eval", EvalConfig).benchmarks


def test_deep_and_diverse_differ_only_in_name_output_and_corpus():
    root = CONFIGS[0].parent
    deep, diverse = (read_toml(root / f"offline-{arm}.toml") for arm in ("deep", "diverse"))
    differences = {(table, key) for table in deep.keys() | diverse.keys()
                   for key in deep.get(table, {}).keys() | diverse.get(table, {}).keys()
                   if deep.get(table, {}).get(key) != diverse.get(table, {}).get(key)}
    assert differences == {("run", "name"), ("run", "output_dir"), ("data", "path")}


def test_the_base_config_evaluates_like_the_trained_runs():
    root = CONFIGS[0].parent
    base, deep = (read_toml(root / f"offline-{arm}.toml") for arm in ("base", "deep"))
    assert base["eval"] == deep["eval"] and base["model"] == deep["model"]
    assert base["data"]["prompt_format"] == deep["data"]["prompt_format"]
