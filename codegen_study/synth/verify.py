"""Verification of synthetic problems: every solution must pass every test inside the sandbox.

Why a harness: starting one sandboxed interpreter per (solution, test) would cost ~55k process
starts for a 5,000-row corpus. Instead one sandboxed *harness* program runs a batch of
(solution, problem) pairs: for each test input it execs the solution's code in a fresh globals
dict with `sys.stdin`/`sys.stdout` redirected to in-memory text streams (with `.buffer`, so
`sys.stdin.buffer.read()` works too) and reports every test's stdout as JSON after a marker
line. A batch that fails as a whole (timeout, crash, unreadable report) is retried pair by
pair; a pair whose harness run does not match is re-run the plain way -- one sandbox job per
test with real stdin -- so idioms the harness cannot host (e.g. `open(0)`) are judged fairly.
Only the code still runs in `codegen_study.sandbox`; the harness adds no trust.

Comparison: stripped lines (each line right-stripped, trailing blank lines ignored), the exact
part of the LiveCodeBench rule; our outputs have no floats.

Also checks statements: every sample block parsed back out of the statement must equal the
problem's public test and the reference output, and no `$` placeholder may be left unfilled.

Does not cover: which problems to build (corpus.py) or grading model completions (grading).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from codegen_study.synth.world import SynthProblem, parse_samples

MARKER = "@@SYNTH-HARNESS-REPORT@@"
BATCH_PAIRS = 40  # (solution, problem) pairs per harness job

_HARNESS = r'''
import io, json, sys
_PAIRS = json.loads(__PAIRS__)
_real_out = sys.stdout
class _Keep(io.BytesIO):
    def close(self):  # the text wrapper closes its buffer when collected; keep the bytes
        pass
_report = []
for _code, _inputs in _PAIRS:
    _outs = []
    try:
        _compiled = compile(_code, "<solution>", "exec")
    except BaseException as _e:
        _report.append([None] * len(_inputs))
        continue
    for _inp in _inputs:
        sys.stdin = io.TextIOWrapper(io.BytesIO(_inp.encode()), encoding="utf-8")
        _buf = _Keep()
        sys.stdout = io.TextIOWrapper(_buf, encoding="utf-8", write_through=True)
        _ok = True
        try:
            exec(_compiled, {"__name__": "__main__", "__builtins__": __builtins__})
        except SystemExit as _e:
            _ok = _e.code in (None, 0)
        except BaseException:
            _ok = False
        try:
            sys.stdout.flush()
        except BaseException:
            pass
        sys.stdout = _real_out
        sys.stdin = sys.__stdin__
        _outs.append(_buf.getvalue().decode("utf-8", "replace") if _ok else None)
    _report.append(_outs)
_real_out.write("\n" + __MARKER__ + "\n" + json.dumps(_report) + "\n")
_real_out.flush()
'''


def normalise_output(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def outputs_match(expected: str, actual: str | None) -> bool:
    return actual is not None and normalise_output(expected) == normalise_output(actual)


def harness_program(pairs: Sequence[tuple[str, Sequence[str]]]) -> str:
    """Source of one harness job running `pairs` of (code, [stdin, ...])."""
    payload = json.dumps([[code, list(inputs)] for code, inputs in pairs])
    return _HARNESS.replace("__PAIRS__", repr(payload)).replace("__MARKER__", repr(MARKER))


def parse_report(stdout: str, n_pairs: int) -> list[list[str | None]] | None:
    idx = stdout.rfind(MARKER)
    if idx < 0:
        return None
    try:
        report = json.loads(stdout[idx + len(MARKER):].strip())
    except ValueError:
        return None
    return report if isinstance(report, list) and len(report) == n_pairs else None


def check_statement(problem: SynthProblem) -> str | None:
    """Why the statement is wrong (None when fine): samples vs public tests, placeholders."""
    if re.search(r"\$[A-Za-z_{]", problem.statement) or "$" in problem.title:
        return "unfilled $placeholder"
    for head in ("Input", "Output", "Constraints", "Sample Input 1"):
        if head not in problem.statement:
            return f"statement lacks '{head}'"
    samples = parse_samples(problem.statement)
    public = problem.public_tests
    if len(samples) != len(public):
        return f"{len(samples)} sample blocks for {len(public)} public tests"
    for (inp, out), test in zip(samples, public):
        if inp.strip() != test.input.strip() or not outputs_match(test.output, out):
            return "sample block differs from its test"
    return None


@dataclass
class Verdict:
    problem_key: str
    solution: str
    passed: bool
    reason: str = ""


class Verifier:
    """Runs (problem, solution) pairs through the sandbox; one instance per corpus build."""

    def __init__(self, workers: int | None = None, timeout_s: float = 10.0, memory_mb: int = 1024,
                 sandbox_module=None):
        if sandbox_module is None:
            from codegen_study import sandbox as sandbox_module
        self._sandbox_mod = sandbox_module
        self.workers = workers
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self._box = None

    def __enter__(self) -> "Verifier":
        self._box = self._sandbox_mod.Sandbox(workers=self.workers).__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self._box is not None:
            self._box.__exit__(*exc)
            self._box = None

    def _run(self, programs: list[tuple[str, str, float]]):
        sb = self._sandbox_mod
        jobs = [sb.Job(code, stdin, sb.Limits(timeout_s=t, memory_mb=self.memory_mb, stdout_bytes=16 << 20))
                for code, stdin, t in programs]
        return self._box.run_many(jobs)

    def verify(self, items: Sequence[tuple[SynthProblem, int]]) -> list[Verdict]:
        """Verdicts for (problem, solution index) pairs, in order."""
        pairs = [(p.solutions[i].code, [t.input for t in p.tests]) for p, i in items]
        outs: list[list[str | None] | None] = [None] * len(items)
        batches = [list(range(s, min(s + BATCH_PAIRS, len(items)))) for s in range(0, len(items), BATCH_PAIRS)]
        retry: list[int] = []
        results = self._run([(harness_program([pairs[i] for i in b]), "", self.timeout_s + 0.5 * len(b))
                             for b in batches])
        for b, res in zip(batches, results):
            report = parse_report(res.stdout, len(b)) if res.status == "ok" else None
            if report is None:
                retry.extend(b)
            else:
                for i, r in zip(b, report):
                    outs[i] = r
        if retry:  # a batch died as a whole: run its pairs one by one
            results = self._run([(harness_program([pairs[i]]), "", self.timeout_s) for i in retry])
            for i, res in zip(retry, results):
                rep = parse_report(res.stdout, 1) if res.status == "ok" else None
                outs[i] = rep[0] if rep else None
        verdicts: list[Verdict | None] = [None] * len(items)
        plain: list[int] = []
        for n, ((p, si), got) in enumerate(zip(items, outs)):
            if got is not None and len(got) == len(p.tests) and all(
                    outputs_match(t.output, o) for t, o in zip(p.tests, got)):
                verdicts[n] = Verdict(p.key, p.solutions[si].name, True)
            else:
                plain.append(n)
        if plain:  # the harness could not host it (or it is wrong): real stdin, one job per test
            progs = [(items[n][0].solutions[items[n][1]].code, t.input, self.timeout_s)
                     for n in plain for t in items[n][0].tests]
            results = iter(self._run(progs))
            for n in plain:
                p, si = items[n]
                reason = ""
                for t in p.tests:
                    res = next(results)
                    if not reason and (res.status != "ok" or not outputs_match(t.output, res.stdout)):
                        reason = f"{res.status}: expected {t.output.strip()[:60]!r}, got {res.stdout.strip()[:60]!r}" \
                                 f"{' ' + res.stderr.strip().splitlines()[-1][:120] if res.stderr.strip() else ''}"
                verdicts[n] = Verdict(p.key, p.solutions[si].name, not reason, reason)
        return verdicts  # type: ignore[return-value]
