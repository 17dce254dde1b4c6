"""Paired comparisons between models, corrected for the number of tests, and what they could detect.

Why McNemar: both models answer the same problems, so the information is in the problems where
exactly one of them passes (the discordant counts b and c); the exact test treats each as a fair
coin under "no difference". Why Holm: each (benchmark, subset) table holds several tests (base vs
each adapter, each design contrast per training seed); at alpha each, one of them is "significant" by
chance far more often than alpha. Why a power line: a null result means nothing until one says
what difference the test could have seen -- with exact McNemar at alpha 0.05, fewer than six
discordant problems all one way can never be significant.

Sampled pass@1 is a per-problem rate, so its difference gets a paired bootstrap interval over
problems (whole task families on the synthetic benchmark). Whether it is called a difference is
decided by a test over those units, not over samples: the exact sign test over the problems (or
families) on which the two arms' rates differ, Holm-adjusted like the McNemar tables. Ten passing
samples against one, spread over six problems against one, is seven events: too few for a test over
problems to say anything, so the table says "too few events" rather than "differs".

Covers: `mcnemar_table`, `sampled_table`, `power_table`, their great_tables views and the compact
per-group summary of the McNemar tests (`mcnemar_summary_gt`).
Does not cover: the wording of the answer (`answer`).
"""

from __future__ import annotations

import polars as pl
from great_tables import GT

from analysis.arms import CLUSTERED, clustered, sort_frame
from analysis.blocks import pvalue
from analysis.design import arm_order, contrasts_present, seed_pairs
from analysis.scores import GREEDY, PRIMARY_PROMPT, model_order
from codegen_study.scoring.metrics import (
    detectable_difference,
    holm,
    mcnemar_exact,
    mcnemar_min_discordant,
    paired_bootstrap_diff,
    paired_bootstrap_p,
)

ALPHA = 0.05


def model_pairs(models: list[str], arms: dict[str, str], seeds: dict[str, int | None]) -> list[tuple[str, str, str]]:
    """(a, b, kind): base vs every other model (adapters and the format control), then each design
    contrast (`design.CONTRASTS`, e.g. deep-wide vs diverse-wide) at the same training seed."""
    models = model_order(models)
    pairs = [("base", m, "base vs base-1shot" if arms.get(m) == "base-1shot" else "base vs adapter")
             for m in models if m != "base" and "base" in models]
    return pairs + seed_pairs(models, arms, seeds)


MCNEMAR_SCHEMA = {"benchmark": pl.Utf8, "subset": pl.Utf8, "kind": pl.Utf8, "model_a": pl.Utf8, "model_b": pl.Utf8,
                  "arm_a": pl.Utf8, "arm_b": pl.Utf8, "problems": pl.Int64, "both": pl.Int64, "only_a": pl.Int64,
                  "only_b": pl.Int64, "neither": pl.Int64,
                  "p_value": pl.Float64, "p_holm": pl.Float64, "tests": pl.Int64, "significant": pl.Boolean}


def mcnemar_table(rows: pl.DataFrame, alpha: float = ALPHA) -> pl.DataFrame:
    """Exact McNemar for every pair of `model_pairs` per (benchmark, subset), Holm within each."""
    out = []
    for (bench, subset), g in rows.group_by("benchmark", "subset", maintain_order=True):
        solved = {m: dict(zip(x["question_id"], x["ok"])) for (m,), x in g.partition_by("model", as_dict=True).items()}
        arms = dict(zip(g["model"], g["arm"]))
        seeds = dict(zip(g["model"], g["train_seed"]))
        table = []
        for a, b, kind in model_pairs(list(solved), arms, seeds):
            common = sorted(set(solved[a]) & set(solved[b]))
            pa, pb = [solved[a][q] for q in common], [solved[b][q] for q in common]
            only_a = sum(x and not y for x, y in zip(pa, pb))
            only_b = sum(y and not x for x, y in zip(pa, pb))
            table.append(dict(benchmark=bench, subset=subset, kind=kind, model_a=a, model_b=b, arm_a=arms.get(a),
                              arm_b=arms.get(b), problems=len(common),
                              both=sum(x and y for x, y in zip(pa, pb)), only_a=only_a, only_b=only_b,
                              neither=sum(not x and not y for x, y in zip(pa, pb)),
                              p_value=mcnemar_exact(only_a, only_b)))
        out += holm_adjusted(table, alpha)
    return tests_frame(out, MCNEMAR_SCHEMA)


