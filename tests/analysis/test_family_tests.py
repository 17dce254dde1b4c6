"""analysis.family_tests and analysis.design on hand-made per-problem rows, then on the real store.

The synthetic rows mimic `arms.primary_rows` (benchmark, subset, prompt, family, arm, model,
question_id, ok); each family's first k problems are solved by every seed of an arm."""

from __future__ import annotations

import itertools
import random
from fractions import Fraction

import polars as pl
import pytest

from analysis import design
from analysis import family_tests as F
from tests.conftest import ROOT

STORE = ROOT / "data" / "runs"


def rows_for(arm: str, solved: dict[str, tuple[int, int]], subset: str = "narrow", prompt: str = "train",
             seeds: int = 3) -> list[dict]:
    """`solved`: family -> (problems, solved by every seed)."""
    out = []
    for s in range(1, seeds + 1):
        for fam, (n, k) in solved.items():
            for i in range(n):
                out.append(dict(benchmark="heldout", subset=subset, prompt=prompt, family=fam, arm=arm,
                                model=f"{arm}-s{s}" if seeds > 1 or arm not in design.CONTROLS else arm,
                                question_id=f"{fam}-{i}", ok=i < k))
    return out


def frame(*parts: list[dict]) -> pl.DataFrame:
    return pl.DataFrame([r for p in parts for r in p])


# -- the tests themselves ---------------------------------------------------------------------
def test_sign_test_matches_hand_computed_binomial_tails():
    assert F.sign_test(10, 0) == pytest.approx(2 / 1024)
    assert F.sign_test(0, 10) == pytest.approx(2 / 1024)
    assert F.sign_test(8, 2) == pytest.approx(2 * (1 + 10 + 45) / 1024)  # 0.109375
    assert F.sign_test(9, 1) == pytest.approx(2 * 11 / 1024)
    assert F.sign_test(5, 5) == 1.0 and F.sign_test(0, 0) == 1.0 and F.sign_test(1, 0) == 1.0
    with pytest.raises(ValueError):
        F.sign_test(-1, 2)


def test_sign_critical_is_the_fewest_concordant_families():
    assert F.sign_critical(5) is None  # 2/32 > 0.05: five families can never be significant
    assert F.sign_critical(6) == 6  # 2/64 = 0.031
    assert F.sign_critical(10) == 9  # 9-1 gives 0.021, 8-2 gives 0.109
    assert F.sign_test(F.sign_critical(30), 30 - F.sign_critical(30)) < 0.05
    assert F.sign_test(F.sign_critical(30) - 1, 31 - F.sign_critical(30)) >= 0.05


def brute_signflip(values: list[int]) -> float:
    obs = abs(sum(values))
    hits = sum(abs(sum(s * v for s, v in zip(signs, values))) >= obs
               for signs in itertools.product((1, -1), repeat=len(values)))
    return hits / 2 ** len(values)


def test_signflip_is_exact_on_small_cases():
    assert F.signflip_p([1, 2, 3]) == (0.25, True)  # only +++ and --- reach |6|
    assert F.signflip_p([0, 0]) == (1.0, True)
    rng = random.Random(3)
    for _ in range(20):
        values = [rng.randint(-5, 5) for _ in range(rng.randint(1, 9))]
        assert F.signflip_p(values)[0] == pytest.approx(brute_signflip(values))


def test_signflip_wide_lattice_and_monte_carlo_paths(monkeypatch):
    values = [3, 5, -1, 7, 2, 4, 6, 1]
    exact = brute_signflip(values)
    monkeypatch.setattr(F, "LATTICE_MAX", 0)  # forces the reachable-sums count
    assert F.signflip_p(values) == (pytest.approx(exact), True)
    p, is_exact = F.signflip_p(values, exact_max=0, draws=20_000, seed=1)  # forces Monte Carlo
    assert not is_exact and abs(p - exact) < 0.02
    assert F.signflip_p(values, exact_max=0, seed=1) == F.signflip_p(values, exact_max=0, seed=1)  # seeded


def test_lattice_scales_rational_differences_to_integers():
    assert F.lattice([Fraction(1, 3), Fraction(-1, 2), Fraction(0)]) == [2, -3, 0]


# -- what the tests could detect ----------------------------------------------------------------
def test_detectable_difference_shrinks_with_more_families():
    one = (15, 3, 15, 3)  # five problems x three seeds per arm, 20% solved by each
    mde = {n: F.detectable([one] * n, sims=100) for n in (5, 10, 20, 40)}
    assert mde[5] == {"sign": None, "perm": None}  # 2/32 > 0.05 whatever happens
    for test in ("sign", "perm"):
        values = [mde[n][test] for n in (10, 20, 40)]
        assert all(v is not None and 0 < v <= 1 for v in values)
        assert values[0] >= values[1] >= values[2]


def test_families_needed_for_power_is_above_the_critical_count():
    for n in (10, 20, 40):
        need = F.sign_families_needed(n)
        assert F.sign_critical(n) <= need <= n
    assert F.sign_families_needed(10) / 10 > F.sign_families_needed(40) / 40
    assert F.sign_families_needed(4) is None


