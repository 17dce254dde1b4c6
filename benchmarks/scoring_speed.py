"""Speed of `codegen-study score` against the seed harness's way, on the same programs.

The seed harness (the original study's `livecodebench_eval.py`) writes each program to a file and
runs one fresh `python` subprocess per test, sequentially, with a wall-clock timeout, and no
sandbox. This script builds a synthetic LiveCodeBench-format benchmark (100 stdin problems,
870 test runs over 300 programs: correct, wrong-answer, runtime-error and a few
busy-loop timeouts), grades it both ways in one run on this machine, asserts that every sample
verdict (what Pass@1 counts) is identical and that every test both ways ran has the same verdict
(our scorer skips a sample's tests after a timeout), and prints both times and the ratio (at
least 25x is expected). Our side is the whole `codegen-study score` command as a subprocess
(interpreter start, imports, sandbox
start-up and output writing all counted), with default workers (two per core). The package is
byte-compiled first, as `pip install` does (an editable install under PYTHONDONTWRITEBYTECODE=1
would otherwise recompile it at every start).

Run:  .venv/bin/python benchmarks/scoring_speed.py   [--timeout 0.5] [--timeouts 3] [--keep DIR]

The target is stated for the default (three busy-loop timeouts). Each costs the seed way its
limit in wall time on one core, and costs us the same limit in CPU time (a timeout is only
proven by letting the program use it), so on few cores the timeouts bound the ratio:
`--timeouts 0` shows what the rest of the pipeline achieves.

Trusted programs only: the seed way runs them unsandboxed, exactly like the seed harness.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# (title, input maker, reference, correct program, wrong program, crashing program)
KINDS = [
    ("sum", lambda r: f"{r.randint(1, 9)}\n" + " ".join(str(r.randint(-99, 99)) for _ in range(5)) + "\n",
     lambda s: str(sum(map(int, s.split("\n")[1].split()))),
     "input()\nprint(sum(map(int, input().split())))\n",
     "input()\nprint(max(map(int, input().split())))\n",
     "n = int(input())\nprint(sum(map(int, input().split())) // (n - n))\n"),
    ("reverse", lambda r: "".join(r.choice("abcxyz") for _ in range(r.randint(3, 12))) + "\n",
     lambda s: s.strip()[::-1],
     "s = input().strip()\nprint(s[::-1])\n",
     "s = input().strip()\nprint(s)\n",
     "s = input().strip()\nprint(s[len(s) * 2])\n"),
    ("count", lambda r: "".join(r.choice("aeibcd") for _ in range(r.randint(3, 12))) + "\n",
     lambda s: str(sum(c in "aeiou" for c in s.strip())),
     "import sys\ns = sys.stdin.readline().strip()\nprint(sum(c in 'aeiou' for c in s))\n",
     "s = input()\nprint(len(s))\n",
     "s = input()\nprint(undefined_name)\n"),
    ("grid", lambda r: "2 3\n" + "\n".join(" ".join(str(r.randint(0, 9)) for _ in range(3)) for _ in range(2)) + "\n",
     lambda s: "\n".join(str(sum(map(int, row.split()))) for row in s.strip().split("\n")[1:]),
     "h, w = map(int, input().split())\nfor _ in range(h):\n    print(sum(map(int, input().split())))\n",
     "h, w = map(int, input().split())\nfor _ in range(h):\n    print(sum(map(int, input().split())) + 1)\n",
     "h, w = map(int, input().split())\nrows = [input() for _ in range(h + 1)]\n"),
]


def looping(program: str, stdin: str) -> str:
    """`program`, but spinning forever (CPU-bound, so both ways call it a timeout) on `stdin`."""
    return (f"import io, sys\ndata = sys.stdin.read()\nif data == {stdin!r}:\n    while True:\n        pass\n"
            "sys.stdin = io.StringIO(data)\n" + program)


def build(folder: Path, seed: int = 0, timeouts: int = 3) -> tuple[Path, Path, list[dict], dict]:
    """Benchmark rows + samples: 100 problems, 3 programs each, 870 test runs in all.

    `timeouts` programs (spread evenly) spin forever on their first test."""
    rng = random.Random(seed)
    rows, samples, problems = [], [], {}
    looping_at = {50 + 101 * t for t in range(timeouts)}  # 50, 151, 252 for the default three
    for i in range(100):
        title, make, ref, good, wrong, crash = KINDS[i % len(KINDS)]
        n_tests = 2 if i < 10 else 3
        tests = []
        for _ in range(n_tests):
            stdin = make(rng)
            tests.append({"input": stdin, "output": ref(stdin) + "\n", "testtype": "stdin"})
        qid = f"bench_{i:03d}"
        problems[qid] = tests
        rows.append({"question_title": f"{title} {i}", "question_content": title, "platform": "atcoder",
                     "question_id": qid, "contest_id": "bench", "contest_date": "2024-09-01T00:00:00",
                     "starter_code": "", "difficulty": "easy", "public_test_cases": json.dumps(tests),
                     "private_test_cases": "", "metadata": "{}"})
        # 60% correct, 20% wrong, 17% crashing, 3 programs with a busy loop on some inputs
        for j in range(3):
            k = 3 * i + j
            if k in looping_at:  # these programs time out on their first test
                code = looping(good, tests[0]["input"])
            else:
                code = good if k % 10 < 6 else wrong if k % 10 < 8 else crash
            samples.append({"question_id": qid, "sample_id": j, "code": code})
    bench, smp = folder / "bench.jsonl", folder / "samples.jsonl"
    bench.write_text("".join(json.dumps(r) + "\n" for r in rows))
    smp.write_text("".join(json.dumps(s) + "\n" for s in samples))
    return bench, smp, samples, problems


def normalize(s: str) -> str:
    return "\n".join(line.strip() for line in s.strip().split("\n"))


def seed_way(samples: list[dict], problems: dict, timeout: float, folder: Path) -> dict:
    """The seed harness: file per program, fresh `python` per test, sequential, no sandbox."""
    verdicts = {}
    prog = folder / "program.py"
    for s in samples:
        prog.write_text(s["code"])
        per_test = []
        for t in problems[s["question_id"]]:
            try:
                res = subprocess.run([sys.executable, str(prog)], input=t["input"], capture_output=True,
                                     text=True, timeout=timeout)
            except subprocess.TimeoutExpired:
                per_test.append("timeout")
                continue
            if res.returncode != 0:
                per_test.append("runtime_error")
            elif normalize(res.stdout) == normalize(t["output"]):
                per_test.append("passed")
            else:
                per_test.append("wrong_answer")
        verdicts[(s["question_id"], s["sample_id"])] = per_test
    return verdicts


def our_way(bench: Path, smp: Path, out: Path, timeout: float) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [sys.executable, "-m", "codegen_study", "score", "--benchmark", str(bench), "--samples", str(smp),
           "--out", str(out), "--grader", "seed", "--timeout", str(timeout)]
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    if res.returncode != 0:
        raise SystemExit(f"score failed ({res.returncode}):\n{res.stderr}")
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    return {(r["question_id"], r["sample_id"]): r["test_verdicts"] for r in rows}


def _child_cpu() -> float:
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timeout", type=float, default=0.3, help="per-test limit for both ways (seconds)")
    ap.add_argument("--keep", default=None, help="keep the generated files in this folder")
    ap.add_argument("--timeouts", type=int, default=3, help="programs that spin forever (default 3, at most 3)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        bench, smp, samples, problems = build(folder, timeouts=min(3, max(0, args.timeouts)))
        runs = sum(len(problems[s["question_id"]]) for s in samples)
        load = os.getloadavg()[0]
        print(f"{len(samples)} programs, {runs} test runs, timeout {args.timeout} s, {os.cpu_count()} cores, "
              f"load average {load:.1f} (both ways slow down on a busy machine)")

        compileall.compile_dir(ROOT / "codegen_study", quiet=1)
        c0, t0 = _child_cpu(), time.perf_counter()
        ours = our_way(bench, smp, folder / "results.jsonl", args.timeout)
        t_ours, c_ours = time.perf_counter() - t0, _child_cpu() - c0

        c0, t0 = _child_cpu(), time.perf_counter()
        seed = seed_way(samples, problems, args.timeout, folder)
        t_seed, c_seed = time.perf_counter() - t0, _child_cpu() - c0

    def sample_verdict(per_test: list[str]) -> str:  # what Pass@1 counts: the first failure, or passed
        return next((v for v in per_test if v != "passed"), "passed")

    def ran_both(a: list[str], b: list[str] | None) -> bool:  # tests our scorer skipped are not compared
        return b is not None and all(x == y for x, y in zip(a, b) if y != "skipped")

    mismatches = [(k, seed[k], ours.get(k)) for k in seed
                  if ours.get(k) is None or sample_verdict(seed[k]) != sample_verdict(ours[k])
                  or not ran_both(seed[k], ours[k])]
    skipped = sum(v == "skipped" for per_test in ours.values() for v in per_test)
    counts: dict[str, int] = {}
    for per_test in seed.values():
        for v in per_test:
            counts[v] = counts.get(v, 0) + 1
    print("test verdicts: " + ", ".join(f"{k}={counts[k]}" for k in sorted(counts)))
    print(f"seed harness's way (fresh python per test, sequential): {t_seed:7.2f} s")
    print(f"codegen-study score (whole command, default workers):  {t_ours:7.2f} s")
    print(f"speed-up: {t_seed / t_ours:.1f}x (target >= 25x)")
    print(f"CPU seconds used (all processes): seed way {c_seed:.2f}, ours {c_ours:.2f} ({c_seed / c_ours:.1f}x less)")
    n_timeouts = counts.get("timeout", 0)
    if n_timeouts:
        floor = n_timeouts * args.timeout / (os.cpu_count() or 1)
        print(f"bound: the {n_timeouts} timeouts alone need about {n_timeouts * args.timeout:.2f} CPU seconds, "
              f"{floor:.2f} s on {os.cpu_count()} cores; 25x needs the whole command within {t_seed / 25:.2f} s")
    if mismatches:
        for k, a, b in mismatches[:10]:
            print(f"MISMATCH {k}: seed way {a} vs ours {b}")
        print(f"{len(mismatches)} programs with different verdicts")
        return 1
    print(f"verdicts identical on all {len(seed)} programs ({runs} test runs; {skipped} tests after a "
          f"timeout were skipped by our scorer, every test both ran has the same verdict)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