def holm_adjusted(table: list[dict], alpha: float) -> list[dict]:
    """One table of tests with Holm-adjusted p-values, the number of tests and the verdict."""
    for row, adjusted in zip(table, holm([r["p_value"] for r in table])):
        row.update(p_holm=adjusted, tests=len(table), significant=adjusted < alpha)
    return table


def tests_frame(rows: list[dict], schema: dict) -> pl.DataFrame:
    """Test rows as a frame in the report's row order (columns outside `schema` dropped)."""
    rows = [{k: r.get(k) for k in schema} for r in rows]
    df = pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)
    return sort_frame(df.with_columns(arm=pl.lit("")), "arm").drop("arm") if df.height else df


def verdict(events: int, tests: int, p_holm: float, alpha: float = ALPHA) -> str:
    """"differs" / "not distinguishable" / "too few events": the last when even all `events`
    (discordant problems or families) going one way could not reach Holm-adjusted `alpha`."""
    if events < mcnemar_min_discordant(alpha, tests):
        return "too few events"
    return "differs" if p_holm < alpha else "not distinguishable"


def group_label() -> pl.Expr:
    return (pl.when(pl.col("subset") == "all").then(pl.col("benchmark"))
            .otherwise(pl.col("benchmark") + ": " + pl.col("subset").str.replace_all("_", " ")))


def mcnemar_verdicts(table: pl.DataFrame, alpha: float = ALPHA) -> pl.Series:
    return pl.Series([verdict(a + b, t, p, alpha) for a, b, t, p in
                      table.select("only_a", "only_b", "tests", "p_holm").iter_rows()], dtype=pl.Utf8)


def mcnemar_gt(table: pl.DataFrame, alpha: float = ALPHA) -> GT:
    """Every paired test, one row each (the appendix table)."""
    if table.height == 0:
        return GT(pl.DataFrame({"note": ["not run: fewer than two models on every benchmark"]}))
    df = table.with_columns(
        group=group_label(), pair=pl.col("model_a") + " vs " + pl.col("model_b"),
        split=pl.format("{} / {}", "only_a", "only_b"),
        p=pl.col("p_value").map_elements(pvalue, return_dtype=pl.Utf8),
        holm=pl.col("p_holm").map_elements(pvalue, return_dtype=pl.Utf8),
        verdict=mcnemar_verdicts(table, alpha))
    return (GT(df.select("group", "pair", "problems", "both", "split", "neither", "p", "holm", "verdict"),
               rowname_col="pair", groupname_col="group")
            .cols_label(split="only A / only B", p="McNemar p", holm="Holm p")
            .tab_source_note(f"Exact two-sided McNemar on greedy pass/fail (final checkpoint, training prompt); "
                             f"Holm-adjusted within each group of rows; 'differs' means Holm p < {alpha:g}; "
                             "'too few events' means fewer discordant problems than the smallest Holm-adjusted p "
                             "of the group needs.")
            .tab_options(table_font_size="11px", data_row_padding="2px"))


def pair_kind(arm_a: str | None, arm_b: str | None) -> str:
    return f"{arm_a or 'base'} vs {arm_b or 'base'}"