# -- contrasts, Holm and the table ---------------------------------------------------------------
FAMS = [f"f{i}" for i in range(8)]


def four_arms(prompt: str = "train", gap: int = 4) -> list[dict]:
    """deep-wide beats diverse-wide in every family; the narrow arms tie with each other."""
    return (rows_for("deep-wide", {f: (5, gap) for f in FAMS}, prompt=prompt)
            + rows_for("diverse-wide", {f: (5, 0) for f in FAMS}, prompt=prompt)
            + rows_for("deep-narrow", {f: (5, 2) for f in FAMS}, prompt=prompt)
            + rows_for("diverse-narrow", {f: (5, 2) for f in FAMS}, prompt=prompt)
            + rows_for("base", {f: (5, 0) for f in FAMS}, prompt=prompt, seeds=1))


def test_family_tests_run_every_present_contrast_with_holm_within_a_table():
    tests = F.family_tests(frame(four_arms()), sims=50)
    assert tests.height == 4  # the four design contrasts; deep vs diverse was not run
    prim = tests.filter((pl.col("arm_a") == "deep-wide") & (pl.col("arm_b") == "diverse-wide")).row(0, named=True)
    assert (prim["families"], prim["problems"], prim["fam_a"], prim["fam_b"]) == (8, 40, 8, 0)
    assert prim["diff"] == pytest.approx(0.8) and prim["favours"] == "deep-wide"
    assert prim["sign_p"] == pytest.approx(2 / 256) and prim["perm_p"] == pytest.approx(2 / 256)
    # Holm over the table's four contrasts: i-th smallest p times (4 - i), kept monotone, capped at 1
    raw = tests["perm_p"].to_list()
    order = sorted(range(4), key=lambda i: raw[i])
    expected, running = [0.0] * 4, 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (4 - rank) * raw[i]))
        expected[i] = running
    assert tests["perm_p_holm"].to_list() == pytest.approx(expected)
    assert prim["perm_p_holm"] == pytest.approx(4 * min(raw))
    assert set(tests["tests"]) == {4}
    tie = tests.filter(pl.col("arm_a") == "deep-narrow").filter(pl.col("arm_b") == "diverse-narrow").row(0, named=True)
    assert tie["ties"] == 8 and tie["perm_p"] == 1.0 and tie["favours"] == "neither" and not tie["significant"]
    assert prim["mcnemar_only_a"] == 32 and prim["mcnemar_only_b"] == 0


def test_holm_adjustment_of_two_contrasts_by_hand():
    rows = frame(rows_for("deep", {f: (5, 4) for f in FAMS}), rows_for("diverse", {f: (5, 0) for f in FAMS}),
                 rows_for("deep-wide", {f: (5, 4) for f in FAMS[:6]} | {f: (5, 0) for f in FAMS[6:]}))
    tests = F.family_tests(rows, contrasts=[("deep", "diverse", "x"), ("deep-wide", "diverse", "y")], sims=20)
    by = {r["contrast"]: r for r in tests.iter_rows(named=True)}
    assert by["x"]["perm_p"] == pytest.approx(2 / 256) and by["y"]["perm_p"] == pytest.approx(2 / 64)
    assert by["x"]["perm_p_holm"] == pytest.approx(2 * 2 / 256)  # smallest of two: doubled
    assert by["y"]["perm_p_holm"] == pytest.approx(2 / 64)  # the larger: times one, not below the first


def test_across_prompts_verdicts():
    assert F.across_prompts({"train": (True, "a"), "lcb": (True, "a")}) == "holds under both prompts"
    assert F.across_prompts({"train": (True, "a"), "lcb": (True, "b")}) == "depends on the prompt (opposite directions)"
    assert F.across_prompts({"train": (True, "a"), "lcb": (False, "a")}) == (
        "depends on the prompt (significant under train only)")
    assert F.across_prompts({"train": (False, "a"), "lcb": (False, "b")}) == "no difference under either prompt"
    assert F.across_prompts({"train": (True, "a")}) == "only the train prompt was run"


def test_answer_sentence_claims_shape_only_when_both_prompts_agree():
    both = F.family_tests(frame(four_arms("train"), four_arms("lcb")), sims=30)
    text = F.answer_sentence(both)
    assert "Shape matters at equal size and coverage" in text and "deep-wide solves more" in text

    one = F.family_tests(frame(four_arms("train"), four_arms("lcb", gap=0)), sims=30)
    text = F.answer_sentence(one)
    assert "Shape matters" not in text and "depends on the prompt" in text and "train only" in text
    table = F.contrast_table(one)
    prim = table.filter(pl.col("arm_a") == "deep-wide").filter(pl.col("arm_b") == "diverse-wide")
    assert set(prim["across_prompts"]) == {"depends on the prompt (significant under train only)"}

    none = F.family_tests(frame(four_arms("train", gap=0), four_arms("lcb", gap=0)), sims=30)
    text = F.answer_sentence(none)
    assert "could not be told apart" in text and "points of per-family solved rate over 8 families" in text
    assert "more" not in text
    mde = none.filter(pl.col("arm_a") == "deep-wide").filter(pl.col("arm_b") == "diverse-wide")["perm_mde"]
    lo, hi = round(100 * mde.min()), round(100 * mde.max())
    assert (f"at least {lo} points of" if lo == hi else f"at least {lo}–{hi} points, by group and prompt,") in text


