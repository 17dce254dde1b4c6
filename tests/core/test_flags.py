"""The shared flag grammar: `--set SECTION.KEY=VALUE`, NAME=SOURCE pairs, renamed flags that warn."""

from __future__ import annotations

import argparse

import pytest

from codegen_study.core.errors import UserError
from codegen_study.core.flags import add_renamed, add_set, parse_pair, parse_set


def test_set_values_are_toml_or_text_per_section():
    got = parse_set(["eval.n_samples=5", "eval.prompts=[\"lcb\"]", "run.name=deep", "model.precision = \"bf16\"",
                     "eval.sources={ tiny = \"t.jsonl\" }"], ("eval", "model", "run"))
    assert got == {"eval": {"n_samples": 5, "prompts": ["lcb"], "sources": {"tiny": "t.jsonl"}},
                   "run": {"name": "deep"}, "model": {"precision": "bf16"}}
    assert parse_set([], ("eval",)) == {}


@pytest.mark.parametrize("item", ["eval", "eval.n_samples", "train.lr=1", "n_samples=3", "eval.=3"])
def test_a_set_item_without_a_known_section_and_key_is_one_line(item):
    with pytest.raises(UserError, match=r"expected SECTION.KEY=VALUE with SECTION in \['eval', 'model'\]"):
        parse_set([item], ("eval", "model"))


def test_pairs_are_name_and_source():
    assert parse_pair("heldout=corpora/h.jsonl", "--benchmark") == ("heldout", "corpora/h.jsonl")
    assert parse_pair(" lcb41 ", "--benchmark") == ("lcb41", None)
    assert parse_pair("hub=org/ds@v5:ids=1.txt", "--source") == ("hub", "org/ds@v5:ids=1.txt")
    for bad in ("=x.jsonl", "name=", ""):
        with pytest.raises(UserError, match="expected NAME or NAME=SOURCE"):
            parse_pair(bad, "--benchmark")


def test_a_renamed_flag_works_hidden_and_says_what_replaces_it(capsys):
    parser = argparse.ArgumentParser(prog="codegen-study demo")
    parser.add_argument("--store")
    add_renamed(parser, "--run", "--store", dest="store")
    add_set(parser, ("eval",), "eval.n_samples=5")
    assert parser.parse_args(["--store", "s"]).store == "s" and capsys.readouterr().err == ""
    assert parser.parse_args(["--run", "r"]).store == "r"
    assert capsys.readouterr().err == ("codegen-study demo: DeprecationWarning: --run is deprecated and goes in the "
                                       "next release; use --store\n")
    shown = parser.format_help()
    assert "--store" in shown and "--run" not in shown and "--set SECTION.KEY=VALUE" in shown
