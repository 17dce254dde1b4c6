"""Building the synthetic outputs of one seed: four training arms, the held-out benchmark, the shared
validation set and the one-shot example.

The arms cross shape with coverage at equal size (5,000 rows each, token totals within a few per
cent); which families each may use is the seed's `Assignment` (assignment.py):

* deep-narrow / deep-wide: 1,000 problems x 5 distinct verified solutions, round-robin from the
  narrow families / from every training family (the "deep" stream);
* diverse-wide / diverse-narrow: 5,000 problems x 1 solution (cycled per family), round-robin from
  every training family / from the narrow families (the "diverse" stream);
* heldout: LiveCodeBench ``code_generation_lite`` rows in three labelled groups of 50 problems:
  "narrow" (reserved problems of the narrow families, which every arm trained on), "wide_only"
  (reserved problems of the other training families, which only the wide arms trained on) and
  "unseen" (families marked ``heldout``, never in any arm). Group and family are in each row's
  metadata;
* valid-shared: CodeGen-schema rows, one solution each, of the reserved shared-validation problems
  of every training family (`VALID_POOL` per family): one validation loss that every arm is
  measured on, disjoint from every arm and from the benchmark;
* shots: the solved example of the one-shot format control, a problem of the shots family, which
  no arm trains on and the benchmark does not use.

Consistency without coordination: the reserved keys (assignment.py) are excluded from the arms'
streams, and the assignment is a function of the seed; so each output can be built alone and all
agree. Two arms of one shape draw from the same stream, so the wide arm's problems of a narrow
family are the first ones the narrow arm of that shape takes.

Rows of the arms, valid-shared and shots follow the CodeGen (Naholav) schema: `id`, `problem_id`,
`family`, `input` (statement), `solution` (code only), `output` (reasoning, then the code in a
```python fence), `split` (arms: train/valid/test by problem key hash, 90/5/5; valid-shared:
valid; shots: shot), `solution_name`.

Verification (on by default) drops failing rows and fills up with further problems so sizes
stay fixed; the `BuildReport` counts what was dropped, the estimated tokens, and records the
assignment. Does not cover statistics (stats.py).
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field

from codegen_study.core.vocabulary import HELDOUT_GROUPS
from codegen_study.synth.assignment import (
    ARMS,
    RESERVE_POOL,
    SHAPES,
    Assignment,
    assign_families,
    estimate_tokens,
    excluded_keys,
    heldout_families,
    reserved_keys,
    spread,
    training_families,
    valid_keys,
)
from codegen_study.synth.family import Family, families
from codegen_study.synth.verify import check_statement
from codegen_study.synth.world import (
    SynthProblem,
    draw_keys,
    fenced_output,
    instantiate,
    instantiate_many,
    key_digest,
    round_robin,
)

KINDS = (*ARMS, "heldout", "valid-shared", "shots")
#: problems per kind: an arm's problems, heldout per group, valid-shared per family, shots in all
DEFAULT_PROBLEMS = {**{arm: SHAPES[shape][0] for arm, (shape, _) in ARMS.items()},
                    "heldout": 50, "valid-shared": None, "shots": 1}
CONTEST_DATE = "2025-03-01T00:00:00"


@dataclass
class BuildReport:
    kind: str
    seed: int
    rows: int = 0
    problems: int = 0
    families: int = 0
    tokens_estimate: int = 0  # statement + output of every CodeGen row (assignment.estimate_tokens)
    dropped_rows: int = 0  # failing (problem, solution) rows left out
    dropped_problems: int = 0  # problems left out (bad statement or too few passing solutions)
    dropped_by_family: dict[str, int] = field(default_factory=dict)
    failures: list[dict] = field(default_factory=list)  # first few failures, for the report
    verified: bool = True
    assignment: dict[str, list[str]] = field(default_factory=dict)  # group -> families (assignment.py)
    seconds_generate: float = 0.0
    seconds_verify: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def split_of(seed: int, key: str) -> str:
    """Split by problem key: 90% train, 5% valid, 5% test (stable across corpus kinds)."""
    bucket = int(key_digest(f"{seed}:split:{key}")[:8], 16) % 100
    return "train" if bucket < 90 else "valid" if bucket < 95 else "test"


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
                choose: Callable[[SynthProblem, int], list[int]], min_keep: int
                ) -> list[tuple[SynthProblem, list[int]]]:
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
            todo: list[tuple[int, Iterator, int]] = [
                (r, it, need - len(kept[r])) for r, (it, need) in enumerate(requests)
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


def resolve(seed: int, fams: dict[str, Family] | None,
            assignment: Assignment | None) -> tuple[dict[str, Family], Assignment]:
    """The families in play and their groups (`assign_families` unless one is given)."""
    fams = fams if fams is not None else families()
    return fams, assignment if assignment is not None else assign_families(seed, fams)


def build_corpus(kind: str, seed: int, n_problems: int | None = None, verifier=None,
                 fams: dict[str, Family] | None = None,
                 assignment: Assignment | None = None) -> tuple[list[dict], BuildReport]:
    """Rows of arm `kind` (a key of `ARMS`) for `seed` (verified when a Verifier is given).

    The arm draws round-robin from its families (narrow or every training family) in its shape's
    stream; every arm skips the reserved keys of every training family."""
    if kind not in ARMS:
        raise ValueError(kind)
    shape, _ = ARMS[kind]
    fams, assignment = resolve(seed, fams, assignment)
    n = DEFAULT_PROBLEMS[kind] if n_problems is None else n_problems
    report = BuildReport(kind, seed, verified=verifier is not None, assignment=assignment.as_dict())
    train = training_families(fams)
    names = set(assignment.families_of(kind))
    candidates = round_robin([f for f in train if f.name in names], seed, shape, excluded_keys(train, seed))
    per_problem = SHAPES[shape][1]
    if per_problem > 1:
        def choose(prob: SynthProblem, ordinal: int) -> list[int]:
            idx = list(range(len(prob.solutions)))
            random.Random(f"{seed}:{prob.key}:solutions").shuffle(idx)
            return idx
    else:
        def choose(prob: SynthProblem, ordinal: int) -> list[int]:
            return [ordinal % len(prob.solutions)]
    kept = _Builder(kind, seed, verifier, report).collect(candidates, n, choose, per_problem)
    rows = codegen_rows(kept, kind, seed, lambda prob: split_of(seed, prob.key))
    return rows, finish_report(report, rows, kept)


def codegen_rows(kept: list[tuple[SynthProblem, list[int]]], kind: str, seed: int,
                 split: Callable[[SynthProblem], str]) -> list[dict]:
    """CodeGen-schema rows of the kept (problem, solution indices), in a seeded order, numbered."""
    rows = []
    for prob, idxs in kept:
        for i in sorted(idxs):
            sol = prob.solutions[i]
            rows.append({
                "problem_id": prob.problem_id, "family": prob.family, "topic": prob.topic,
                "title": prob.title, "input": prob.statement, "solution": sol.code,
                "output": fenced_output(sol.reasoning, sol.code), "split": split(prob),
                "solution_name": sol.name, "key": prob.key,
            })
    random.Random(f"{seed}:{kind}:order").shuffle(rows)
    return [{"id": f"synth-{kind}-s{seed}-{n_row:05d}", **row} for n_row, row in enumerate(rows)]


def finish_report(report: BuildReport, rows: list[dict], kept: list) -> BuildReport:
    report.rows, report.problems = len(rows), len(kept)
    report.families = len({p[0].family for p in kept})
    report.tokens_estimate = sum(estimate_tokens(r["input"]) + estimate_tokens(r["output"]) for r in rows)
    return report


def one_solution_each(kept: list[tuple[SynthProblem, list[int]]]) -> list[tuple[SynthProblem, list[int]]]:
    """One solution per problem, cycled per family in draw order (as the diverse shape takes them)."""
    ordinal: Counter[str] = Counter()
    out = []
    for prob, idxs in kept:
        out.append((prob, [idxs[ordinal[prob.family] % len(idxs)]]))
        ordinal[prob.family] += 1
    return out


def build_valid_shared(seed: int, per_family: int | None = None, verifier=None,
                       fams: dict[str, Family] | None = None,
                       assignment: Assignment | None = None) -> tuple[list[dict], BuildReport]:
    """The shared validation set: the reserved shared-validation problems of every training family
    (all of them, or the first `per_family`), one verified solution each, split "valid"."""
    fams, assignment = resolve(seed, fams, assignment)
    report = BuildReport("valid-shared", seed, verified=verifier is not None, assignment=assignment.as_dict())
    train = sorted(training_families(fams), key=lambda f: f.name)
    pool = valid_keys(train, seed)
    requests = [(iter([(fam, p) for p in pool[fam.name]]), per_family or len(pool[fam.name])) for fam in train]
    got = _Builder("valid-shared", seed, verifier, report).collect_each(requests)
    kept = one_solution_each([pair for probs in got for pair in probs])
    rows = codegen_rows(kept, "valid-shared", seed, lambda prob: "valid")
    return rows, finish_report(report, rows, kept)


def build_shots(seed: int, n: int | None = None, verifier=None, fams: dict[str, Family] | None = None,
                assignment: Assignment | None = None) -> tuple[list[dict], BuildReport]:
    """`n` (default 1) solved examples for the one-shot format control: problems of the shots
    family (its own "shots" stream), one verified solution each, in the training format."""
    n = DEFAULT_PROBLEMS["shots"] if n is None else n
    fams, assignment = resolve(seed, fams, assignment)
    if not assignment.shots:
        raise ValueError("no family is reserved for the one-shot example (it needs two held-out families)")
    report = BuildReport("shots", seed, verified=verifier is not None, assignment=assignment.as_dict())
    fam = fams[assignment.shots[0]]
    got = _Builder("shots", seed, verifier, report).collect_each(
        [(((fam, p) for p in draw_keys(fam, seed, "shots")), n)])
    kept = one_solution_each(got[0])
    rows = codegen_rows(kept, "shots", seed, lambda prob: "shot")
    return rows, finish_report(report, rows, kept)


def build_heldout(seed: int, per_group: int | None = None, verifier=None, fams: dict[str, Family] | None = None,
                  assignment: Assignment | None = None) -> tuple[list[dict], BuildReport]:
    """LiveCodeBench-format rows, `per_group` problems in each group of the assignment, spread
    evenly over the group's families: reserved problems of the narrow families ("narrow") and of the
    other training families ("wide_only"), fresh problems of the unseen families ("unseen")."""
    per_group = DEFAULT_PROBLEMS["heldout"] if per_group is None else per_group
    fams, assignment = resolve(seed, fams, assignment)
    report = BuildReport("heldout", seed, verified=verifier is not None, assignment=assignment.as_dict())
    train = {f.name: f for f in training_families(fams)}
    pool = reserved_keys(list(train.values()), seed)
    wanted = []
    for group in HELDOUT_GROUPS[:2]:
        counts = spread(per_group, getattr(assignment, group), seed, group)
        if max(counts.values(), default=0) > RESERVE_POOL:
            raise ValueError(f"{per_group} held-out problems over {len(counts)} {group!r} families need more than "
                             f"the {RESERVE_POOL} reserved problems per family")
        wanted += [(iter([(train[name], p) for p in pool[name]]), k, group) for name, k in sorted(counts.items())]
    held = {f.name: f for f in heldout_families(fams)}
    counts = spread(per_group, assignment.unseen, seed, "unseen")
    wanted += [(draw_pairs(held[name], seed), k, "unseen") for name, k in sorted(counts.items())]
    got = _Builder("heldout", seed, verifier, report).collect_each([(it, need) for it, need, _ in wanted])
    kept = [(p, idxs, group) for (_, _, group), probs in zip(wanted, got) for p, idxs in probs]
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
