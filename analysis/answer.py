"""The report's answer, in two or three sentences chosen by the outcomes of its own tests.

Why generated: the answer must follow the data it summarises whatever a rerun produces, and it
must never claim a difference its test does not support. So every sentence is picked from the
Holm-adjusted exact McNemar table (`significance.mcnemar_table`): a difference between the compared
arms (the design's first contrast that was run: deep-wide vs diverse-wide, or the first study's
deep vs diverse) is claimed for a held-out group only when it is significant in every seed-paired test, all in the
same direction; otherwise the sentence says so, and a null names the smallest difference the
test could have detected (`significance.power_table`). Words of comparison ("more", "fewer")
appear only in sentences about significant results.

Covers: `group_outcomes`, `base_outcomes`, `answer_sentences` (problem-level; the report's headline
answer is `family_tests.answer_sentence`). Does not cover: statistics.
"""

from __future__ import annotations

import polars as pl

from analysis.design import CONTRASTS, GROUP_WORDS, SHORT_WORDS, arm_order, is_control, join_words
from analysis.scores import subset_order

HELD_OUT = "heldout"
#: how the first study's arms are named in prose; every other arm by its own name
DISPLAY = {"deep": "Deep", "diverse": "Diverse"}


def display(arm: str) -> str:
    return DISPLAY.get(arm, arm)


def compared_kind(mcnemar: pl.DataFrame) -> str | None:
    """The seed-paired contrast the answer is about: the first of `design.CONTRASTS` in the table."""
    kinds = set(mcnemar["kind"].to_list())
    return next((f"{a} vs {b}" for a, b, _ in CONTRASTS if f"{a} vs {b}" in kinds), None)


def pair_words(a: str, b: str) -> str:
    """"Deep-vs-Diverse" for the first study's pair, "deep-wide vs diverse-wide" otherwise."""
    return f"{display(a)}-vs-{display(b)}" if a in DISPLAY and b in DISPLAY else f"{a} vs {b}"


def group_outcomes(mcnemar: pl.DataFrame, benchmark: str = HELD_OUT, kind: str | None = None) -> pl.DataFrame:
    """Per subset: the compared arms' seed pairs (`kind`, default `compared_kind`), how many are
    significant, and the outcome word.

    outcome: an arm's name (every seed pair significant, all favouring that arm), "mixed" (some
    significant, or directions disagree), "none" (no pair significant).
    """
    schema = {"subset": pl.Utf8, "arm_a": pl.Utf8, "arm_b": pl.Utf8, "pairs": pl.Int64, "significant": pl.Int64,
              "max_p_holm": pl.Float64, "min_p_holm": pl.Float64, "outcome": pl.Utf8}
    kind = kind or compared_kind(mcnemar)
    if kind is None:
        return pl.DataFrame(schema=schema)
    dvd = mcnemar.filter((pl.col("benchmark") == benchmark) & (pl.col("kind") == kind))
    out = []
    for (subset,), g in dvd.group_by("subset", maintain_order=True):
        arm_a, arm_b = g["arm_a"][0], g["arm_b"][0]
        sig = g.filter(pl.col("significant"))
        directions = {arm_b if b > a else arm_a for a, b in zip(sig["only_a"], sig["only_b"])}
        if sig.height == 0:
            outcome = "none"
        elif sig.height == g.height and len(directions) == 1:
            outcome = directions.pop()
        else:
            outcome = "mixed"
        out.append(dict(subset=subset, arm_a=arm_a, arm_b=arm_b, pairs=g.height, significant=sig.height,
                        max_p_holm=g["p_holm"].max(),
                        min_p_holm=g["p_holm"].min(), outcome=outcome))
    return pl.DataFrame(out, schema=schema, orient="row") if out else pl.DataFrame(schema=schema)


def base_outcomes(mcnemar: pl.DataFrame, benchmark: str, subset: str = "all") -> dict[str, dict]:
    """Per arm: adapters compared with base, how many differ significantly, and in which directions."""
    rows = mcnemar.filter((pl.col("benchmark") == benchmark) & (pl.col("subset") == subset)
                          & (pl.col("kind") == "base vs adapter"))
    out: dict[str, dict] = {}
    for r in rows.iter_rows(named=True):
        arm = r["arm_b"] or r["model_b"]
        o = out.setdefault(arm, {"adapters": 0, "significant": 0, "directions": set()})
        o["adapters"] += 1
        if r["significant"]:
            o["significant"] += 1
            o["directions"].add("more" if r["only_b"] > r["only_a"] else "fewer")
    return out


def _mean_solved(scores: pl.DataFrame, arm: str, subset: str, benchmark: str = HELD_OUT) -> tuple[str, int] | None:
    row = scores.filter((pl.col("benchmark") == benchmark) & (pl.col("subset") == subset) & (pl.col("arm") == arm))
    if row.height == 0:
        return None
    r = row.row(0, named=True)
    return f"{r['solved_mean']:.1f}".removesuffix(".0"), r["problems"]


