"""configs/: every file loads into the stage dataclasses, opens with its command, the four offline arms
are a controlled comparison (they differ only in name, output folder and corpus), the fixed-budget pair
differs from its arms only in the budget, and the one-shot control from the base only in its shots."""

from __future__ import annotations

from pathlib import Path

import pytest

from codegen_study.core.config import load_section, read_toml
from codegen_study.evaluation.generate import EvalConfig
from codegen_study.training.train_config import load_configs

CONFIGS = sorted((Path(__file__).resolve().parents[2] / "configs").glob("*.toml"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_config_loads_and_opens_with_its_command(path):
    assert path.read_text().startswith("# codegen-study ")
    configs = load_configs(path)
    assert configs["model"].name_or_path
    if "eval" in read_toml(path):
        assert load_section(path, "eval", EvalConfig).benchmarks


ARMS = ("deep-narrow", "deep-wide", "diverse-wide", "diverse-narrow")


def differences(a: dict, b: dict) -> set[tuple[str, str]]:
    return {(table, key) for table in a.keys() | b.keys() for key in a.get(table, {}).keys() | b.get(table, {}).keys()
            if a.get(table, {}).get(key) != b.get(table, {}).get(key)}


def offline(name: str) -> dict:
    return read_toml(CONFIGS[0].parent / f"offline-{name}.toml")


def test_the_four_arms_differ_only_in_name_output_and_corpus():
    first = offline(ARMS[0])
    for arm in ARMS:
        config = offline(arm)
        assert config["run"]["name"] == arm and config["data"]["path"] == f"corpora/{arm}.jsonl"
        assert config["data"]["shared_valid"] == "corpora/valid-shared.jsonl"
        assert config["train"]["early_stopping_patience"] == 2 and config["train"]["eval_every"] == 100
        if arm != ARMS[0]:
            assert differences(first, config) == {("run", "name"), ("run", "output_dir"), ("data", "path")}, arm
    header = (CONFIGS[0].parent / f"offline-{ARMS[0]}.toml").read_text().splitlines()[0]
    assert all(f"--config configs/offline-{arm}.toml" in header for arm in ARMS)


def test_deep_and_diverse_are_the_fixed_two_epoch_budget_of_their_arms():
    deep, diverse = offline("deep"), offline("diverse")
    assert differences(deep, diverse) == {("run", "name"), ("run", "output_dir"), ("data", "path")}
    for fixed, arm in ((deep, "deep-narrow"), (diverse, "diverse-wide")):
        assert fixed["train"]["epochs"] == 2 and fixed["train"]["early_stopping_patience"] == 0
        assert fixed["data"]["path"] == f"corpora/{arm}.jsonl"
        # the crossed arms split the same 16-example window into two micro-batches (a twelve-run cohort
        # step must fit one GPU); the loss is the token mean over the window either way
        assert differences(fixed, offline(arm)) == {("run", "name"), ("run", "output_dir"), ("train", "epochs"),
                                                     ("train", "early_stopping_patience"),
                                                     ("train", "early_stopping_min_delta"),
                                                     ("train", "micro_batch_size"), ("train", "grad_accumulation")}
        window = [c["train"]["micro_batch_size"] * c["train"]["grad_accumulation"] for c in (fixed, offline(arm))]
        assert window == [16, 16]


def test_the_one_shot_control_is_the_base_with_a_shots_file():
    base, shot = offline("base"), offline("base-1shot")
    assert shot["run"]["name"] == "base-1shot" and shot["eval"]["shots"] == "corpora/shots.jsonl"
    assert differences(base, shot) == {("run", "name"), ("run", "output_dir"), ("eval", "shots")}
    loaded = load_section(CONFIGS[0].parent / "offline-base-1shot.toml", "eval", EvalConfig)
    assert loaded.shots == shot["eval"]["shots"]


def test_the_base_config_evaluates_like_the_trained_runs():
    root = CONFIGS[0].parent
    base, deep = (read_toml(root / f"offline-{arm}.toml") for arm in ("base", "deep"))
    assert base["eval"] == deep["eval"] and base["model"] == deep["model"]
    assert base["data"]["prompt_format"] == deep["data"]["prompt_format"]
