"""The `score` command contract: outputs, bad input, resume after SIGKILL, stores."""

import json
import os
import signal
import stat
import subprocess
import sys
import time

import pytest
from conftest import ROOT

from codegen_study.scoring.runs import score_into_store
from codegen_study.scoring.verdicts import Sample
from codegen_study.store import Store
from codegen_study.tasks.livecodebench import load_lcb

EXAMPLE_B = ROOT / "data" / "examples" / "benchmark.jsonl"
EXAMPLE_S = ROOT / "data" / "examples" / "samples.jsonl"

# what README states for the shipped example, per grader: (question_id, sample_id) -> verdict
EXPECTED = {
    "seed": {("ex_sum", 0): "passed", ("ex_sum", 1): "wrong_answer", ("ex_sum", 2): "runtime_error",
             ("ex_sum", 3): "no_code", ("ex_vowels", 0): "passed", ("ex_vowels", 1): "passed",
             ("ex_vowels", 2): "passed", ("ex_average", 0): "passed", ("ex_average", 1): "wrong_answer",
             ("ex_average", 2): "wrong_answer"},
    "lcb": {("ex_sum", 0): "passed", ("ex_sum", 1): "wrong_answer", ("ex_sum", 2): "runtime_error",
            ("ex_sum", 3): "no_code", ("ex_vowels", 0): "passed", ("ex_vowels", 1): "wrong_answer",
            ("ex_vowels", 2): "passed", ("ex_average", 0): "passed", ("ex_average", 1): "passed",
            ("ex_average", 2): "wrong_answer"},
}


def score(*args, **kw):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "codegen_study", "score", *map(str, args)],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, **kw)


def read_jsonl(path):
    return [json.loads(line) for line in open(path)]


@pytest.mark.parametrize("grader", ["seed", "lcb"])
def test_example_matches_readme(tmp_path, grader):
    out = tmp_path / "r.jsonl"
    res = score("--benchmark", EXAMPLE_B, "--samples", EXAMPLE_S, "--out", out, "--grader", grader, "--workers", 2)
    assert res.returncode == 0, res.stderr
    rows = read_jsonl(out)
    assert {(r["question_id"], r["sample_id"]): r["verdict"] for r in rows} == EXPECTED[grader]
    for r in rows:
        assert r["passed"] == (r["verdict"] == "passed")
        assert isinstance(r["tests_passed"], int) and isinstance(r["tests_total"], int)
    assert "5 passed" in res.stdout
    assert not list(tmp_path.glob("*.partial*"))


def test_parquet_output_and_default_sample_ids(tmp_path):
    samples = tmp_path / "s.jsonl"
    samples.write_text(
        json.dumps({"question_id": "ex_sum", "code": "a, b = map(int, input().split())\nprint(a + b)"}) + "\n\n"
        + json.dumps({"question_id": "ex_sum", "sample_id": "x", "code": "print(0)"}) + "\n"
    )
    out = tmp_path / "r.parquet"
    res = score("--benchmark", EXAMPLE_B, "--samples", samples, "--out", out)
    assert res.returncode == 0, res.stderr
    import polars as pl

    df = pl.read_parquet(out)
    assert df["sample_id"].to_list() == ["1", "x"]  # default: the line number
    assert df["passed"].to_list() == [True, False]
    assert df["tests_total"].to_list() == [2, 2]  # seed grader by default: public tests only