def mcnemar_summary(table: pl.DataFrame, alpha: float = ALPHA) -> pl.DataFrame:
    """Per group x arm pair: the verdicts of its tests (one per training seed), the discordant
    splits and the Holm p range, each as text."""
    schema = {"group": pl.Utf8, "pair": pl.Utf8, "cell": pl.Utf8}
    if table.height == 0:
        return pl.DataFrame(schema=schema)
    df = table.with_columns(group=group_label(), verdict=mcnemar_verdicts(table, alpha),
                            pair=pl.Series([pair_kind(a, b) for a, b in table.select("arm_a", "arm_b").iter_rows()],
                                           dtype=pl.Utf8))
    out = []
    for (group, pair), g in df.group_by("group", "pair", maintain_order=True):
        counts = {v: g.filter(pl.col("verdict") == v).height for v in ("differs", "not distinguishable",
                                                                         "too few events")}
        words = "; ".join(f"{v} in {n} of {g.height}" if n < g.height else v for v, n in counts.items() if n)
        splits = ", ".join(f"{a}/{b}" for a, b in g.select("only_a", "only_b").iter_rows())
        lo, hi = pvalue(g["p_holm"].min()), pvalue(g["p_holm"].max())
        p = f"Holm p {lo}" if lo == hi else f"Holm p {lo} to {hi}"
        out.append(dict(group=group, pair=pair, cell=f"{words} (only first/only second: {splits}; {p})"))
    return pl.DataFrame(out, schema=schema, orient="row")


def mcnemar_summary_gt(table: pl.DataFrame, alpha: float = ALPHA, max_columns: int = 3) -> GT:
    """The compact table of the paired tests: groups as rows and arm pairs as columns when there
    are at most `max_columns` pairs, else one row per group and pair (many arms stay on the page)."""
    summary = mcnemar_summary(table, alpha)
    if summary.height == 0:
        return GT(pl.DataFrame({"note": ["not run: fewer than two models on every benchmark"]}))
    pairs = summary["pair"].unique(maintain_order=True).to_list()
    if len(pairs) <= max_columns:
        wide = summary.pivot(on="pair", index="group", values="cell", maintain_order=True).select("group", *pairs)
        gt = GT(wide.fill_null("not run"), rowname_col="group")
    else:
        gt = GT(summary.rename({"cell": "verdicts"}), rowname_col="pair", groupname_col="group")
    return (gt.tab_source_note(f"One exact McNemar test per training seed (base vs each other model; each design "
                               f"contrast at the same seed), Holm-adjusted within each group at α = {alpha:g}. "
                               "'too few events': fewer problems solved by only one model than the test needs to "
                               "reach significance at all. Every test is listed in the appendix.")
            .tab_options(table_font_size="11px", data_row_padding="2px", table_width="100%"))


SAMPLED_SCHEMA = {"benchmark": pl.Utf8, "subset": pl.Utf8, "model_a": pl.Utf8, "model_b": pl.Utf8,
                  "problems": pl.Int64, "pass1_a": pl.Float64, "pass1_b": pl.Float64, "diff": pl.Float64,
                  "lo": pl.Float64, "hi": pl.Float64, "p_value": pl.Float64, "p_holm": pl.Float64,
                  "clustered": pl.Boolean, "units_a": pl.Int64, "units_b": pl.Int64, "sign_p": pl.Float64,
                  "sign_holm": pl.Float64, "tests": pl.Int64, "verdict": pl.Utf8, "significant": pl.Boolean}


def sampled_rates(per: pl.DataFrame, roles: pl.DataFrame, profiles: pl.DataFrame, role: str = "final") -> pl.DataFrame:
    """Sampled pass@1 (c/n) per model and problem at `role` under the training prompt, with subsets."""
    chosen = roles.filter((pl.col("role") == role) | (pl.col("role") == "base")).select("model", "step")
    rows = (per.filter((pl.col("decoding") != GREEDY) & (pl.col("prompt") == PRIMARY_PROMPT))
            .join(chosen, on=["model", "step"], how="semi")
            .join(profiles, on=["benchmark", "grader", "extraction"], how="semi")
            .with_columns(rate=pl.col("c") / pl.col("n"), arm=pl.col("arm").fill_null(pl.col("model"))))
    groups = rows.filter(pl.col("group").is_not_null()).with_columns(subset=pl.col("group"))
    return pl.concat([rows.with_columns(subset=pl.lit("all")), groups], how="vertical_relaxed")


def sampled_pairs(arms) -> list[tuple[str, str]]:
    """Arm pairs compared on sampled pass@1: base vs every other arm, then the design contrasts run."""
    present = arm_order(arms)
    pairs = [("base", a) for a in present if a != "base"] if "base" in present else []
    return pairs + [(a, b) for a, b, _ in contrasts_present(present) if (a, b) not in pairs]


