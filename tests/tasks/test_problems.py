"""Benchmark loading: LCB rows (local, hub path offline), filters, restricted unpickling, HumanEval."""

import base64
import json
import os
import pickle
import sys
import types
import zlib

import pytest
from conftest import FIXTURES, ROOT

from codegen_study.core.errors import UserError
from codegen_study.tasks.encoded_tests import decode_test_cases, safe_unpickle
from codegen_study.tasks.humaneval import load_humaneval
from codegen_study.tasks.livecodebench import lcb_version_files, load_lcb, read_ids_file
from codegen_study.tasks.sources import load_benchmark

MINI = FIXTURES / "lcb_mini.jsonl"


def test_local_rows_become_problems():
    problems = {p.id: p for p in load_lcb(MINI)}
    assert list(problems) == ["mini_double", "mini_add", "mini_pair"]
    double = problems["mini_double"]
    assert double.kind == "stdin" and double.date == "2024-08-10" and double.platform == "atcoder"
    assert [(t.input, t.output, t.public) for t in double.tests] == [
        ("3\n", "6\n", True), ("0\n", "0\n", True), ("21\n", "42\n", False), ("-5\n", "-10\n", False)]
    assert double.url == "https://atcoder.jp/contests/abc900/tasks/mini_double"
    add = problems["mini_add"]
    assert add.kind == "functional" and add.fn_name == "addTwo"
    assert len(add.public_tests) == 2 and len(add.tests) == 3
    assert problems["mini_pair"].tests[0].public


def test_filters_platform_difficulty_dates():
    ids = lambda **kw: [p.id for p in load_lcb(MINI, **kw)]  # noqa: E731
    assert ids(platform="atcoder") == ["mini_double"]
    assert ids(platform=["atcoder", "leetcode"]) == ["mini_double", "mini_add"]
    assert ids(difficulty="medium") == ["mini_pair"]
    # the seed's YYMM window is whole months, inclusive
    assert ids(start="2408", end="2410") == ["mini_double", "mini_add"]
    assert ids(start="2409", end="2502") == ["mini_add"]
    assert ids(start="2024-08-11") == ["mini_add", "mini_pair"]
    assert ids(end="2024-10-05") == ["mini_double", "mini_add"]
    with pytest.raises(UserError, match="bad date"):
        load_lcb(MINI, start="August")


def test_ids_keep_order_and_missing_is_an_error(tmp_path):
    assert [p.id for p in load_lcb(MINI, ids=["mini_pair", "mini_double"])] == ["mini_pair", "mini_double"]
    f = tmp_path / "ids.txt"
    f.write_text("# a comment\nmini_add\n\nmini_pair  # trailing comment\n")
    assert read_ids_file(f) == ["mini_add", "mini_pair"]
    assert [p.id for p in load_lcb(MINI, ids_file=f)] == ["mini_add", "mini_pair"]
    with pytest.raises(UserError, match="nope"):
        load_lcb(MINI, ids=["mini_add", "nope"])


def test_seed41_ids_file_matches_shared_data(shared_lcb):
    ids = read_ids_file(ROOT / "data" / "benchmarks" / "lcb_seed41.txt")
    assert len(ids) == 41 == len(set(ids))
    problems = load_lcb(shared_lcb, ids_file=ROOT / "data" / "benchmarks" / "lcb_seed41.txt",
                        platform="atcoder", difficulty="easy", start="2408", end="2502")
    assert [p.id for p in problems] == ids
    assert sum(len(p.tests) for p in problems) == 118


def test_broken_line_names_file_and_line(tmp_path):
    lines = MINI.read_text().splitlines()
    bad = tmp_path / "bad.jsonl"
    bad.write_text(lines[0] + "\n" + lines[1][:-5] + "\n")
    with pytest.raises(UserError, match=r"bad\.jsonl:2: invalid JSON"):
        load_lcb(bad)
    row = json.loads(lines[0])
    del row["public_test_cases"]
    bad.write_text(lines[1] + "\n\n" + json.dumps(row) + "\n")
    with pytest.raises(UserError, match=r"bad\.jsonl:3: missing field 'public_test_cases'"):
        load_lcb(bad)
    row = json.loads(lines[0])
    row["private_test_cases"] = "!!not base64!!"
    bad.write_text(json.dumps(row) + "\n")
    with pytest.raises(UserError, match=r"bad\.jsonl:1: private_test_cases"):
        load_lcb(bad)
    with pytest.raises(UserError, match="no such file"):
        load_lcb(tmp_path / "missing.jsonl")