@pytest.mark.parametrize("content, where", [
    ('{"question_id": "ex_sum", "code": "print(1)"}\n{"question_id": "ex_sum", "code": \n', ":2:"),
    ('{"question_id": "ex_sum", "code": "print(1)"}\n\n{"sample_id": 3, "code": "print(1)"}\n',
         ":3: missing field 'question_id'"),
    ('{"question_id": "ex_sum"}\n', ":1: missing field 'code' or 'completion'"),
    ('{"question_id": "ex_sum", "code": "print(1)"}\n{"question_id": "abc999_z", "code": "print(1)"}\n',
         ":2: unknown question_id"),
    ('{"question_id": "ex_sum", "sample_id": 1, "code": "1"}\n'
     '{"question_id": "ex_sum", "sample_id": 1, "code": "2"}\n', ":2: duplicate sample"),
    ('[1, 2]\n', ":1: expected a JSON object"),
])
def test_bad_samples_fail_cleanly(tmp_path, content, where):
    samples = tmp_path / "s.jsonl"
    samples.write_text(content)
    out = tmp_path / "r.jsonl"
    res = score("--benchmark", EXAMPLE_B, "--samples", samples, "--out", out)
    assert res.returncode != 0
    assert f"s.jsonl{where}" in res.stderr and "Traceback" not in res.stderr
    assert os.listdir(tmp_path) == ["s.jsonl"]  # no output, no side file


def test_bad_benchmark_fails_cleanly(tmp_path):
    bench = tmp_path / "b.jsonl"
    bench.write_text(EXAMPLE_B.read_text().splitlines()[0] + "\n{oops\n")
    res = score("--benchmark", bench, "--samples", EXAMPLE_S, "--out", tmp_path / "r.jsonl")
    assert res.returncode != 0 and "b.jsonl:2" in res.stderr
    assert sorted(os.listdir(tmp_path)) == ["b.jsonl"]
    res = score("--benchmark", tmp_path / "missing.jsonl", "--samples", EXAMPLE_S, "--out", tmp_path / "r.jsonl")
    assert res.returncode != 0 and "missing.jsonl" in res.stderr


def test_timeout_override(tmp_path):
    samples = tmp_path / "s.jsonl"
    samples.write_text(json.dumps({"question_id": "ex_sum", "code": "while True:\n    pass"}) + "\n")
    out = tmp_path / "r.jsonl"
    t0 = time.monotonic()
    res = score("--benchmark", EXAMPLE_B, "--samples", samples, "--out", out, "--timeout", 0.5)
    assert res.returncode == 0, res.stderr
    assert read_jsonl(out)[0]["verdict"] == "timeout"
    assert time.monotonic() - t0 < 8


@pytest.mark.slow
def test_resume_after_sigkill(tmp_path):
    # 24 samples of ~0.06 s CPU each on one worker: kill once some progress is on disk
    samples = tmp_path / "s.jsonl"
    samples.write_text("".join(
        json.dumps({"question_id": "ex_sum", "sample_id": i,
                    "code": "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.06: pass\n"
                            f"a, b = map(int, input().split())\nprint(a + b)  # sample {i}"}) + "\n"
        for i in range(24)))  # distinct programs: identical ones are graded only once
    out = tmp_path / "r.jsonl"
    partial = tmp_path / "r.jsonl.partial"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "codegen_study", "score", "--benchmark", str(EXAMPLE_B),
                             "--samples", str(samples), "--out", str(out), "--workers", "1"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if partial.exists() and len(partial.read_bytes().splitlines()) >= 3:  # header + >= 2 samples
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not out.exists()
    with open(partial, "ab") as f:  # as if the kill landed mid-write
        f.write(b'{"question_id": "ex_sum", "sample_id": 23, "pass')
    done_before = len(partial.read_bytes().splitlines()) - 2
    res = score("--benchmark", EXAMPLE_B, "--samples", samples, "--out", out, "--workers", 1)
    assert res.returncode == 0, res.stderr
    assert f"resuming: {done_before} of 24" in res.stderr
    rows = read_jsonl(out)
    assert sorted(r["sample_id"] for r in rows) == list(range(24))
    assert all(r["passed"] for r in rows)
    assert not partial.exists()


def test_changed_inputs_discard_stale_progress(tmp_path):
    out = tmp_path / "r.jsonl"
    partial = tmp_path / "r.jsonl.partial"
    partial.write_text(json.dumps({"fingerprint": "other"}) + "\n"
                       + json.dumps({"question_id": "ex_sum", "sample_id": 0, "passed": False}) + "\n")
    res = score("--benchmark", EXAMPLE_B, "--samples", EXAMPLE_S, "--out", out)
    assert res.returncode == 0 and "resuming" not in res.stderr
    assert {(r["question_id"], r["sample_id"]): r["verdict"] for r in read_jsonl(out)} == EXPECTED["seed"]