def sampled_table(rates: pl.DataFrame, n_boot: int = 1000, alpha: float = ALPHA) -> pl.DataFrame:
    """Arm vs arm on sampled pass@1 (per problem averaged over seeds): paired bootstrap, Holm."""
    out = []
    for (bench, subset), g in rates.group_by("benchmark", "subset", maintain_order=True):
        per_arm = (g.group_by("arm", "question_id").agg(rate=pl.col("rate").mean(), family=pl.col("family").first()))
        pairs = sampled_pairs(per_arm["arm"].unique().to_list())
        table = []
        for a, b in pairs:
            x = per_arm.filter(pl.col("arm") == a).select("question_id", "family", ra="rate")
            y = per_arm.filter(pl.col("arm") == b).select("question_id", rb="rate")
            j = x.join(y, on="question_id").sort("question_id")
            if j.height == 0:
                continue
            clusters = j["family"].to_list() if bench == CLUSTERED and clustered(j["family"].to_list()) else None
            diff, lo, hi = paired_bootstrap_diff(j["rb"].to_list(), j["ra"].to_list(), n_boot=n_boot, clusters=clusters)
            p = paired_bootstrap_p(j["rb"].to_list(), j["ra"].to_list(), n_boot=n_boot, clusters=clusters)
            units = j.group_by("family" if clusters is not None else "question_id").agg(pl.col("ra").mean(),
                                                                                         pl.col("rb").mean())
            units_a = units.filter(pl.col("ra") > pl.col("rb")).height
            units_b = units.filter(pl.col("rb") > pl.col("ra")).height
            table.append(dict(benchmark=bench, subset=subset, model_a=a, model_b=b, problems=j.height,
                              pass1_a=j["ra"].mean(), pass1_b=j["rb"].mean(), diff=diff, lo=lo, hi=hi, p_value=p,
                              clustered=clusters is not None, units_a=units_a, units_b=units_b,
                              sign_p=mcnemar_exact(units_a, units_b)))
        for row, adjusted in zip(table, holm([r["p_value"] for r in table])):
            row["p_holm"] = adjusted
        for row, adjusted in zip(table, holm([r["sign_p"] for r in table])):
            row.update(sign_holm=adjusted, tests=len(table),
                       verdict=verdict(row["units_a"] + row["units_b"], len(table), adjusted, alpha))
            row["significant"] = row["verdict"] == "differs"
        out += table
    return tests_frame(out, SAMPLED_SCHEMA)


def sampled_gt(table: pl.DataFrame, alpha: float = ALPHA) -> GT:
    if table.height == 0:
        return GT(pl.DataFrame({"note": ["not run: no sampled decoding under the training prompt"]}))
    df = table.with_columns(
        group=group_label(), pair=pl.col("model_b") + " − " + pl.col("model_a"),
        interval=pl.format("[{}, {}]", (100 * pl.col("lo")).round(1), (100 * pl.col("hi")).round(1)),
        units=pl.format("{} / {}{}", "units_a", "units_b",
                        pl.when(pl.col("clustered")).then(pl.lit(" fam.")).otherwise(pl.lit(""))),
        holm=pl.col("sign_holm").map_elements(pvalue, return_dtype=pl.Utf8))
    return (GT(df.select("group", "pair", "problems", "pass1_a", "pass1_b", "diff", "interval", "units", "holm",
                         "verdict"), rowname_col="pair", groupname_col="group")
            .fmt_percent(columns=["pass1_a", "pass1_b", "diff"], decimals=1)
            .cols_label(pass1_a="first arm", pass1_b="second arm", diff="difference", interval="95% interval",
                        units="first ahead / second ahead", holm="sign test Holm p")
            .tab_source_note("Sampled pass@1 per problem averaged over the arm's training seeds (final checkpoints). "
                             "Interval: paired bootstrap over problems (whole task families on heldout rows with "
                             "enough families, marked fam.). Verdict: exact sign test over the problems (families) "
                             "on which the two arms' rates differ, Holm-adjusted within each group; 'too few "
                             "events' when even all of them going one way could not reach "
                             f"α = {alpha:g}.")
            .tab_options(table_font_size="11px", data_row_padding="2px"))


