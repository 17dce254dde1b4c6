"""The synthetic world: families, determinism, schema, splits, sandbox verification,
contamination, the corpus card and the `synth` CLI's errors. Draws stay small (seconds)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from codegen_study.cli import main
from codegen_study.errors import UserError
from codegen_study.synth import contamination
from codegen_study.synth.corpus import (SEEN_POOL, build_corpus, build_heldout, dump_jsonl, heldout_families,
                                        reserved_keys, split_of)
from codegen_study.synth.family import Family, Solution, families
from codegen_study.synth.stats import card, format_card, normalise_statement
from codegen_study.synth.verify import Verifier, check_statement, outputs_match
from codegen_study.synth.world import instantiate, parse_samples

FIXTURES = Path(__file__).resolve().parent / "fixtures"

FAMS = families()


class TinyAdd(Family):
    """A test double with only 12 problems, so a corpus exhausts its whole parameter space."""

    name = "tiny_add"
    topic = "arithmetic"
    title = "Add $c"
    statements = ("Add $c to X.\n\nInput\n\nX\n\nOutput\n\nPrint X + $c.\n\nConstraints\n\n- 0 \\leq X \\leq 9\n\n$samples",)
    solutions = tuple(Solution(f"s{i}", "1. Read X.\n2. Add $c.", code) for i, code in enumerate([
        "print(int(input()) + $c)\n", "x = int(input())\nx += $c\nprint(x)\n", "import sys\nprint(int(sys.stdin.read()) + $c)\n",
        "print(sum([int(input()), $c]))\n", "print(eval(input() + '+$c'))\n"]))

    def sample_params(self, rng):
        return {"c": rng.randint(0, 11)}

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


def test_core_families_mark_exactly_four_heldout():
    core = [f for f in FAMS.values() if type(f).__module__.split(".")[-1].startswith("core_")]
    assert len(core) == 20
    assert sum(f.heldout for f in core) == 4


def test_parameter_spaces_are_large():
    for name, fam in FAMS.items():
        rng = random.Random(0)
        keys = {fam.key(fam.sample_params(rng)) for _ in range(3000)}
        assert len(keys) >= 300, f"{name}: only {len(keys)} distinct problems in 3000 draws"


def test_same_seed_same_bytes_and_seeds_differ():
    a, _ = build_corpus("deep", 7, 6)
    b, _ = build_corpus("deep", 7, 6)
    c, _ = build_corpus("deep", 8, 6)
    assert dump_jsonl(a) == dump_jsonl(b)
    assert dump_jsonl(a) != dump_jsonl(c)


def test_deep_and_diverse_schema_and_shape():
    deep, rep = build_corpus("deep", 0, 12)
    assert rep.rows == len(deep) == 60 and rep.problems == 12
    by_problem: dict[str, list[dict]] = {}
    for row in deep:
        for key in ("id", "problem_id", "family", "input", "solution", "output", "split", "solution_name"):
            assert isinstance(row[key], str) and row[key], key
        assert row["output"].endswith(f"```python\n{row['solution'].rstrip()}\n```")
        assert not FAMS[row["family"]].heldout
        by_problem.setdefault(row["problem_id"], []).append(row)
    assert all(len({r["solution"] for r in rows}) == 5 for rows in by_problem.values())
    assert len({r["id"] for r in deep}) == len(deep)
    diverse, rep = build_corpus("diverse", 0, 120)
    assert len(diverse) == 120 == len({r["problem_id"] for r in diverse})
    assert rep.families == min(120, len([f for f in FAMS.values() if not f.heldout]))


def test_splits_are_by_problem():
    rows, _ = build_corpus("deep", 1, 80)
    splits: dict[str, set[str]] = {}
    for r in rows:
        splits.setdefault(r["problem_id"], set()).add(r["split"])
        assert r["split"] == split_of(1, r["key"])
    assert all(len(s) == 1 for s in splits.values())
    assert {"train"} <= {r["split"] for r in rows} <= {"train", "valid", "test"}


def test_heldout_seen_problems_never_in_corpora():
    fams = {"tiny_add": TinyAdd()}
    deep, _ = build_corpus("deep", 3, 50, fams=fams)  # asks for more than the space holds
    diverse, _ = build_corpus("diverse", 3, 50, fams=fams)
    held, _ = build_heldout(3, per_family=1, seen_per_family=2, fams=fams)
    seen_keys = {json.loads(r["metadata"])["key"] for r in held}
    assert len(seen_keys) == 2
    corpus_keys = {r["key"] for r in deep} | {r["key"] for r in diverse}
    assert len({r["key"] for r in deep}) == 12 - SEEN_POOL  # all the rest of the space was used
    assert not seen_keys & corpus_keys
    assert seen_keys <= {TinyAdd().key(p) for p in reserved_keys([TinyAdd()], 3)["tiny_add"]}


def test_heldout_rows_load_as_lcb_problems():
    from codegen_study.benchmarks import problem_from_lcb_row

    rows, rep = build_heldout(0, per_family=1, seen_per_family=1)
    groups = {json.loads(r["metadata"])["group"] for r in rows}
    assert groups == {"seen", "unseen"}
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
    broken = type(prob)(**{**prob.__dict__, "statement": prob.statement.replace("Sample Output 1\n\n", "Sample Output 1\n\n9", 1)})
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
    out = tmp_path / "deep.jsonl"
    assert main(["synth", "--kind", "deep", "--seed", "2", "--problems", "4", "--no-verify", "--out", str(out)]) == 0
    first = out.read_bytes()
    assert main(["synth", "--kind", "deep", "--seed", "2", "--problems", "4", "--no-verify", "--out", str(out)]) == 0
    assert out.read_bytes() == first and len(first.splitlines()) == 20
    meta = json.loads((tmp_path / "deep.jsonl.meta.json").read_text())
    assert meta["rows"] == 20 and meta["verified"] is False
    assert main(["synth", "--stats", str(out), "--out", str(tmp_path / "card.jsonl")]) == 0
    rows = [json.loads(line) for line in (tmp_path / "card.jsonl").read_text().splitlines()]
    metric = {r["metric"]: r["value"] for r in rows}
    assert metric["rows"] == 20 and metric["problems"] == 4 and metric["solutions_per_problem_min"] == 5
    assert metric["problems_in_two_splits"] == 0
    assert "solutions_per_problem_mean" in capsys.readouterr().out
    assert "deep" in format_card(card([out]))


@pytest.mark.parametrize("argv, message", [
    (["synth"], "--kind"),
    (["synth", "--kind", "deep"], "--out"),
    (["synth", "--kind", "deep", "--out", "x.jsonl", "--seed", "-1"], "--seed"),
    (["synth", "--kind", "deep", "--out", "x.jsonl", "--problems", "0"], "--problems"),
    (["synth", "--kind", "deep", "--out", "x.jsonl", "--families", "nope"], "unknown family 'nope'"),
    (["synth", "--kind", "deep", "--out", "x.jsonl", "--eval-file", "missing.jsonl"], "missing.jsonl"),
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


def test_bytes_do_not_depend_on_the_hash_seed():
    """Families must not iterate sets of strings (their order changes with PYTHONHASHSEED)."""
    import os
    import subprocess
    import sys

    code = ("import sys\nfrom codegen_study.synth.corpus import build_corpus, build_heldout, dump_jsonl\n"
            "rows, _ = build_corpus('diverse', 5, 150)\nheld, _ = build_heldout(5, 1, 1)\n"
            "sys.stdout.buffer.write(dump_jsonl(rows + held))\n")
    outs = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        outs.append(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=True,
                                   cwd=Path(__file__).resolve().parents[1]).stdout)
    assert outs[0] == outs[1] and len(outs[0]) > 10000