def test_store_option_writes_tables_once(tmp_path):
    store_dir = tmp_path / "store"
    for _ in range(2):
        res = score("--benchmark", EXAMPLE_B, "--samples", EXAMPLE_S, "--out", tmp_path / "r.jsonl",
                    "--grader", "lcb", "--store", store_dir)
        assert res.returncode == 0, res.stderr
    store = Store(store_dir)
    assert store.read("runs").height == 1
    assert store.read("samples").height == 10 and len(list(store.iter_rows("samples"))) == 10
    runs = store.read("runs").row(0, named=True)
    assert runs["grader"] == "lcb" and json.loads(runs["protections"])
    tests = store.read("tests")
    failing = tests.filter(~tests["verdict"].is_in(["passed", "skipped"]))
    assert failing["expected"].null_count() == 0
    assert store.read("problems").height == 3


def test_benchmark_is_name_equals_source_and_a_bare_file_still_names_itself(tmp_path):
    """`--benchmark NAME=SOURCE` as `evaluate` takes it: NAME labels the store's rows; a bare file (an
    "=" in its name included) or 'humaneval' is read as before, named after itself."""
    from codegen_study.scoring.cli import benchmark_arg

    odd = tmp_path / "a=b.jsonl"
    odd.write_text("")
    assert benchmark_arg(str(EXAMPLE_B)) == ("benchmark", str(EXAMPLE_B))
    assert benchmark_arg(f"ex={EXAMPLE_B}") == ("ex", str(EXAMPLE_B))
    assert benchmark_arg(str(odd)) == ("a=b", str(odd))
    assert benchmark_arg("humaneval") == ("humaneval", "humaneval")
    assert benchmark_arg("he=humaneval") == ("he", "humaneval")
    for rows_named, benchmark in ((f"ex={EXAMPLE_B}", "ex"), (EXAMPLE_B, "benchmark")):
        store_dir = tmp_path / benchmark
        res = score("--benchmark", rows_named, "--samples", EXAMPLE_S, "--out", tmp_path / "r.jsonl",
                    "--grader", "seed", "--store", store_dir, "--workers", 2)
        assert res.returncode == 0, res.stderr
        assert {(r["question_id"], r["sample_id"]): r["verdict"] for r in read_jsonl(tmp_path / "r.jsonl")} \
            == EXPECTED["seed"]
        assert Store(store_dir).read("runs")["benchmark"].to_list() == [benchmark]
        assert set(Store(store_dir).read("problems")["benchmark"]) == {benchmark}
    res = score("--benchmark", f"ex={tmp_path / 'none.jsonl'}", "--samples", EXAMPLE_S, "--out", tmp_path / "r.jsonl")
    assert res.returncode == 2 and "none.jsonl: no such benchmark file" in res.stderr


def test_score_into_store_skips_done_samples(tmp_path):
    from codegen_study.sandbox import Sandbox
    from codegen_study.scoring.grading import PRELOAD

    problems = {p.id: p for p in load_lcb(EXAMPLE_B)}
    samples = [Sample("ex_sum", i, completion=f"```python\nprint({i + 100})\n```") for i in range(3)]
    store = Store(tmp_path)
    with Sandbox(workers=2, preload=PRELOAD) as box:
        rid = score_into_store(store, model="base", step=0, benchmark="example", decoding="greedy", grader="lcb",
                               extraction=None, problems=problems, samples=samples[:2], sandbox=box)
        rid2 = score_into_store(store, model="base", step=0, benchmark="example", decoding="greedy", grader="lcb",
                                extraction=None, problems=problems, samples=samples, sandbox=box,
                                config={"note": "second call"})
    assert rid == rid2 == "base/step-0/example/given/greedy/lcb/lcb"
    rows = list(store.iter_rows("samples"))
    assert [r["sample_id"] for r in rows] == [0, 1, 2]
    assert [(r["verdict"], r["tests_total"]) for r in rows] == [("wrong_answer", 5)] * 3
    assert len(list(store.iter_rows("runs"))) == 1
    assert len(list(store.iter_rows("tests"))) == 15
    [run] = store.iter_rows("runs")
    assert json.loads(run["protections"])["rlimits"]
    assert {r["question_id"] for r in store.iter_rows("problems")} == {"ex_sum"}