POWER_SCHEMA = {"benchmark": pl.Utf8, "subset": pl.Utf8, "problems": pl.Int64, "tests": pl.Int64,
                "min_one": pl.Int64, "mdd_one": pl.Float64, "min_table": pl.Int64, "mdd_table": pl.Float64}


def power_table(mcnemar: pl.DataFrame, alpha: float = ALPHA) -> pl.DataFrame:
    """Per (benchmark, subset): fewest discordant problems, all one way, that reach significance.

    `min_one` is for a single test at alpha; `min_table` for the smallest p of the table under
    Holm (alpha / tests). `mdd_*` are the same as Pass@1 differences (None: more than n).
    """
    out = []
    for (bench, subset), g in mcnemar.group_by("benchmark", "subset", maintain_order=True):
        n, tests = int(g["problems"].max()), int(g["tests"].max())
        out.append(dict(benchmark=bench, subset=subset, problems=n, tests=tests,
                        min_one=mcnemar_min_discordant(alpha), mdd_one=detectable_difference(n, alpha),
                        min_table=mcnemar_min_discordant(alpha, tests),
                        mdd_table=detectable_difference(n, alpha, tests)))
    return pl.DataFrame(out, schema=POWER_SCHEMA, orient="row") if out else pl.DataFrame(schema=POWER_SCHEMA)


def power_sentence(row: dict, alpha: float = ALPHA) -> str:
    """E.g. "lcb41 (41 problems): one exact McNemar test ... at least 6 problems ... (14.6 points) ..."."""
    def points(mdd: float | None) -> str:
        if mdd is None:
            return f" (more than the {row['problems']} it has)"
        return f" ({100 * mdd:.1f} points of Pass@1)"

    name = row["benchmark"] if row["subset"] == "all" else f"{row['benchmark']}, {row['subset'].replace('_', ' ')}"
    return (f"{name} ({row['problems']} problems): one exact McNemar test at α = {alpha:g} needs at least "
            f"{row['min_one']} problems solved by one model and not the other, all the same way"
            f"{points(row['mdd_one'])}; "
            f"the smallest p of its table of {row['tests']} tests needs {row['min_table']}{points(row['mdd_table'])} "
            "after Holm.")


def power_lines(power: pl.DataFrame, alpha: float = ALPHA) -> str:
    if power.height == 0:
        return "*Not run: no paired comparison in this store.*"
    return "\n".join(f"- {power_sentence(r, alpha)}" for r in power.iter_rows(named=True))


def power_gt(power: pl.DataFrame, alpha: float = ALPHA) -> GT:
    """`power_table` as a compact table: per group, the fewest one-sided discordant problems a test needs."""
    if power.height == 0:
        return GT(pl.DataFrame({"note": ["not run: no paired comparison in this store"]}))

    def need(k: int, mdd: float | None, n: int) -> str:
        return f"{k} (more than the {n} problems)" if mdd is None else f"{k} ({100 * mdd:.1f} points)"

    df = power.with_columns(group=group_label()).with_columns(
        one=pl.Series([need(k, m, n) for k, m, n in power.select("min_one", "mdd_one", "problems").iter_rows()],
                      dtype=pl.Utf8),
        table=pl.Series([need(k, m, n) for k, m, n in power.select("min_table", "mdd_table", "problems").iter_rows()],
                        dtype=pl.Utf8))
    return (GT(df.select("group", "problems", "tests", "one", "table"), rowname_col="group")
            .cols_label(one="one test needs", table="smallest p of the group needs")
            .tab_source_note(f"Problems solved by one model and not the other, all the same way, that an exact McNemar "
                             f"test at α = {alpha:g} needs (as Pass@1 points); the second column applies Holm's "
                             "threshold for the group's smallest p.")
            .tab_options(table_font_size="11px", data_row_padding="2px"))