def describe_sentence(scores: pl.DataFrame) -> str:
    """Mean problems solved per arm and held-out group (over seeds); no comparison words."""
    subsets = scores.filter(pl.col("benchmark") == HELD_OUT)["subset"].to_list()
    present = [s for s in subset_order(subsets) if s != "all"] or [s for s in subsets if s == "all"][:1]
    if not present:
        return "The held-out benchmark was not run under the training prompt, so this study has no answer yet."
    sizes = sorted({_first_size(scores, g) for g in present})
    of = f"of {sizes[0]}" if len(sizes) == 1 else "of " + " / ".join(str(_first_size(scores, g)) for g in present)
    parts = []
    held = scores.filter(pl.col("benchmark") == HELD_OUT)["arm"].to_list() or ["deep", "diverse", "base"]
    trained = [a for a in arm_order(held) if not is_control(a)] + [a for a in arm_order(held) if is_control(a)]
    for arm in trained:
        cells = [_mean_solved(scores, arm, g) for g in present]
        if any(c is not None for c in cells):
            parts.append(f"{display(arm)} {' / '.join('not run' if c is None else c[0] for c in cells)}")
    names = " / ".join(SHORT_WORDS.get(g, g) for g in present)
    where = "the held-out benchmark" if present == ["all"] else f"{names} held-out families"
    return f"Mean problems solved ({of}) on {where}, over training seeds: {', '.join(parts)}."


def _first_size(scores: pl.DataFrame, subset: str) -> int:
    return int(scores.filter((pl.col("benchmark") == HELD_OUT) & (pl.col("subset") == subset))["problems"].max())


def p_bound(worst: float) -> str:
    """The largest p of a set of significant tests, as prose: "p < 0.001" or "p ≤ 0.02"."""
    return "p < 0.001" if worst < 0.001 else f"p ≤ {worst:.3g}"


def verdict_sentence(outcomes: pl.DataFrame, power: pl.DataFrame, alpha: float) -> str:
    """The compared arms per held-out group, worded by the outcome of the seed-paired tests."""
    if outcomes.height == 0:
        return "No two trained arms of one design contrast were both evaluated, so they cannot be compared."
    ordered = sorted(outcomes.iter_rows(named=True), key=lambda r: (r["subset"] == "all", r["subset"]))
    groups = [r for r in ordered if r["subset"] != "all"] or ordered
    arm_a, arm_b = groups[0]["arm_a"], groups[0]["arm_b"]
    pair = pair_words(arm_a, arm_b)
    by = {o: [r for r in groups if r["outcome"] == o] for o in (arm_b, arm_a, "mixed", "none")}
    parts = []
    for arm, other in ((arm_b, display(arm_a)), (arm_a, display(arm_b))):
        if by[arm]:
            names = join_words([GROUP_WORDS.get(r["subset"], r["subset"]) for r in by[arm]])
            worst = max(r["max_p_holm"] for r in by[arm])
            parts.append(f"{display(arm)} adapters solve more problems than {other} adapters on {names} in every "
                         f"seed-paired test (Holm-adjusted exact McNemar {p_bound(worst)})")
    if by["mixed"]:
        names = join_words([f"{GROUP_WORDS.get(r['subset'], r['subset'])} ({r['significant']} of {r['pairs']} "
                            "seed pairs)" for r in by["mixed"]])
        parts.append(f"a {pair} difference on {names} is significant for some training seeds only, "
                     "so it is not established")
    if by["none"]:
        names = ("any held-out group" if len(by["none"]) == len(groups) and len(groups) > 1
                 else join_words([GROUP_WORDS.get(r["subset"], r["subset"]) for r in by["none"]]))
        pw = power.filter((pl.col("benchmark") == HELD_OUT) & pl.col("subset").is_in([r["subset"] for r in by["none"]]))
        detect = ""
        if pw.height:
            k, n = int(pw["min_table"].max()), int(pw["problems"].min())
            detect = (f"; with {n} problems per group, the test could only have detected a gap of at least {k} "
                      "problems, all solved by one arm and not the other" if k <= n else
                      f"; with {n} problems per group no gap could have reached significance (the Holm threshold "
                      f"needs at least {k} problems solved by one arm and not the other)")
        parts.append(f"no {pair} difference on {names} is distinguishable from noise (exact McNemar per "
                     f"training seed, Holm-adjusted, α = {alpha:g}){detect}")
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def base_sentence(mcnemar: pl.DataFrame) -> str:
    """Adapters vs the base model on the whole held-out benchmark and on lcb41."""
    parts = []
    for bench, label in ((HELD_OUT, "the whole held-out benchmark"), ("lcb41", "the LiveCodeBench problems")):
        outcome = base_outcomes(mcnemar, bench)
        cells = []
        for arm in arm_order(outcome):
            if arm in outcome:
                o = outcome[arm]
                way = ""
                if o["significant"]:
                    way = " (all solving more)" if o["directions"] == {"more"} else (
                        " (all solving fewer)" if o["directions"] == {"fewer"} else " (in both directions)")
                cells.append(f"{o['significant']} of {o['adapters']} {display(arm)}{way}")
        if cells:
            parts.append(f"{join_words(cells)} adapters on {label}")
    if not parts:
        return ""
    return "Against the base model, " + "; ".join(parts) + " differ beyond noise (Holm-adjusted)."


def answer_sentences(scores: pl.DataFrame, mcnemar: pl.DataFrame, power: pl.DataFrame,
                     alpha: float = 0.05) -> list[str]:
    """The answer: what was measured, the compared arms by the tests, and adapters vs base."""
    sentences = [describe_sentence(scores)]
    if scores.filter(pl.col("benchmark") == HELD_OUT).height:
        sentences.append(verdict_sentence(group_outcomes(mcnemar), power, alpha))
        base = base_sentence(mcnemar)
        if base:
            sentences.append(base)
    return sentences


def answer_text(scores: pl.DataFrame, mcnemar: pl.DataFrame, power: pl.DataFrame, alpha: float = 0.05) -> str:
    return " ".join(answer_sentences(scores, mcnemar, power, alpha))