def test_unreadable_progress_tail_is_cut(tmp_path):
    """Rows after a garbage line (e.g. zeroed blocks after a power cut) are redone, not trusted."""
    from codegen_study.scoring.journal import read_journal

    partial = tmp_path / "r.jsonl.partial"
    rows = [{"fingerprint": "fp"}, {"question_id": "q", "sample_id": 0, "passed": True}]
    good = "".join(json.dumps(r) + "\n" for r in rows)
    partial.write_text(good + "\x00\x00\x00\n" + json.dumps({"question_id": "q", "sample_id": 1}) + "\n")
    assert read_journal(partial, "fp") == rows[1:]
    assert partial.read_text() == good
    assert read_journal(partial, "other-inputs") == [] and not partial.exists()


def test_progress_is_plain_periodic_lines_without_a_terminal():
    import io

    from codegen_study.core.progress import Progress

    now = [0.0]
    stream = io.StringIO()
    p = Progress(100, desc="grading (seed)", unit="sample", stream=stream, every_s=30, clock=lambda: now[0])
    assert p.bar is None  # a StringIO is no terminal
    for _ in range(10):
        now[0] += 2.0
        p.update()  # 10 samples in 20 s: no line yet
    assert stream.getvalue() == ""
    for _ in range(10):
        now[0] += 2.0
        p.update()
    # one line once 30 s have passed (at sample 15): 85 left at 0.5/s
    assert stream.getvalue() == "grading (seed): 15/100 samples (15%), 0.5 samples/s, ETA 2m50s\n"
    p.done = 100
    assert p.close() == 40.0
    assert stream.getvalue().splitlines()[-1] == "grading (seed): 100/100 samples (100%), 2.5 samples/s, in 40.0 s"


def test_progress_reports_the_end_once():
    import io

    from codegen_study.core.progress import Progress

    now = [0.0]
    stream = io.StringIO()
    p = Progress(2, desc="gen", unit="completion", stream=stream, every_s=30, clock=lambda: now[0])
    now[0] = 100.0
    p.update(2)  # the last unit arrives long after the start: close() alone reports it
    p.close()
    assert stream.getvalue().splitlines() == ["gen: 2/2 completions (100%), 0.0 completions/s, in 1m40s"]


def test_progress_draws_a_bar_with_rate_and_eta_on_a_terminal():
    import io

    from codegen_study.core.progress import Progress

    stream = io.StringIO()
    p = Progress(4, desc="grading (lcb)", unit="sample", stream=stream, tty=True)
    p.update(2)
    p.close()
    out = stream.getvalue()
    assert "grading (lcb)" in out and "2/4 [00:00<" in out and "sample/s" in out and "\r" in out  # ETA after "<"


def test_score_states_what_it_wrote_where_and_how_long(tmp_path):
    out = tmp_path / "r.jsonl"
    res = score("--benchmark", EXAMPLE_B, "--samples", EXAMPLE_S, "--out", out, "--store", tmp_path / "store")
    assert res.returncode == 0, res.stderr
    assert f"wrote {out} (10 samples: 10 graded now, 0 resumed; tables runs/samples/tests/problems in " in res.stdout
    assert "grading (seed): 10/10 samples (100%)" in res.stderr  # the closing progress line (no terminal here)
    assert "codegen-study samples (question_id + code/completion), 10 samples" in res.stderr


