"""Results store: crash-safe appends, resume keys, compaction, reading both forms."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from codegen_study.store import SCHEMAS, Store, find_stores, make_run_id, read_stores


def _loss(step, split="train", loss=1.0):
    return {"model": "deep", "step": step, "split": split, "loss": loss, "epoch": 0.1,
            "learning_rate": 2e-4, "seconds": 1.0}


def test_append_read_and_done_keys(tmp_path):
    store = Store(tmp_path / "run")
    store.append("losses", [_loss(20), _loss(40)])
    store.append("losses", [_loss(40, "valid", 0.5)])
    df = store.read("losses")
    assert df.height == 3
    assert store.done_keys("losses") == {("deep", 20, "train"), ("deep", 40, "train"), ("deep", 40, "valid")}


def test_missing_column_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="lacks columns"):
        Store(tmp_path).append("losses", [{"model": "x"}])


def test_torn_last_line_is_cut_and_not_duplicated(tmp_path):
    store = Store(tmp_path)
    store.append("losses", [_loss(20)])
    with open(store.path("losses"), "ab") as f:  # a kill landed mid-write
        f.write(b'{"model": "deep", "step": 40, "spl')
    assert store.done_keys("losses") == {("deep", 20, "train")}
    Store(tmp_path).append("losses", [_loss(40)])
    lines = store.path("losses").read_text().splitlines()
    assert [json.loads(l)["step"] for l in lines] == [20, 40]


def test_sigkill_loses_nothing_reported(tmp_path):
    """A writer killed with SIGKILL keeps every row it had appended before the kill."""
    code = textwrap.dedent(f"""
        import sys, time
        from codegen_study.store import Store
        s = Store({str(tmp_path)!r})
        for i in range(10**6):
            s.append("losses", [{{"model": "m", "step": i, "split": "train", "loss": 0.0,
                                  "epoch": 0.0, "learning_rate": 0.0, "seconds": 0.0}}])
            if i == 50:
                print("ready", flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b"ready"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    store = Store(tmp_path)
    steps = [r["step"] for r in store.iter_rows("losses")]
    assert steps[:51] == list(range(51))
    assert steps == list(range(len(steps)))  # no gaps, no duplicates


def test_compact_to_parquet_then_append(tmp_path):
    store = Store(tmp_path / "r")
    store.append("losses", [_loss(20), _loss(40)])
    store.compact("losses")
    assert store.path("losses", ".parquet").exists() and not store.path("losses").exists()
    store.append("losses", [_loss(60), _loss(40, loss=9.0)])
    df = store.read("losses").sort("step")
    assert df["step"].to_list() == [20, 40, 60]
    assert df.filter(df["step"] == 40)["loss"].item() == 9.0  # newest row wins
    assert ("deep", 20, "train") in store.done_keys("losses")
    store.compact("losses")
    before = store.path("losses", ".parquet").stat()
    store.compact("losses")  # nothing to fold: the file is not rewritten
    after = store.path("losses", ".parquet").stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert find_stores(tmp_path) == [tmp_path / "r"]
    assert read_stores([tmp_path / "r"], "losses").height == 3


def test_empty_table_has_schema_columns(tmp_path):
    df = Store(tmp_path).read("samples")
    assert df.columns == list(SCHEMAS["samples"][0]) and df.height == 0


def test_run_id_is_readable():
    run_id = make_run_id("deep-s1", 200, "lcb41", "train", "greedy", "lcb", "seed")
    assert run_id == "deep-s1/step-200/lcb41/train/greedy/lcb/seed"


def test_a_store_written_before_prompts_were_recorded_reads_as_lcb(tmp_path):
    """Older stores lack the prompt, arm and training-seed columns; they were generated with the
    LiveCodeBench wording, so that is what their rows stand for."""
    old = {"model": "deep", "step": 100, "benchmark": "lcb41", "decoding": "greedy", "question_id": "q",
           "sample_id": 0, "completion": "x", "prompt_tokens": 1, "completion_tokens": 1, "finish_reason": "stop",
           "seconds": 0.0}
    (tmp_path / "completions.jsonl").write_text(json.dumps(old) + "\n")
    store = Store(tmp_path)
    assert store.done_keys("completions") == {("deep", 100, "lcb41", "lcb", "greedy", "q", 0)}
    df = store.read("completions")
    assert df["prompt"].to_list() == ["lcb"] and df["train_seed"].to_list() == [None]
    store.compact("completions")
    assert Store(tmp_path).done_keys("completions") == {("deep", 100, "lcb41", "lcb", "greedy", "q", 0)}


def test_a_corrupt_store_line_is_an_error_naming_file_and_line(tmp_path):
    from codegen_study.cli import main
    from codegen_study.core.errors import UserError

    store = Store(tmp_path / "run")
    store.append("losses", [{"model": "m", "step": 1, "split": "train", "loss": 1.0, "epoch": 0.1,
                             "learning_rate": 0.0, "seconds": 0.0}])
    with open(store.path("losses"), "ab") as f:
        f.write(b'{"model": "m", "step": 2, oops\n')
    with pytest.raises(UserError, match=r"losses.jsonl:2: corrupt store line"):
        store.done_keys("losses")
    assert main(["runs", str(tmp_path)]) == 2


def test_repair_cuts_a_torn_tail_and_keeps_whole_lines(tmp_path):
    store = Store(tmp_path)
    store.repair("losses")  # no table yet: nothing to do
    store.append("losses", [{"model": "m", "step": 1, "split": "train", "loss": 1.0, "epoch": 0.0,
                             "learning_rate": 0.0, "seconds": 0.0}])
    whole = store.path("losses").read_bytes()
    store.repair("losses")
    assert store.path("losses").read_bytes() == whole
    store.path("losses").write_bytes(whole + b'{"model": "m", "st')
    store.repair("losses")
    assert store.path("losses").read_bytes() == whole


def test_runs_refuses_a_file_a_non_object_row_and_a_corrupt_parquet_in_one_line(tmp_path):
    from codegen_study.cli import main

    (tmp_path / "f").write_text("")
    bad = tmp_path / "stores" / "run"
    bad.mkdir(parents=True)
    (bad / "runs.jsonl").write_text('[{"run_id": "x"}]\n')
    broken = tmp_path / "stores2" / "run"
    broken.mkdir(parents=True)
    (broken / "runs.parquet").write_text("not parquet")
    for root in (tmp_path / "f", tmp_path / "stores", tmp_path / "stores2"):
        assert main(["runs", str(root)]) == 2


class _CharTokenizer:
    """One id per character: enough for the `seed` prompt format, which needs no chat template."""

    def __call__(self, text, add_special_tokens=False):
        return {"input_ids": [ord(c) for c in text]}

    def decode(self, ids, skip_special_tokens=False):
        return "".join(map(chr, ids))


def test_every_row_builder_writes_its_tables_columns_in_order(tmp_path):
    """Each writer's rows carry exactly the columns of the store's definition of their table, in its
    order (the order a compacted table keeps); a row with a column too few or too many is refused."""
    from types import SimpleNamespace

    from codegen_study.evaluation.generate import completion_row, record_prompts
    from codegen_study.scoring import runs
    from codegen_study.scoring.profiles import get_profile
    from codegen_study.scoring.verdicts import SampleVerdict, TestVerdict
    from codegen_study.store import TABLES
    from codegen_study.tasks.problems import Problem, TestCase
    from codegen_study.tasks.prompts import Prompt

    problem = Problem(id="q1", title="Sum", statement="Print the sum.", platform="atcoder", date="2024-08-01",
                      difficulty="easy", tests=(TestCase("1 2\n", "3\n"), TestCase("2 2\n", "4\n", public=False)),
                      metadata={"group": "unseen", "family": "arithmetic"})
    request = SimpleNamespace(key=("deep-s1", 100, "heldout", "train", "greedy", "q1", 0), prompt_tokens=12,
                              tokens=(5, 6, 7), finish_reason="stop", seconds=0.5)
    target = SimpleNamespace(arm="deep", train_seed=1, adapter="runs-local/deep-s1/checkpoint-step-100")
    verdict = SampleVerdict("q1", 0, "print(3)", False, "wrong_answer", 1, 2, 0.1,
                            (TestVerdict(0, True, "passed", 0.05), TestVerdict(1, False, "wrong_answer", 0.05,
                                                                             "2 2\n", "4\n", "3\n", "")))
    store = Store(tmp_path)
    record_prompts(store, _CharTokenizer(), {"heldout": [problem]}, ("train", "lcb"),
                   Prompt(style="train", format="seed", system="S"))
    runs.store_rows(store, "r1", [runs.sample_row(verdict)])
    built = {
        "completions": [completion_row(request, "print(3)", 1, target)],
        "runs": [runs.run_row("r1", get_profile("seed"), {"seccomp": True}, {}, model="deep-s1", step=100,
                              benchmark="heldout", prompt="train", decoding="greedy")],
        "problems": [runs.problem_row("heldout", problem)],
        "samples": list(store.iter_rows("samples")),
        "tests": list(store.iter_rows("tests")),
        "prompts": list(store.iter_rows("prompts")),
    }
    for table, rows in built.items():
        assert rows, table
        for row in rows:
            assert list(row) == list(TABLES[table].columns), table
    with pytest.raises(TypeError, match="missing columns"):
        TABLES["losses"].row(model="m", step=1)
    with pytest.raises(TypeError, match="unknown columns"):
        TABLES["prompts"].row(prompt="train", benchmark="b", question_id="q", text="t", extra=1)


def test_schemas_and_legacy_defaults_come_from_the_table_definitions():
    from codegen_study.store import LEGACY_DEFAULTS, TABLES

    assert set(SCHEMAS) == set(TABLES) == {"completions", "runs", "samples", "tests", "problems", "losses", "prompts"}
    for name, table in TABLES.items():
        assert SCHEMAS[name] == (table.required, table.key)
        assert set(table.key) <= set(table.columns) and set(table.dimensions) <= set(table.columns)
        assert LEGACY_DEFAULTS.get(name, {}) == dict(table.legacy)
    assert "adapter" in TABLES["completions"].columns and "adapter" not in SCHEMAS["completions"][0]


def test_committed_stores_hold_exactly_the_defined_columns():
    """The study's stores were written by the stages' row builders: each table's columns are its
    definition's, in order, so a change to a definition shows here before it changes a stored file."""
    import polars as pl
    from conftest import ROOT

    from codegen_study.store import TABLES

    files = sorted((ROOT / "data").glob("*/*/*.parquet"))
    assert len(files) > 40, files
    for path in files:
        assert list(pl.read_parquet_schema(path)) == list(TABLES[path.stem].columns), path