def test_answer_sentence_without_the_primary_contrast():
    rows = frame(rows_for("deep", {f: (5, 4) for f in FAMS}), rows_for("diverse", {f: (5, 0) for f in FAMS}))
    text = F.answer_sentence(F.family_tests(rows, sims=20))
    assert text.startswith("Shape at equal size and coverage was not tested")
    assert "coverage as well as shape" in text and "Shape matters" not in text
    assert F.answer_sentence(F.family_tests(frame(rows_for("base", {"f": (2, 0)}, seeds=1)))).startswith(
        "Shape at equal size and coverage was not tested")


# -- the 2 x 2 table ------------------------------------------------------------------------------
def test_headline_2x2_with_only_the_diagonal_marks_the_rest_not_run():
    rows = frame(rows_for("deep", {"f1": (5, 4), "f2": (5, 1)}, subset="both"),
                 rows_for("diverse", {"f1": (5, 2), "f2": (5, 0)}, subset="both"),
                 rows_for("base", {"f1": (5, 0), "f2": (5, 0)}, subset="both", seeds=1))
    # one diverse seed solves one more problem: the cell shows the range over seeds
    rows = rows.with_columns(ok=pl.when((pl.col("model") == "diverse-s2") & (pl.col("question_id") == "f2-0"))
                             .then(True).otherwise(pl.col("ok")))
    table = design.headline_2x2(rows)
    assert table.height == 1
    r = table.row(0, named=True)
    assert (r["group"], r["prompt"], r["problems"]) == ("both", "train", 10)
    assert r["deep · narrow"] == "5" and r["diverse · wide"] == "2.3 [2–3]" and r["base"] == "0"
    assert r["deep · wide"] == r["diverse · narrow"] == r["base-1shot"] == "not run"
    assert "deep · narrow: deep" in r["arms"]


def test_headline_2x2_prefers_the_design_names_and_fills_every_cell():
    rows = frame(four_arms("train"), four_arms("lcb"),
                 rows_for("base-1shot", {f: (5, 1) for f in FAMS}, seeds=1),
                 rows_for("deep", {f: (5, 5) for f in FAMS}))
    table = design.headline_2x2(rows)
    assert table.height == 2 and "not run" not in table.row(0)
    train = table.filter(pl.col("prompt") == "train").row(0, named=True)
    assert train["deep · narrow"] == "16" and train["deep · wide"] == "32" and train["base-1shot"] == "8"
    assert design.headline_2x2(rows.clear()).height == 0


def test_design_mapping_and_contrasts():
    assert design.ARM_DESIGN["deep"] == design.ARM_DESIGN["deep-narrow"] == ("deep", "narrow")
    assert design.ARM_DESIGN["diverse"] == design.ARM_DESIGN["diverse-wide"] == ("diverse", "wide")
    assert design.contrasts_present(["deep", "diverse", "base"]) == [design.CONTRASTS[-1]]
    assert len(design.contrasts_present(["deep-wide", "deep-narrow", "diverse-wide", "diverse-narrow"])) == 4
    assert design.group_order(["unseen", "diverse_only", "both"]) == ["both", "diverse_only", "unseen"]
    assert design.group_order(["unseen", "wide_only", "narrow"]) == ["narrow", "wide_only", "unseen"]


# -- the real store ------------------------------------------------------------------------------------
@pytest.mark.skipif(not (STORE / "deep-wide-s1").is_dir(), reason="no 2 x 2 results store in data/runs")
def test_family_tests_on_the_committed_store():
    from analysis.scores import checkpoint_roles, primary_profiles, problem_results
    from analysis.study import load_study

    study = load_study(STORE)
    per = problem_results(study)
    rows = F.prompt_rows(per, checkpoint_roles(study.runs, study.losses), primary_profiles(study.runs))
    tests = F.family_tests(rows, sims=40)
    assert set(tests["contrast"]) == {c[2] for c in design.CONTRASTS if c[0] != "deep"}
    assert set(tests["prompt"]) == {"train", "lcb"}
    families = {s: set(tests.filter(pl.col("subset") == s)["families"]) for s in ("narrow", "wide_only", "unseen")}
    assert families["narrow"] == {10} and families["wide_only"] == {41} and families["unseen"] == {11}
    assert set(tests["problems"]) == {50}
    assert all(0 < p <= 1 for p in tests["perm_p"].to_list() + tests["sign_p"].to_list())
    assert (tests["fam_a"] + tests["fam_b"] + tests["ties"] == tests["families"]).all()
    assert (tests["perm_p_holm"] >= tests["perm_p"]).all()
    table = design.headline_2x2(rows)
    assert table.height == 6 and "not run" not in set().union(*(set(table[c]) for c in table.columns[1:]))
    sentence = F.answer_sentence(tests)
    assert "deep-wide" in sentence.lower() and "diverse-wide" in sentence
