"""One flag grammar over every verb: the same flag for the same thing, `--set` wherever a config is
read, and each renamed flag still working for one release with a warning that names the new one."""

from __future__ import annotations

import pytest

from codegen_study.cli import COMMANDS, build_parser, main
from codegen_study.store import COMPLETIONS, Store

#: verb -> {old spelling: new spelling}
RENAMED = {"train": {"--gguf-file": "--gguf"}, "evaluate": {"--benchmarks": "--benchmark"},
           "export": {"--run": "--store"}}
#: the verbs that read a config file, and the tables their `--set` takes
CONFIG_VERBS = {"train": ("run", "model", "data", "train"), "evaluate": ("eval", "model", "run", "data"),
                "study": ("study",)}


def _help(verb: str | None, capsys) -> str:
    with pytest.raises(SystemExit):
        build_parser(verb).parse_args([verb, "--help"] if verb else ["--help"])
    return capsys.readouterr().out


def _warned(err: str, old: str, new: str) -> bool:
    return f"DeprecationWarning: {old} is deprecated" in err and f"use {new}" in err


def test_every_verbs_help_shows_the_one_grammar(capsys):
    top = _help(None, capsys)
    for verb in COMMANDS:
        assert verb in top
        shown = _help(verb, capsys)
        for old in RENAMED.get(verb, {}):
            assert f"{old} " not in shown and f"{old}\n" not in shown, (verb, old)
        assert "--gguf-file" not in shown and ("--set SECTION.KEY=VALUE" in shown) == (verb in CONFIG_VERBS), verb
        for section in CONFIG_VERBS.get(verb, ()):
            assert section in shown.split("--set SECTION.KEY=VALUE")[-1], (verb, section)
    assert "--gguf" in _help("train", capsys) and "--gguf FILE" in _help("evaluate", capsys)
    assert "--store DIR" in _help("export", capsys) and "--store STORE" in _help("score", capsys)
    assert "--benchmark NAME=SOURCE" in _help("score", capsys)
    assert "--benchmark NAME[=SOURCE]" in _help("evaluate", capsys)


@pytest.mark.parametrize("flag", ["--gguf", "--gguf-file"])
def test_train_takes_the_gguf_file_as_evaluate_does(flag, capsys):
    from codegen_study.training.cli import parse_overrides

    args = build_parser("train").parse_args(["train", "--config", "c.toml", flag, "m.gguf", "--set", "train.epochs=1"])
    assert parse_overrides(args) == {"model": {"gguf_file": "m.gguf"}, "train": {"epochs": 1}}
    err = capsys.readouterr().err
    assert _warned(err, "--gguf-file", "--gguf") == (flag == "--gguf-file"), err
    if flag == "--gguf":
        assert err == ""


@pytest.mark.parametrize("flag", ["--store", "--run"])
def test_export_reads_the_store_it_is_given(tmp_path, capsys, flag):
    Store(tmp_path / "s").append("completions", [COMPLETIONS.row(
        model="base", arm="base", train_seed=None, step=0, benchmark="example", prompt="train", decoding="greedy",
        question_id="ex_sum", sample_id=0, completion="```python\nprint(1)\n```", prompt_tokens=1,
        completion_tokens=1, finish_reason="stop", seconds=0.0)])
    out = tmp_path / "x.jsonl"
    assert main(["export", flag, str(tmp_path / "s"), "--format", "evalplus", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "wrote 1 samples of 1 problems" in captured.out and out.exists()
    assert _warned(captured.err, "--run", "--store") == (flag == "--run"), captured.err


def test_export_without_a_store_is_one_line(tmp_path, capsys):
    assert main(["export", "--format", "lcb", "--out", str(tmp_path / "x.json")]) == 2
    assert "give --store DIR" in capsys.readouterr().err
