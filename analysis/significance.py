"""Paired comparisons: can two models' Pass@1 be told apart on the same problems?

Why McNemar: both models answer the same problems, so the information is in the problems where
exactly one of them passes (the discordant pairs b and c). The exact test treats each such
problem as a fair coin under "no difference"; with a few dozen problems, a gap of two or three
problems is usually indistinguishable from noise, and the report says so in words.

Covers: greedy pass/fail at one checkpoint role per model. Does not cover: multiple-comparison
correction (three pairs; the report shows raw p-values and says so).
"""

from __future__ import annotations

from itertools import combinations

import polars as pl
from great_tables import GT

from analysis.problems import at_role
from analysis.scores import model_order
from codegen_study.metrics import mcnemar_exact

ALPHA = 0.05


def verdict_sentence(a: str, b: str, only_a: int, only_b: int, p: float, alpha: float = ALPHA) -> str:
    """One plain sentence on whether a and b differ beyond noise."""
    if only_a + only_b == 0:
        return f"{a} and {b} pass exactly the same problems: there is no difference to test."
    verdict = "distinguishable from noise" if p < alpha else "not distinguishable from noise"
    return (f"Only {a} solves {_problems(only_a)} and only {b} solves {_problems(only_b)}; "
            f"exact McNemar p = {p:.3g}, so the difference is {verdict} at α = {alpha:g}.")


def _problems(n: int) -> str:
    return f"{n} problem{'' if n == 1 else 's'}"


def paired_comparisons(per: pl.DataFrame, roles: pl.DataFrame, benchmark: str, grader: str,
                       extraction: str, role: str = "final", alpha: float = ALPHA) -> pl.DataFrame:
    """One row per model pair: both/only_a/only_b/neither counts, exact McNemar p, a sentence."""
    rows = at_role(per, roles, role).filter(
        (pl.col("benchmark") == benchmark) & (pl.col("grader") == grader) & (pl.col("extraction") == extraction))
    schema = {"model_a": pl.Utf8, "model_b": pl.Utf8, "problems": pl.Int64, "both": pl.Int64,
              "only_a": pl.Int64, "only_b": pl.Int64, "neither": pl.Int64, "p_value": pl.Float64,
              "significant": pl.Boolean, "sentence": pl.Utf8}
    solved = {m: dict(zip(g["question_id"], (g["c"] > 0).to_list()))
              for (m,), g in rows.partition_by("model", as_dict=True).items()}
    out = []
    for a, b in combinations(model_order(solved), 2):
        common = sorted(set(solved[a]) & set(solved[b]))
        pa = [solved[a][q] for q in common]
        pb = [solved[b][q] for q in common]
        only_a = sum(x and not y for x, y in zip(pa, pb))
        only_b = sum(y and not x for x, y in zip(pa, pb))
        p = mcnemar_exact(only_a, only_b)
        out.append(dict(model_a=a, model_b=b, problems=len(common), both=sum(x and y for x, y in zip(pa, pb)),
                        only_a=only_a, only_b=only_b, neither=sum(not x and not y for x, y in zip(pa, pb)),
                        p_value=p, significant=p < alpha, sentence=verdict_sentence(a, b, only_a, only_b, p, alpha)))
    return pl.DataFrame(out, schema=schema, orient="row") if out else pl.DataFrame(schema=schema)


def all_comparisons(per: pl.DataFrame, roles: pl.DataFrame, profiles: pl.DataFrame,
                    role: str = "final", alpha: float = ALPHA) -> pl.DataFrame:
    """`paired_comparisons` for every benchmark under its primary profile, stacked."""
    frames = [paired_comparisons(per, roles, b, g, e, role, alpha).with_columns(benchmark=pl.lit(b))
              for b, g, e in profiles.iter_rows()]
    frames = [f for f in frames if f.height]
    return pl.concat(frames) if frames else paired_comparisons(per.clear(), roles, "", "", "").with_columns(
        benchmark=pl.lit(None, dtype=pl.Utf8))


def comparison_table(pairs: pl.DataFrame) -> GT:
    """Pairs with discordant counts (b = only A, c = only B), p-value and the plain verdict."""
    if pairs.height == 0:
        return GT(pl.DataFrame({"note": ["fewer than two models were run on this benchmark"]}))
    grouped = "benchmark" in pairs.columns
    cols = (["benchmark"] if grouped else []) + ["model_a", "model_b", "problems", "both", "only_a", "only_b",
                                                 "neither", "p_value", "sentence"]
    return (GT(pairs.select(cols), groupname_col="benchmark" if grouped else None)
            .fmt_number(columns="p_value", decimals=3)
            .cols_label(model_a="A", model_b="B", only_a="only A (b)", only_b="only B (c)", p_value="McNemar p",
                        sentence="in words")
            .tab_source_note("Exact two-sided McNemar test on greedy pass/fail; raw p-values, no correction "
                             "for the number of pairs."))