def _b64(obj_bytes: bytes) -> str:
    return base64.b64encode(zlib.compress(obj_bytes)).decode()


def test_private_tests_plain_json_and_pickled():
    cases = [{"input": "1\n", "output": "2\n", "testtype": "stdin"}]
    assert decode_test_cases(json.dumps(cases)) == cases
    assert decode_test_cases(_b64(pickle.dumps(json.dumps(cases)))) == cases
    assert decode_test_cases("") == []


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/codegen_study_pwned",))


def test_restricted_unpickler_refuses_globals_and_odd_types(tmp_path):
    with pytest.raises(pickle.UnpicklingError, match="refusing to load global"):
        safe_unpickle(pickle.dumps(_Evil()))
    with pytest.raises(pickle.UnpicklingError, match="tuple"):
        safe_unpickle(pickle.dumps(("a", 1)))
    with pytest.raises(pickle.UnpicklingError, match="set"):
        safe_unpickle(pickle.dumps({1, 2}))
    with pytest.raises(pickle.UnpicklingError):
        safe_unpickle(pickle.dumps(bytearray(b"xy"), protocol=5))
    assert safe_unpickle(pickle.dumps({"a": [1, 2.5, None, True, b"x", "s"]})) == {"a": [1, 2.5, None, True, b"x", "s"]}
    # through the row decoder the refusal is a ValueError (a UserError at load time)
    with pytest.raises(ValueError, match="unsafe or broken pickle"):
        decode_test_cases(_b64(pickle.dumps(_Evil())))
    assert not os.path.exists("/tmp/codegen_study_pwned")


def test_version_tags():
    assert lcb_version_files("release_v1") == ["test.jsonl"]
    assert lcb_version_files("release_v5")[-1] == "test5.jsonl" and len(lcb_version_files("release_v5")) == 5
    assert lcb_version_files("v6") == ["test6.jsonl"]
    assert lcb_version_files("v2_v3") == ["test2.jsonl", "test3.jsonl"]
    with pytest.raises(UserError):
        lcb_version_files("latest-ish")


def test_hub_path_uses_raw_jsonl_files_not_the_script(monkeypatch):
    rows = [json.loads(line) for line in MINI.read_text().splitlines()]
    calls = []

    def load_dataset(builder, data_files=None, split=None):
        calls.append((builder, data_files, split))
        return rows

    monkeypatch.setitem(sys.modules, "datasets", types.SimpleNamespace(load_dataset=load_dataset))
    problems = load_lcb("livecodebench/code_generation_lite", version="release_v2", platform="leetcode")
    assert [p.id for p in problems] == ["mini_add"]
    assert calls == [("json", ["hf://datasets/livecodebench/code_generation_lite/test.jsonl",
                               "hf://datasets/livecodebench/code_generation_lite/test2.jsonl"], "train")]
    calls.clear()
    load_lcb("hf://datasets/someone/lcb-parquet/data/*.parquet")
    assert calls[0][0] == "parquet"


def test_parquet_file(tmp_path):
    import polars as pl

    rows = [json.loads(line) for line in MINI.read_text().splitlines()]
    pl.DataFrame(rows).write_parquet(tmp_path / "lcb.parquet")
    assert [p.id for p in load_lcb(tmp_path / "lcb.parquet")] == ["mini_double", "mini_add", "mini_pair"]


def test_humaneval_shipped_data():
    problems = load_humaneval()
    assert len(problems) == 164
    p = problems[0]
    assert p.id == "HumanEval/0" and p.kind == "humaneval" and p.entry_point == "has_close_elements"
    assert "def check(candidate)" in p.test_code and p.statement.startswith("from typing import List")
    assert [q.id for q in load_benchmark("humaneval")][:2] == ["HumanEval/0", "HumanEval/1"]
    assert [q.id for q in load_benchmark(str(MINI), platform="codeforces")] == ["mini_pair"]
