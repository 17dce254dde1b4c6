"""Building the three synthetic outputs for one seed: Deep, Diverse and the held-out benchmark.

* deep: `n_problems` unique problems x 5 distinct verified solutions (reasoning + code rows);
* diverse: `n_problems` rows, one per distinct problem, solutions cycled per family;
* heldout: LiveCodeBench ``code_generation_lite`` rows -- "seen" problems from training
  families whose keys are reserved (never in either corpus of the same seed) and "unseen"
  problems from families marked ``heldout`` (never in any corpus).

Consistency without coordination: the held-out "seen" keys are a reserve pool -- the first
`SEEN_POOL` keys of each training family's own "heldout" stream -- which the deep and diverse
streams exclude; so each output can be built alone and the three still agree.

Rows of deep/diverse follow the CodeGen (Naholav) schema: `id`, `problem_id`, `family`,
`input` (statement), `solution` (code only), `output` (reasoning, then the code in a
```python fence), `split` (train/valid/test by problem key hash, 90/5/5), `solution_name`.

Verification (on by default) drops failing rows and fills up with further problems so sizes
stay fixed; the `BuildReport` counts what was dropped. Does not cover statistics (stats.py).
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field

from codegen_study.synth.family import Family, families
from codegen_study.synth.verify import check_statement
from codegen_study.synth.world import SynthProblem, draw_keys, instantiate, instantiate_many, key_digest, round_robin

KINDS = ("deep", "diverse", "heldout")
DEFAULT_PROBLEMS = {"deep": 1000, "diverse": 5000, "heldout": 5}
SOLUTIONS_PER_PROBLEM = 5
SEEN_POOL = 8  # reserved held-out keys per training family (>= seen problems per family)
CONTEST_DATE = "2025-03-01T00:00:00"


@dataclass
class BuildReport:
    kind: str
    seed: int
    rows: int = 0
    problems: int = 0
    families: int = 0
    dropped_rows: int = 0  # failing (problem, solution) rows left out
    dropped_problems: int = 0  # problems left out (bad statement or too few passing solutions)
    dropped_by_family: dict[str, int] = field(default_factory=dict)
    failures: list[dict] = field(default_factory=list)  # first few failures, for the report
    verified: bool = True
    seconds_generate: float = 0.0
    seconds_verify: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def split_of(seed: int, key: str) -> str:
    """Split by problem key: 90% train, 5% valid, 5% test (stable across corpus kinds)."""
    bucket = int(key_digest(f"{seed}:split:{key}")[:8], 16) % 100
    return "train" if bucket < 90 else "valid" if bucket < 95 else "test"


def training_families(fams: dict[str, Family] | None = None) -> list[Family]:
    return [f for f in (fams or families()).values() if not f.heldout]


def heldout_families(fams: dict[str, Family] | None = None) -> list[Family]:
    return [f for f in (fams or families()).values() if f.heldout]


def reserved_keys(fams: list[Family], seed: int) -> dict[str, list[dict]]:
    """family -> the reserved held-out parameter dicts (in draw order) of each training family."""
    out = {}
    for fam in fams:
        gen = draw_keys(fam, seed, "heldout")
        out[fam.name] = [p for _, p in zip(range(SEEN_POOL), gen)]
    return out


def _excluded(fams: list[Family], seed: int) -> frozenset[str]:
    byfam = {f.name: f for f in fams}
    return frozenset(byfam[n].key(p) for n, ps in reserved_keys(fams, seed).items() for p in ps)


def fenced_output(reasoning: str, code: str) -> str:
    return f"{reasoning.strip()}\n\n```python\n{code.rstrip()}\n```"


class _Builder:
    """Shared machinery: instantiate candidates, check statements, verify solution choices."""

    def __init__(self, kind: str, seed: int, verifier, report: BuildReport):
        self.kind, self.seed, self.verifier, self.report = kind, seed, verifier, report

    def drop(self, problem: SynthProblem, solution: str, reason: str, rows: int = 1) -> None:
        self.report.dropped_rows += rows
        self.report.dropped_by_family[problem.family] = self.report.dropped_by_family.get(problem.family, 0) + rows
        if len(self.report.failures) < 50:
            self.report.failures.append({"family": problem.family, "problem_id": problem.problem_id,
                                         "solution": solution, "reason": reason[:300]})

    def collect(self, candidates: Iterator[tuple[Family, dict]], need: int,
                choose: Callable[[SynthProblem, int], list[int]], min_keep: int) -> list[tuple[SynthProblem, list[int]]]:
        """Verified (problem, solution indices) until `need` problems; `choose(problem, ordinal)`
        lists the solution indices to try in order, of which the first `min_keep` passing are kept."""
        kept: list[tuple[SynthProblem, list[int]]] = []
        ordinal: Counter[str] = Counter()
        while len(kept) < need:
            batch: list[tuple[SynthProblem, list[int]]] = []
            t0 = time.perf_counter()
            want = int((need - len(kept)) * 1.02) + 2
            pairs = [pair for _, pair in zip(range(want), candidates)]
            for prob in instantiate_many(pairs, self.seed):
                order = choose(prob, ordinal[prob.family])
                ordinal[prob.family] += 1
                bad = check_statement(prob)
                if bad:
                    self.report.dropped_problems += 1
                    self.drop(prob, "statement", bad, rows=min_keep)
                    continue
                batch.append((prob, order))
            self.report.seconds_generate += time.perf_counter() - t0
            if not batch:
                break  # every family exhausted
            t0 = time.perf_counter()
            if self.verifier is None:
                passed = {(p.key, i): True for p, order in batch for i in order}
            else:
                items = [(p, i) for p, order in batch for i in order]
                verdicts = self.verifier.verify(items)
                passed = {}
                for (p, i), v in zip(items, verdicts):
                    passed[(p.key, i)] = v.passed
                    if not v.passed:
                        self.drop(p, p.solutions[i].name, v.reason)
            self.report.seconds_verify += time.perf_counter() - t0
            for prob, order in batch:
                good = [i for i in order if passed[(prob.key, i)]][:min_keep]
                if len(good) < min_keep:
                    self.report.dropped_problems += 1
                    continue
                if len(kept) < need:
                    kept.append((prob, good))
        return kept

    def collect_each(self, requests: list[tuple[Iterator[tuple[Family, dict]], int]]
                     ) -> list[list[tuple[SynthProblem, list[int]]]]:
        """Like `collect` with every solution required, for several candidate streams at once
        (one sandbox call per round instead of one per stream); `need` problems from each."""
        kept: list[list[tuple[SynthProblem, list[int]]]] = [[] for _ in requests]
        alive = [True] * len(requests)
        while True:
            todo: list[tuple[int, Iterator, int]] = [(r, it, need - len(kept[r])) for r, (it, need) in enumerate(requests)
                                                     if alive[r] and len(kept[r]) < need]
            if not todo:
                return kept
            pending: list[tuple[int, Family, dict]] = []
            for r, it, missing in todo:
                cands = list(zip(range(missing), it))
                if len(cands) < missing:
                    alive[r] = False  # stream exhausted: take what there is
                pending += [(r, fam, params) for _, (fam, params) in cands]
            if not pending:
                return kept
            batch = []
            t0 = time.perf_counter()
            for r, fam, params in pending:
                prob = instantiate(fam, params, self.seed)
                bad = check_statement(prob)
                if bad:
                    self.report.dropped_problems += 1
                    self.drop(prob, "statement", bad, rows=len(prob.solutions))
                else:
                    batch.append((r, prob))
            self.report.seconds_generate += time.perf_counter() - t0
            t0 = time.perf_counter()
            items = [(p, i) for _, p in batch for i in range(len(p.solutions))]
            verdicts = self.verifier.verify(items) if self.verifier is not None else None
            self.report.seconds_verify += time.perf_counter() - t0
            passed = {}
            for n, (p, i) in enumerate(items):
                ok = verdicts is None or verdicts[n].passed
                passed[(p.key, i)] = ok
                if not ok:
                    self.drop(p, p.solutions[i].name, verdicts[n].reason)
            for r, prob in batch:
                if all(passed[(prob.key, i)] for i in range(len(prob.solutions))):
                    kept[r].append((prob, list(range(len(prob.solutions)))))
                else:
                    self.report.dropped_problems += 1


def build_corpus(kind: str, seed: int, n_problems: int | None = None, verifier=None,
                 fams: dict[str, Family] | None = None) -> tuple[list[dict], BuildReport]:
    """Rows of the deep or diverse corpus for `seed` (verified when a Verifier is given)."""
    if kind not in ("deep", "diverse"):
        raise ValueError(kind)
    n = DEFAULT_PROBLEMS[kind] if n_problems is None else n_problems
    report = BuildReport(kind, seed, verified=verifier is not None)
    train = training_families(fams)
    candidates = round_robin(train, seed, kind, _excluded(train, seed))
    if kind == "deep":
        def choose(prob: SynthProblem, ordinal: int) -> list[int]:
            idx = list(range(len(prob.solutions)))
            random.Random(f"{seed}:{prob.key}:solutions").shuffle(idx)
            return idx
        kept = _Builder(kind, seed, verifier, report).collect(candidates, n, choose, SOLUTIONS_PER_PROBLEM)
    else:
        def choose(prob: SynthProblem, ordinal: int) -> list[int]:
            return [ordinal % len(prob.solutions)]
        kept = _Builder(kind, seed, verifier, report).collect(candidates, n, choose, 1)
    rows = []
    for prob, idxs in kept:
        for i in sorted(idxs):
            sol = prob.solutions[i]
            rows.append({
                "problem_id": prob.problem_id, "family": prob.family, "topic": prob.topic,
                "title": prob.title, "input": prob.statement, "solution": sol.code,
                "output": fenced_output(sol.reasoning, sol.code), "split": split_of(seed, prob.key),
                "solution_name": sol.name, "key": prob.key,
            })
    random.Random(f"{seed}:{kind}:order").shuffle(rows)
    for n_row, row in enumerate(rows):
        row["id"] = f"synth-{kind}-s{seed}-{n_row:05d}"
    rows = [{"id": r.pop("id"), **r} for r in rows]
    report.rows, report.problems = len(rows), len(kept)
    report.families = len({p.family for p, _ in kept})
    return rows, report


def build_heldout(seed: int, per_family: int | None = None, seen_per_family: int = 1, verifier=None,
                  fams: dict[str, Family] | None = None) -> tuple[list[dict], BuildReport]:
    """LiveCodeBench-format rows: `per_family` problems of each held-out family ("unseen") and
    `seen_per_family` reserved problems of each training family ("seen")."""
    per_family = DEFAULT_PROBLEMS["heldout"] if per_family is None else per_family
    if seen_per_family > SEEN_POOL:
        raise ValueError(f"seen_per_family must be <= {SEEN_POOL}")
    report = BuildReport("heldout", seed, verified=verifier is not None)
    train = training_families(fams)
    pool = reserved_keys(train, seed)
    wanted = [(fam, iter([(fam, p) for p in pool[fam.name]]), seen_per_family, "seen")
              for fam in sorted(train, key=lambda f: f.name)]
    wanted += [(fam, draw_pairs(fam, seed), per_family, "unseen")
               for fam in sorted(heldout_families(fams), key=lambda f: f.name)]
    got = _Builder("heldout", seed, verifier, report).collect_each([(it, need) for _, it, need, _ in wanted])
    kept = [(p, idxs, group) for (_, _, _, group), probs in zip(wanted, got) for p, idxs in probs]
    rows = [lcb_row(prob, idxs, group, seed) for prob, idxs, group in kept]
    report.rows = report.problems = len(rows)
    report.families = len({p.family for p, _, _ in kept})
    return rows, report


def draw_pairs(fam: Family, seed: int) -> Iterator[tuple[Family, dict]]:
    return ((fam, p) for p in draw_keys(fam, seed, "heldout"))


def lcb_row(prob: SynthProblem, idxs: list[int], group: str, seed: int) -> dict:
    def cases(public: bool) -> str:
        return json.dumps([{"input": t.input, "output": t.output, "testtype": "stdin"}
                           for t in prob.tests if t.public == public])

    meta = {"family": prob.family, "topic": prob.topic, "group": group, "key": prob.key,
            "reference_solutions": [prob.solutions[i].code for i in sorted(idxs)],
            "solution_names": [prob.solutions[i].name for i in sorted(idxs)]}
    return {
        "question_title": prob.title, "question_content": prob.statement, "platform": "synthetic",
        "question_id": prob.problem_id, "contest_id": f"synth-s{seed}", "contest_date": CONTEST_DATE,
        "starter_code": "", "difficulty": "easy", "public_test_cases": cases(True),
        "private_test_cases": cases(False), "metadata": json.dumps(meta, sort_keys=True),
    }


def dump_jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


def family_counts(rows: list[dict]) -> dict[str, int]:
    counts: dict[str, set] = defaultdict(set)
    for r in rows:
        counts[r["family"]].add(r["problem_id"])
    return {k: len(v) for k, v in sorted(counts.items())}
