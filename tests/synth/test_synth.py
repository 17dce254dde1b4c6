"""The synthetic world: families, the seed's family assignment (narrow arms from a fifth of the
training families, wide arms from all, held-out groups narrow / wide_only / unseen, a shots family
no arm and no benchmark problem uses), determinism, schema, splits, the shared validation set,
sandbox verification, contamination, the corpus card and the `synth` CLI's errors. Draws stay small
(seconds) but for the slow full-size balance check."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from codegen_study.cli import main
from codegen_study.core.errors import UserError
from codegen_study.core.vocabulary import HELDOUT_GROUPS
from codegen_study.synth import contamination
from codegen_study.synth.assignment import (
    ARMS,
    BALANCE_TOLERANCE,
    RESERVE_POOL,
    SHAPES,
    VALID_POOL,
    Assignment,
    assign_families,
    balanced_choice,
    excluded_keys,
    heldout_families,
    reserved_keys,
    row_weight,
    training_families,
    valid_keys,
)
from codegen_study.synth.corpus import (
    DEFAULT_PROBLEMS,
    build_corpus,
    build_heldout,
    build_shots,
    build_valid_shared,
    dump_jsonl,
    split_of,
)
from codegen_study.synth.family import Family, Solution, families
from codegen_study.synth.stats import card, format_card, normalise_statement
from codegen_study.synth.verify import Verifier, check_statement, outputs_match
from codegen_study.synth.world import instantiate, parse_samples

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

FAMS = families()


class TinyAdd(Family):
    """A test double with only 24 problems, so a corpus exhausts its whole parameter space."""

    name = "tiny_add"
    topic = "arithmetic"
    title = "Add $c"
    statements = (
        "Add $c to X.\n\nInput\n\nX\n\nOutput\n\nPrint X + $c.\n\nConstraints\n\n- 0 \\leq X \\leq 9\n\n$samples",)
    solutions = tuple(Solution(f"s{i}", "1. Read X.\n2. Add $c.", code) for i, code in enumerate([
        "print(int(input()) + $c)\n", "x = int(input())\nx += $c\nprint(x)\n",
             "import sys\nprint(int(sys.stdin.read()) + $c)\n",
        "print(sum([int(input()), $c]))\n", "print(eval(input() + '+$c'))\n"]))

    def sample_params(self, rng):
        return {"c": rng.randint(0, 23)}

    def make_input(self, params, rng, edge):
        return f"{0 if edge == 0 else 9 if edge == 1 else rng.randint(0, 9)}\n"

    def reference(self, params, stdin):
        return f"{int(stdin) + params['c']}\n"


def test_families_registered_with_five_distinct_solutions():
    assert FAMS, "no family registered"
    for name, fam in FAMS.items():
        codes = {s.code for s in fam.solutions}
        assert len(codes) >= 5 and len({s.name for s in fam.solutions}) == len(fam.solutions), name
        assert len(fam.statements) >= 2, f"{name}: needs >= 2 phrasings"
        assert fam.topic and fam.title, name


def test_at_least_60_families_and_10_heldout():
    n, held = len(FAMS), sorted(f.name for f in heldout_families(FAMS))
    print(f"\nregistered families: {n} ({len(held)} held out: {', '.join(held)})")
    assert n >= 60, f"only {n} families registered (need >= 60)"
    assert len(held) >= 10, f"only {len(held)} held-out families (need >= 10)"


@pytest.mark.slow
def test_parameter_spaces_are_large():
    for name, fam in FAMS.items():
        rng = random.Random(0)
        keys = {fam.key(fam.sample_params(rng)) for _ in range(3000)}
        assert len(keys) >= 300, f"{name}: only {len(keys)} distinct problems in 3000 draws"


@pytest.mark.slow
def test_same_seed_same_bytes_and_seeds_differ():
    a, _ = build_corpus("deep-narrow", 7, 6)
    b, _ = build_corpus("deep-narrow", 7, 6)
    c, _ = build_corpus("deep-narrow", 8, 6)
    assert dump_jsonl(a) == dump_jsonl(b)
    assert dump_jsonl(a) != dump_jsonl(c)


@pytest.mark.slow
def test_assignment_is_deterministic_per_seed_and_differs_across_seeds():
    a, b, c = assign_families(0), assign_families(0), assign_families(1)
    assert a == b and a.as_dict() == b.as_dict()
    assert a.narrow != c.narrow
    assert a.unseen + a.shots != () and set(a.unseen + a.shots) == set(c.unseen + c.shots)  # marked heldout


@pytest.mark.parametrize("seed", [0, 4])
def test_assignment_groups_are_disjoint_and_cover_the_families(seed):
    a = assign_families(seed)
    groups = [set(getattr(a, g)) for g in (*HELDOUT_GROUPS, "shots")]
    assert sum(len(g) for g in groups) == len(set().union(*groups)) == len(FAMS)
    assert set(a.unseen) | set(a.shots) == {f.name for f in heldout_families(FAMS)} and len(a.shots) == 1
    n_train = len(training_families(FAMS))
    assert len(a.narrow) == round(n_train / 5) and set(a.wide) == {f.name for f in training_families(FAMS)}
    assert all(a.group_of(n) == g for g in HELDOUT_GROUPS for n in getattr(a, g))
    assert {arm: a.families_of(arm) for arm in ARMS} == {"deep-narrow": a.narrow, "deep-wide": a.wide,
                                                           "diverse-wide": a.wide, "diverse-narrow": a.narrow}


@pytest.mark.slow
def test_narrow_families_need_room_for_their_share():
    """A family whose parameter space cannot hold its share of both narrow arms is never narrow."""
    fams = {**FAMS, "tiny_add": TinyAdd()}
    for seed in range(3):
        a = assign_families(seed, fams)
        assert "tiny_add" in a.wide_only and "tiny_add" not in a.narrow
    with pytest.raises(ValueError, match="distinct problems"):
        assign_families(0, {"tiny_add": TinyAdd()})


def test_balanced_choice_takes_a_family_set_of_typical_row_length():
    weight = {f"f{i}": 100.0 for i in range(6)} | {"long": 190.0, "short": 10.0}  # mean 100
    target = sum(weight.values()) / len(weight)
    for seed in range(8):  # a pair with one of long/short alone is off by 45%; it must be skipped
        pick = balanced_choice(sorted(weight), 2, weight, seed)
        assert abs(sum(weight[n] for n in pick) / 2 / target - 1) <= BALANCE_TOLERANCE
        assert pick == balanced_choice(sorted(weight), 2, weight, seed)


def test_narrow_families_have_rows_of_typical_length():
    """The narrow arms' families must not have longer rows than the training families on average,
    or the narrow arms would hold more tokens than the wide ones."""
    train = training_families(FAMS)
    weight = {f.name: row_weight(f, 0) for f in train}
    target = sum(weight.values()) / len(weight)
    narrow = assign_families(0).narrow
    assert abs(sum(weight[n] for n in narrow) / len(narrow) / target - 1) <= BALANCE_TOLERANCE


def test_deep_and_diverse_schema_and_shape():
    deep, rep = build_corpus("deep-narrow", 0, 12)
    assert rep.rows == len(deep) == 60 and rep.problems == 12
    assignment = assign_families(0)
    assert rep.assignment == assignment.as_dict()
    by_problem: dict[str, list[dict]] = {}
    for row in deep:
        for key in ("id", "problem_id", "family", "input", "solution", "output", "split", "solution_name"):
            assert isinstance(row[key], str) and row[key], key
        assert row["output"].endswith(f"```python\n{row['solution'].rstrip()}\n```")
        assert row["family"] in assignment.narrow and row["id"].startswith("synth-deep-narrow-s0-")
        by_problem.setdefault(row["problem_id"], []).append(row)
    assert all(len({r["solution"] for r in rows}) == 5 for rows in by_problem.values())
    assert len({r["id"] for r in deep}) == len(deep)
    diverse, rep = build_corpus("diverse-wide", 0, 120)
    assert len(diverse) == 120 == len({r["problem_id"] for r in diverse})
    assert rep.families == min(120, len(training_families(FAMS)))
    assert {r["family"] for r in diverse} == set(assignment.wide)
    assert rep.tokens_estimate > 120 * 100


@pytest.mark.slow
def test_each_arm_draws_from_its_families_and_sizes_match():
    rows_at_default = {arm: DEFAULT_PROBLEMS[arm] * SHAPES[shape][1] for arm, (shape, _) in ARMS.items()}
    assert set(rows_at_default.values()) == {5000}  # equal rows at the defaults
    assignment = assign_families(2)
    built = {arm: build_corpus(arm, 2, 60 if arm.startswith("deep") else 300, assignment=assignment)[0]
             for arm in ARMS}
    for arm, rows in built.items():
        assert len(rows) == 300, arm
        assert {r["family"] for r in rows} == set(assignment.families_of(arm)), arm  # round-robin reaches all
        assert not {r["family"] for r in rows} & set(assignment.unseen + assignment.shots)
        per_problem = {len([r for r in rows if r["problem_id"] == p]) for p in {r["problem_id"] for r in rows}}
        assert per_problem == {SHAPES[ARMS[arm][0]][1]}, arm


@pytest.mark.slow
def test_the_four_arms_at_full_size_hold_the_same_tokens_within_two_per_cent():
    """The estimate that balances the narrow families against all of them, summed over each arm's
    5,000 rows (unverified here: verification drops nothing from these families)."""
    totals = {arm: build_corpus(arm, 0)[1].tokens_estimate for arm in ARMS}
    print(f"\nestimated tokens per arm: {totals}")
    assert max(totals.values()) / min(totals.values()) - 1 < 0.02


def test_splits_are_by_problem():
    rows, _ = build_corpus("deep-narrow", 1, 80)
    splits: dict[str, set[str]] = {}
    for r in rows:
        splits.setdefault(r["problem_id"], set()).add(r["split"])
        assert r["split"] == split_of(1, r["key"])
    assert all(len(s) == 1 for s in splits.values())
    assert {"train"} <= {r["split"] for r in rows} <= {"train", "valid", "test"}


def test_reserved_problems_never_in_corpora_even_when_the_space_runs_out():
    fams = {"tiny_add": TinyAdd()}
    assignment = Assignment(seed=3, narrow=("tiny_add",), wide_only=(), unseen=())
    arms = [build_corpus(arm, 3, 50, fams=fams, assignment=assignment)[0] for arm in ARMS]  # more than the space
    held, rep = build_heldout(3, per_group=2, fams=fams, assignment=assignment)
    valid, _ = build_valid_shared(3, fams=fams, assignment=assignment)
    held_keys = {json.loads(r["metadata"])["key"] for r in held}
    assert len(held_keys) == 2 and rep.assignment == assignment.as_dict()
    corpus_keys = {r["key"] for rows in arms for r in rows}
    assert all(len({r["key"] for r in rows}) == 24 - RESERVE_POOL - VALID_POOL for rows in arms)  # the rest: all used
    assert len({r["key"] for r in valid}) == VALID_POOL
    assert not held_keys & corpus_keys and not {r["key"] for r in valid} & (corpus_keys | held_keys)
    assert held_keys <= {TinyAdd().key(p) for p in reserved_keys([TinyAdd()], 3)["tiny_add"]}
    with pytest.raises(ValueError, match="one-shot"):
        build_shots(3, fams=fams, assignment=assignment)


def test_no_heldout_key_in_either_corpus():
    assignment = assign_families(1)
    held, _ = build_heldout(1, per_group=12, assignment=assignment)
    deep, _ = build_corpus("deep-narrow", 1, 100, assignment=assignment)
    diverse, _ = build_corpus("diverse-wide", 1, 500, assignment=assignment)
    held_keys = {json.loads(r["metadata"])["key"] for r in held}
    corpus_keys = {r["key"] for r in deep + diverse}
    assert len(held_keys) == 36 and not held_keys & corpus_keys
    assert not corpus_keys & excluded_keys(training_families(FAMS), 1)


def test_shared_validation_covers_every_training_family_and_no_arm_or_benchmark_problem():
    assignment = assign_families(0)
    valid, rep = build_valid_shared(0, assignment=assignment)
    train = training_families(FAMS)
    assert len(valid) == rep.rows == VALID_POOL * len(train) and {r["split"] for r in valid} == {"valid"}
    assert {r["family"] for r in valid} == set(assignment.wide) and len({r["problem_id"] for r in valid}) == len(valid)
    keys = {r["key"] for r in valid}
    assert keys == {fam.key(p) for fam in train for p in valid_keys(train, 0)[fam.name]}
    assert keys <= excluded_keys(train, 0)  # so no arm draws them
    assert not keys & {fam.key(p) for fam in train for p in reserved_keys(train, 0)[fam.name]}
    assert len({r["solution_name"] for r in valid if r["family"] == train[0].name}) > 1  # solutions cycled


def test_the_shot_comes_from_a_family_no_arm_and_no_benchmark_problem_uses():
    assignment = assign_families(0)
    shots, rep = build_shots(0, assignment=assignment)
    held, _ = build_heldout(0, per_group=11, assignment=assignment)
    assert len(shots) == 1 and shots[0]["family"] == assignment.shots[0] and shots[0]["split"] == "shot"
    assert shots[0]["output"].endswith(f"```python\n{shots[0]['solution'].rstrip()}\n```")
    assert shots[0]["family"] not in {json.loads(r["metadata"])["family"] for r in held}
    assert all(shots[0]["family"] not in assignment.families_of(arm) for arm in ARMS)
    assert shots[0]["family"] not in assignment.unseen and rep.assignment["shots"] == [shots[0]["family"]]


def test_heldout_groups_are_labelled_and_follow_the_assignment():
    assignment = assign_families(0)
    rows, rep = build_heldout(0, per_group=15)
    meta = [json.loads(r["metadata"]) for r in rows]
    assert rep.assignment == assignment.as_dict()
    for group in HELDOUT_GROUPS:
        mine = [m for m in meta if m["group"] == group]
        assert len(mine) == 15, group
        assert {m["family"] for m in mine} <= set(getattr(assignment, group))
    counts = {f: sum(m["family"] == f for m in meta) for f in assignment.narrow}
    assert max(counts.values()) - min(counts.values()) <= 1  # spread evenly over the group's families
    with pytest.raises(ValueError, match="reserved"):
        build_heldout(0, per_group=10 * (RESERVE_POOL + 1), assignment=assignment)


def test_heldout_rows_load_as_lcb_problems():
    from codegen_study.tasks.livecodebench import problem_from_lcb_row

    rows, _ = build_heldout(0, per_group=7)
    groups = {json.loads(r["metadata"])["group"] for r in rows}
    assert groups == set(HELDOUT_GROUPS)
    for row in rows[:20]:
        prob = problem_from_lcb_row(row)
        assert prob.platform == "synthetic" and len(prob.public_tests) == 3 and len(prob.tests) > 5
        meta = json.loads(row["metadata"])
        assert len(meta["reference_solutions"]) >= 5
        samples = parse_samples(row["question_content"])
        assert [s[0].strip() for s in samples] == [t.input.strip() for t in prob.public_tests]


def test_every_family_verified_in_the_sandbox():
    """One problem per registered family; all its solutions must pass all its tests."""
    probs = []
    for fam in FAMS.values():
        rng = random.Random(f"test:{fam.name}")
        prob = instantiate(fam, fam.sample_params(rng), 0)
        assert check_statement(prob) is None, fam.name
        probs.append(prob)
    items = [(p, i) for p in probs for i in range(len(p.solutions))]
    with Verifier() as v:
        verdicts = v.verify(items)
    failed = [f"{p.family}/{p.solutions[i].name}: {vd.reason}" for (p, i), vd in zip(items, verdicts) if not vd.passed]
    assert not failed, "\n".join(failed)


def test_verifier_rejects_wrong_code_and_hosts_open0():
    fam = TinyAdd()
    prob = instantiate(fam, {"c": 3}, 0)
    wrong = type(prob.solutions[0])("wrong", "print(int(input()) + 4)\n", "")
    open0 = type(prob.solutions[0])("open0", "print(int(open(0).read()) + 3)\n", "")
    crash = type(prob.solutions[0])("crash", "raise SystemExit(3)\n", "")
    prob = type(prob)(**{**prob.__dict__, "solutions": (wrong, open0, crash)})
    with Verifier() as v:
        verdicts = v.verify([(prob, 0), (prob, 1), (prob, 2)])
    assert [vd.passed for vd in verdicts] == [False, True, False]
    assert "expected" in verdicts[0].reason


def test_statement_check_catches_bad_samples():
    prob = instantiate(TinyAdd(), {"c": 1}, 0)
    assert check_statement(prob) is None
    broken = type(prob)(**{**prob.__dict__, "statement": prob.statement.replace("Sample Output 1\n\n",
         "Sample Output 1\n\n9", 1)})
    assert check_statement(broken) is not None
    assert outputs_match("1\n2\n", "1  \n2\n\n") and not outputs_match("1\n", "2\n")


def test_contamination_flags_a_copied_statement(shared_lcb):
    evals = contamination.read_eval_statements(shared_lcb)
    index = contamination.OverlapIndex(evals)
    ratio, title = index.score(evals[5][1], 13)
    assert ratio > 0.9 and title == evals[5][0]
    with pytest.raises(UserError, match="contamination"):
        contamination.check(contamination.overlap_by_family([("copy", evals[5][1])], index))
    probs = [instantiate(f, f.sample_params(random.Random(1)), 0) for f in FAMS.values()]
    per_family = contamination.overlap_by_family(((p.family, p.statement) for p in probs), index)
    contamination.check(per_family)  # our families stay below the threshold
    assert max(r["ngram_13"] for r in per_family.values()) < contamination.THRESHOLD


def test_cli_writes_outputs_and_card(tmp_path, capsys):
    out = tmp_path / "deep-narrow.jsonl"
    argv = ["synth", "--kind", "deep-narrow", "--seed", "2", "--problems", "4", "--no-verify", "--out", str(out)]
    assert main(argv) == 0
    first = out.read_bytes()
    assert main(argv) == 0
    assert out.read_bytes() == first and len(first.splitlines()) == 20
    meta = json.loads((tmp_path / "deep-narrow.jsonl.meta.json").read_text())
    assert meta["rows"] == 20 and meta["verified"] is False and meta["tokens_estimate"] > 0
    assert meta["assignment"] == assign_families(2).as_dict()
    assert main(["synth", "--stats", str(out), "--out", str(tmp_path / "card.jsonl")]) == 0
    rows = [json.loads(line) for line in (tmp_path / "card.jsonl").read_text().splitlines()]
    metric = {r["metric"]: r["value"] for r in rows}
    assert metric["rows"] == 20 and metric["problems"] == 4 and metric["solutions_per_problem_min"] == 5
    assert metric["problems_in_two_splits"] == 0
    assert metric["problems_narrow"] == 4 and metric["problems_wide_only"] == metric["problems_unseen"] == 0
    assert metric["assignment_families_narrow"] == len(meta["assignment"]["narrow"])
    assert metric["assignment_narrow"] == ", ".join(meta["assignment"]["narrow"])
    assert metric["assignment_shots"] == meta["assignment"]["shots"][0]
    assert metric["distinct_normalised_solutions_per_problem_mean"] == 5
    assert metric["problems_all_solutions_distinct_share"] == 1
    assert metric["tokens_estimate_total"] == meta["tokens_estimate"]
    assert metric["rows_per_family_min"] == metric["rows_per_family_max"] == 5  # four problems, four families
    printed = capsys.readouterr().out
    assert "solutions_per_problem_mean" in printed and f"assignment_unseen: {metric['assignment_unseen']}" in printed
    assert "deep-narrow" in format_card(card([out]))
    import polars as pl

    assert main(["synth", "--stats", str(out), "--out", str(tmp_path / "card.parquet")]) == 0
    df = pl.read_parquet(tmp_path / "card.parquet")
    value = dict(zip(df["metric"], df["value"]))
    assert value["rows"] == "20" and value["assignment_narrow"] == metric["assignment_narrow"]


@pytest.mark.parametrize("argv, message", [
    (["synth"], "--kind"),
    (["synth", "--kind", "deep-narrow"], "--out"),
    (["synth", "--kind", "deep-narrow", "--out", "x.jsonl", "--seed", "-1"], "--seed"),
    (["synth", "--kind", "deep-narrow", "--out", "x.jsonl", "--problems", "0"], "--problems"),
    (["synth", "--kind", "deep-narrow", "--out", "x.jsonl", "--families", "nope"], "unknown family 'nope'"),
    (["synth", "--kind", "deep-narrow", "--out", "x.jsonl", "--eval-file", "missing.jsonl"], "missing.jsonl"),
    (["synth", "--kind", "all", "--out", "x.jsonl"], "folder"),
    (["synth", "--stats", "missing.jsonl"], "missing.jsonl"),
])
def test_cli_bad_arguments(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "error:" in err and message in err


def test_near_duplicate_normalisation():
    assert normalise_statement("Print  12 apples\n") == normalise_statement("print 7 APPLES")
    assert normalise_statement("print apples") != normalise_statement("print pears")


def test_fixture_rows_follow_the_schemas():
    deep = [json.loads(x) for x in (FIXTURES / "synth_deep.jsonl").read_text().splitlines()]
    assert deep and all({"id", "problem_id", "input", "solution", "output", "split"} <= set(r) for r in deep)
    held = [json.loads(x) for x in (FIXTURES / "synth_heldout.jsonl").read_text().splitlines()]
    assert held and all(r["platform"] == "synthetic" and json.loads(r["public_test_cases"]) for r in held)
    assert {json.loads(r["metadata"])["group"] for r in held} == set(HELDOUT_GROUPS)


@pytest.mark.slow
def test_bytes_do_not_depend_on_the_hash_seed():
    """Families must not iterate sets of strings (their order changes with PYTHONHASHSEED)."""
    import os
    import subprocess
    import sys

    code = ("import sys\nfrom codegen_study.synth.corpus import build_corpus, build_heldout, dump_jsonl\n"
            "rows, _ = build_corpus('diverse-wide', 5, 150)\nheld, _ = build_heldout(5, 3)\n"
            "sys.stdout.buffer.write(dump_jsonl(rows + held))\n")
    outs = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        outs.append(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=True,
                                   cwd=Path(__file__).resolve().parents[2]).stdout)
    assert outs[0] == outs[1] and len(outs[0]) > 10000


def test_closest_title_of_a_tie_is_the_first_evaluation_statement():
    """Two evaluation statements overlap a statement equally: the earlier one is named, whatever
    the process's hash seed (the n-grams are counted in a set's order)."""
    code = ("from codegen_study.synth.contamination import OverlapIndex\n"
            "index = OverlapIndex([('first', 'aa bb cc dd'), ('second', 'cc dd ee ff')], ns=(3,))\n"
            "print(index.score('aa bb cc dd ee ff', 3)[1])")
    named = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
                            env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout.strip() for seed in range(8)}
    assert named == {"first"}


def test_card_counts_solutions_that_differ_only_in_comments_and_layout_once(tmp_path):
    codes = ("print(1)\n", "print( 1 )  # one\n", "\nprint(1)\n\n", "print(2)\n")
    rows = [{"problem_id": "p", "family": "f", "input": "x", "output": "o", "split": "train", "solution": c}
            for c in codes] + [{"problem_id": "q", "family": "g", "input": "y", "output": "o", "split": "train",
                                "solution": "print(3)\n"}]
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    metric = {r["metric"]: r["value"] for r in card([path])}
    assert metric["distinct_solutions_per_problem_mean"] == 2.5  # (4 + 1) / 2 as written
    assert metric["distinct_normalised_solutions_per_problem_mean"] == 1.5  # p: print(1) and print(2)
    assert metric["problems_all_solutions_distinct_share"] == 0.5
    assert (metric["rows_per_family_min"], metric["rows_per_family_p50"], metric["rows_per_family_max"]) == (1, 2.5, 4)
