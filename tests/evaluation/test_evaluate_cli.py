"""`evaluate`'s flags in the one grammar: `--set` for any table it reads, config values honoured unless
a flag gives them (the sampled prompt styles included), `--benchmarks` still read with a warning."""

from __future__ import annotations

import argparse

import pytest

from codegen_study.core.errors import UserError

CONFIG = """[model]
name_or_path = "org/base-lm"
precision = "fp32"

[run]
name = "deep"

[data]
prompt_format = "chat"

[eval]
benchmarks = ["heldout"]
prompts = ["train", "lcb"]
sample_prompts = ["lcb"]
n_samples = 10
output_dir = "out"
"""


def _resolve(*argv):
    from codegen_study.evaluation.cli import add_arguments, resolve

    parser = argparse.ArgumentParser(prog="codegen-study evaluate")
    add_arguments(parser)
    return resolve(parser.parse_args(list(argv)))


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(CONFIG)
    return str(path)


def test_set_overrides_every_table_evaluate_reads(config):
    cfg, model, raw = _resolve("--config", config, "--set", "eval.n_samples=3", "--set", 'model.precision="bf16"',
                               "--set", "run.name=wide", "--set", "data.prompt_format=seed",
                               "--set", "eval.sources={ heldout = \"h.jsonl\" }")
    assert cfg.n_samples == 3 and cfg.sources == {"heldout": "h.jsonl"} and model.precision == "bf16"
    assert raw["run"]["name"] == "wide" and raw["data"]["prompt_format"] == "seed"
    assert (cfg.prompts, cfg.sample_prompts, cfg.output_dir) == (("train", "lcb"), ("lcb",), "out")  # the file's


def test_set_works_without_a_config_and_wins_over_the_flag_of_the_same_key():
    cfg, model, _ = _resolve("--model", "org/lm", "--device", "cpu", "--prompt", "lcb", "--precision", "fp32",
                             "--set", 'eval.prompts=["train"]', "--set", "model.precision=bf16",
                             "--set", "eval.max_new_tokens=7")
    assert (cfg.prompts, cfg.max_new_tokens, model.precision, model.name_or_path) == (("train",), 7, "bf16", "org/lm")


@pytest.mark.parametrize("item, message", [
    ("train.epochs=1", "expected SECTION.KEY=VALUE with SECTION in"),
    ("eval.n_sample=3", "unknown key 'n_sample'"),
    ("eval.n_samples=zero", "n_samples: expected an integer"),
])
def test_a_bad_set_is_one_line(config, item, message):
    with pytest.raises(UserError, match=message):
        _resolve("--config", config, "--set", item)


def test_prompt_keeps_the_configs_sampled_styles_among_those_it_names(config):
    assert _resolve("--config", config)[0].sample_prompts == ("lcb",)
    assert _resolve("--config", config, "--prompt", "train,lcb")[0].sample_prompts == ("lcb",)
    assert _resolve("--config", config, "--prompt", "train")[0].sample_prompts == ()
    # without a config the default sampled style applies the same way
    cfg = _resolve("--model", "org/lm", "--device", "cpu", "--prompt", "train,lcb")[0]
    assert cfg.sample_prompts == ("train",)


@pytest.mark.parametrize("argv, warned", [
    (["--benchmark", "heldout", "--benchmark", "humaneval"], False),
    (["--benchmarks", "heldout,humaneval"], True),
])
def test_benchmarks_by_the_repeated_flag_or_the_old_list(config, capsys, argv, warned):
    cfg = _resolve("--config", config, *argv)[0]
    assert cfg.benchmarks == ("heldout", "humaneval")
    err = capsys.readouterr().err
    assert ("DeprecationWarning: --benchmarks is deprecated" in err and "use --benchmark NAME (repeated)" in err) \
        == warned, err


def test_a_benchmark_is_name_equals_source_as_in_score(config):
    cfg = _resolve("--config", config, "--benchmark", "mine=some/file.jsonl", "--source", "heldout=h.jsonl")[0]
    assert cfg.benchmarks == ("mine",) and cfg.sources == {"mine": "some/file.jsonl", "heldout": "h.jsonl"}
    with pytest.raises(UserError, match="--source 'heldout': expected NAME=SOURCE"):
        _resolve("--config", config, "--source", "heldout")