# -- the user's own mistakes: one clear line, exit code 2, nothing written --------------------
def assert_one_line_error(res, *needles):
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_out_equal_to_the_samples_is_refused(tmp_path):
    samples = tmp_path / "s.jsonl"
    samples.write_text(EXAMPLE_S.read_text())
    res = score("--benchmark", EXAMPLE_B, "--samples", samples, "--out", samples)
    assert_one_line_error(res, "--out", "is also an input")
    assert samples.read_text() == EXAMPLE_S.read_text()


def test_out_equal_to_the_benchmark_is_refused(tmp_path):
    bench = tmp_path / "b.jsonl"
    bench.write_text(EXAMPLE_B.read_text())
    res = score("--benchmark", bench, "--samples", EXAMPLE_S, "--out", tmp_path / "." / "b.jsonl")
    assert_one_line_error(res, "is also an input")
    assert bench.read_text() == EXAMPLE_B.read_text()


def test_out_symlink_is_refused_and_its_target_kept(tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    link = tmp_path / "r.jsonl"
    link.symlink_to(target)
    res = score("--benchmark", EXAMPLE_B, "--samples", EXAMPLE_S, "--out", link)
    assert_one_line_error(res, "symbolic link")
    assert link.is_symlink() and target.read_text() == "keep me"


def test_out_special_file_is_refused_not_replaced(tmp_path):
    """A pipe stands in for /dev/null: an output must never replace a non-regular file."""
    fifo = tmp_path / "r.jsonl"
    os.mkfifo(fifo)
    res = score("--benchmark", EXAMPLE_B, "--samples", EXAMPLE_S, "--out", fifo)
    assert_one_line_error(res, "device, pipe or socket")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_output_folder_that_is_a_file_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    res = score("--benchmark", EXAMPLE_B, "--samples", EXAMPLE_S, "--out", blocker / "r.jsonl")
    assert_one_line_error(res, "--out", "Not a directory")


def test_unwritable_output_folder_is_one_line():
    """/proc refuses new files even to root (permission bits would not stop root)."""
    res = score("--benchmark", EXAMPLE_B, "--samples", EXAMPLE_S, "--out", "/proc/r.jsonl")
    assert_one_line_error(res, "--out /proc/r.jsonl", "cannot write")


@pytest.mark.parametrize("value", ["inf", "nan", "-1"])
def test_timeout_must_be_a_finite_positive_number(tmp_path, value):
    res = score("--benchmark", EXAMPLE_B, "--samples", EXAMPLE_S, "--out", tmp_path / "r.jsonl", "--timeout", value)
    assert_one_line_error(res, "--timeout")
    assert os.listdir(tmp_path) == []


def test_deeply_nested_json_names_file_and_line(tmp_path):
    samples = tmp_path / "s.jsonl"
    samples.write_text('{"question_id": "ex_sum", "code": "print(1)"}\n' + "[" * 100000 + "]" * 100000 + "\n")
    res = score("--benchmark", EXAMPLE_B, "--samples", samples, "--out", tmp_path / "r.jsonl")
    assert_one_line_error(res, "s.jsonl:2", "nested too deeply")


def test_huge_integer_names_file_and_line(tmp_path):
    samples = tmp_path / "s.jsonl"
    samples.write_text('{"question_id": "ex_sum", "sample_id": ' + "9" * 5000 + ', "code": "print(1)"}\n')
    res = score("--benchmark", EXAMPLE_B, "--samples", samples, "--out", tmp_path / "r.jsonl")
    assert_one_line_error(res, "s.jsonl:1")


def test_lone_surrogate_is_refused_before_anything_runs(tmp_path):
    samples = tmp_path / "s.jsonl"
    samples.write_text('{"question_id": "ex_sum", "code": "print(\'\\ud800\')"}\n')
    res = score("--benchmark", EXAMPLE_B, "--samples", samples, "--out", tmp_path / "r.jsonl")
    assert_one_line_error(res, "s.jsonl:1", "lone surrogate")
    assert sorted(os.listdir(tmp_path)) == ["s.jsonl"]


@pytest.mark.parametrize("value", [0, -1])
def test_limit_must_be_positive(value):
    import argparse

    from codegen_study.cli import check_numbers
    from codegen_study.core.errors import UserError

    with pytest.raises(UserError, match="--limit must be at least 1"):
        check_numbers(argparse.Namespace(limit=value))


def test_nan_option_is_refused():
    import argparse

    from codegen_study.cli import check_numbers
    from codegen_study.core.errors import UserError

    with pytest.raises(UserError, match="--max-overlap must be a finite number"):
        check_numbers(argparse.Namespace(max_overlap=float("nan")))


def test_synth_stats_out_equal_to_its_input_is_refused(tmp_path):
    stats_in = tmp_path / "deep.jsonl"
    stats_in.write_text('{"x": 1}\n')
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    res = subprocess.run([sys.executable, "-m", "codegen_study", "synth", "--stats", str(stats_in), "--out",
                          str(stats_in)], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert_one_line_error(res, "is also an input")
    assert stats_in.read_text() == '{"x": 1}\n'


def test_samples_from_a_device_are_refused():
    res = score("--benchmark", EXAMPLE_B, "--samples", "/dev/zero", "--out", "/nonexistent/r.jsonl")
    assert_one_line_error(res, "/dev/zero", "not a regular file")


def test_a_program_writing_to_the_old_status_fd_cannot_stop_the_run(tmp_path):
    """It once aborted every run (and rerun) of its file with SandboxError."""
    samples = tmp_path / "s.jsonl"
    code = ("import os\nfor d in (b'Sboom', b'M'):\n    try:\n        os.write(3, d)\n"
            "    except OSError:\n        pass\n")
    samples.write_text(json.dumps({"question_id": "ex_sum", "code": code}) + "\n")
    out = tmp_path / "r.jsonl"
    res = score("--benchmark", EXAMPLE_B, "--samples", samples, "--out", out, "--workers", 1)
    assert res.returncode == 0, res.stderr
    assert read_jsonl(out)[0]["verdict"] == "wrong_answer"


def test_a_special_decimal_output_does_not_stop_the_run(tmp_path):
    """Under lcb, printing a signalling NaN once made the comparison raise: every run of the file died."""
    samples = tmp_path / "s.jsonl"
    samples.write_text(json.dumps({"question_id": "ex_sum", "sample_id": 0, "code": "print('sNaN')"}) + "\n"
                       + json.dumps({"question_id": "ex_sum", "sample_id": 1,
                                     "code": "a, b = map(int, input().split())\nprint(a + b)"}) + "\n")
    out = tmp_path / "r.jsonl"
    res = score("--benchmark", EXAMPLE_B, "--samples", samples, "--out", out, "--grader", "lcb", "--workers", 1)
    assert res.returncode == 0, res.stderr
    assert [r["verdict"] for r in read_jsonl(out)] == ["wrong_answer", "passed"]


def test_resume_trusts_only_rows_graded_from_the_fingerprinted_bytes(tmp_path, monkeypatch):
    """The samples file is rewritten while a run reads it, and the run dies before the end: its
    side file must describe the bytes its rows were graded from, so the rerun on the new file
    grades it anew instead of resuming rows of the old one."""
    import argparse

    from codegen_study.scoring import cli as scoring

    samples, out = tmp_path / "s.jsonl", tmp_path / "r.jsonl"
    wrong = json.dumps({"question_id": "ex_sum", "sample_id": 0, "code": "print(0)"}) + "\n"
    right = json.dumps({"question_id": "ex_sum", "sample_id": 0,
                        "code": "a, b = map(int, input().split())\nprint(a + b)"}) + "\n"
    samples.write_text(wrong)
    real_parse = scoring.read_sample_file

    def parse_then_rewrite(*a, **k):
        got = real_parse(*a, **k)
        samples.write_text(right)  # another process replaces the file under the run
        return got

    def die(*_):
        raise KeyboardInterrupt

    monkeypatch.setattr(scoring, "read_sample_file", parse_then_rewrite)
    monkeypatch.setattr(scoring, "_write_out", die)
    args = argparse.Namespace(benchmark=str(EXAMPLE_B), samples=str(samples), out=str(out), grader=None, timeout=None,
                              workers=1, extraction=None, store=None, model="samples")
    with pytest.raises(KeyboardInterrupt):
        scoring.run(args)
    assert (tmp_path / "r.jsonl.partial").exists() and not out.exists()
    monkeypatch.undo()
    res = score("--benchmark", EXAMPLE_B, "--samples", samples, "--out", out, "--workers", 1)
    assert res.returncode == 0, res.stderr
    assert "resuming" not in res.stderr
    assert read_jsonl(out)[0]["verdict"] == "passed"


def sandbox_processes(caller: int) -> list[int]:
    """Launcher, workers, runs and checkers started for `caller` (they share the launcher's
    command line, which names the caller's pid; an exec'd run carries SLEEP_TOKEN)."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if (any(b"s.launch(" in a for a in argv) and str(caller).encode() in argv) or SLEEP_TOKEN.encode() in argv:
                found.append(int(name))
    return found


SLEEP_TOKEN = f"{os.getpid() % 10**6}.{int(time.time()) % 10**4}7"


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_nothing_outlives_a_killed_scorer_by_more_than_two_seconds(tmp_path, sig):
    """Killed mid-run with long limits (a sleeping run and a busy one in hand, more queued),
    the scorer leaves no launcher, worker or run behind 2 s after it is gone."""
    samples = tmp_path / "s.jsonl"
    codes = [f"import os\nos.execvp('sleep', ['sleep', '{SLEEP_TOKEN}'])  # {i}" for i in range(3)]
    codes += [f"while True:\n    pass  # {i}" for i in range(3)]
    samples.write_text("".join(json.dumps({"question_id": "ex_sum", "sample_id": i, "code": c}) + "\n"
                               for i, c in enumerate(codes)))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "codegen_study", "score", "--benchmark", str(EXAMPLE_B),
                             "--samples", str(samples), "--out", str(tmp_path / "r.jsonl"), "--workers", "2",
                             "--timeout", "60"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(
            SLEEP_TOKEN.encode() in open(f"/proc/{p}/cmdline", "rb").read() for p in sandbox_processes(proc.pid)
            if os.path.exists(f"/proc/{p}/cmdline")):
        time.sleep(0.05)
    time.sleep(0.3)  # the busy run is in hand too
    assert sandbox_processes(proc.pid), "the run never started"
    proc.send_signal(sig)
    proc.wait(timeout=30)
    gone = time.monotonic()
    while sandbox_processes(proc.pid) and time.monotonic() < gone + 2.0:
        time.sleep(0.05)
    assert sandbox_processes(proc.pid) == []


def test_samples_on_stdin_are_read_once_and_an_empty_file_warns(tmp_path):
    line = json.dumps({"question_id": "ex_sum", "code": "a, b = map(int, input().split())\nprint(a + b)"}) + "\n"
    res = score("--benchmark", EXAMPLE_B, "--samples", "-", "--out", tmp_path / "r.jsonl", "--workers", 1, input=line)
    assert res.returncode == 0, res.stderr
    assert read_jsonl(tmp_path / "r.jsonl")[0]["verdict"] == "passed"
    empty = tmp_path / "e.jsonl"
    empty.write_text("")
    res = score("--benchmark", EXAMPLE_B, "--samples", empty, "--out", tmp_path / "e_out.jsonl", "--workers", 1)
    assert res.returncode == 0 and "warning:" in res.stderr and read_jsonl(tmp_path / "e_out.jsonl") == []


def test_a_bad_store_is_refused_before_any_progress_file(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    out = tmp_path / "r.jsonl"
    res = score("--benchmark", EXAMPLE_B, "--samples", EXAMPLE_S, "--out", out, "--store", blocker)
    assert_one_line_error(res, "--store")
    assert not out.with_name("r.jsonl.partial").exists()
