"""Arm-vs-arm tests with the task family as the unit of replication, and what they could detect.

Why families: held-out problems of one family share a solution idea, so an arm that learned the
idea solves most of them and one that did not solves few; counting problems as independent
overstates the evidence (`significance`'s McNemar does, and stays here as a secondary column).
Per family, each arm's solved rate (greedy, final checkpoint, averaged over its training seeds)
gives one paired difference. Two tests use those differences:

- the exact **sign test**: how many families favour each arm (ties dropped), a fair coin under
  "no difference"; it ignores how large each family's difference is;
- the **sign-flip permutation test** on the mean family difference (the primary test): under "no
  difference" each family's difference is as likely negated, so the p-value is the share of the
  2^n sign assignments whose mean is at least as far from zero. Computed exactly (differences are
  rationals, so on an integer lattice), else from `MC_DRAWS` seeded random assignments.

Holm adjusts each test across the contrasts of one table (benchmark x group x prompt). A null
result is stated with the smallest difference the test could detect (alpha 0.05, 80% power):
the sign test's fewest concordant families, and for both tests a difference in solved-rate
points found by simulation under a shift model (each family keeps its attempts and its pooled
rate p; one arm solves each attempt with p + d/2, the other with p - d/2). That model gives every
family the same effect and treats attempts as independent, so the true detectable difference is
no smaller than the one reported: it is a lower bound.

Covers: `family_rates`, `family_tests`, `contrast_table`, `answer_sentence`, and the tests and
power helpers they use. Does not cover: the 2 x 2 layout (`design`), HumanEval (`humaneval_breakdown`).
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left
from fractions import Fraction

import polars as pl

from analysis.design import (
    HELD_OUT,
    PRIMARY,
    PROMPTS,
    contrasts_present,
    group_label,
    group_order,
    join_words,
)
from codegen_study.scoring.metrics import holm, mcnemar_exact

ALPHA = 0.05
POWER = 0.8
MC_DRAWS = 10_000
EXACT_MAX_FAMILIES = 20
#: widest integer lattice (in units of the differences' common denominator) built for an exact test
LATTICE_MAX = 200_000
SIMS = 200
SIM_DRAWS = 1_000  # random assignments per simulated test when it cannot be exact


# -- the tests ----------------------------------------------------------------------------------
def sign_test(pos: int, neg: int) -> float:
    """Two-sided exact sign test: min(1, 2 P[X <= min(pos, neg)]), X ~ Binomial(pos + neg, 1/2)."""
    if pos < 0 or neg < 0:
        raise ValueError("counts must be non-negative")
    n = pos + neg
    if n == 0:
        return 1.0
    return min(1.0, 2 * sum(math.comb(n, i) for i in range(min(pos, neg) + 1)) / 2**n)


def sign_critical(n: int, alpha: float = ALPHA) -> int | None:
    """Fewest of `n` untied families that must favour one arm for p < alpha (None: impossible)."""
    return next((k for k in range((n + 1) // 2, n + 1) if sign_test(k, n - k) < alpha), None)


def binom_power(n: int, k: int, q: float) -> float:
    """P[X >= k or X <= n - k], X ~ Binomial(n, q): the sign test's power when it needs k of n."""
    pmf = [math.comb(n, i) * q**i * (1 - q) ** (n - i) for i in range(n + 1)]
    return sum(pmf[k:]) + sum(pmf[: n - k + 1])


def sign_families_needed(n: int, alpha: float = ALPHA, power: float = POWER) -> float | None:
    """Families (of n, none tied) that must favour one arm on average for the sign test's power to
    reach `power`: n q for the smallest probability q of a family favouring it."""
    k = sign_critical(n, alpha)
    if k is None:
        return None
    lo, hi = 0.5, 1.0
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if binom_power(n, k, mid) >= power else (mid, hi)
    return n * hi


def lattice(diffs: list[Fraction]) -> list[int]:
    """Rational differences as integers in units of their common denominator."""
    den = math.lcm(*(d.denominator for d in diffs)) if diffs else 1
    return [int(d * den) for d in diffs]


def signflip_p(values: list[int], draws: int = MC_DRAWS, seed: int = 0,
               exact_max: int = EXACT_MAX_FAMILIES) -> tuple[float, bool]:
    """(p, exact) of the sign-flip test of sum(values) == 0; zeros never change the distribution."""
    vals = [abs(v) for v in values if v]
    obs, n, width = abs(sum(values)), len(vals), sum(abs(v) for v in values)
    if n == 0:
        return 1.0, True
    if width <= LATTICE_MAX:  # the exact distribution of the signed sum, on its integer lattice
        dist = [1]
        for v in vals:
            dist = [x + y for x, y in zip(dist + [0] * (2 * v), [0] * (2 * v) + dist)]
        return sum(c for i, c in enumerate(dist) if abs(i - width) >= obs) / 2**n, True
    if n <= exact_max:  # few values on a wide lattice: count the reachable sums instead
        sums = {0: 1}
        for v in vals:
            nxt: dict[int, int] = {}
            for s, c in sums.items():
                nxt[s + v] = nxt.get(s + v, 0) + c
                nxt[s - v] = nxt.get(s - v, 0) + c
            sums = nxt
        return sum(c for s, c in sums.items() if abs(s) >= obs) / 2**n, True
    rng = random.Random(seed)
    hits = 0
    for _ in range(draws):
        bits = rng.getrandbits(n)
        if abs(sum(v if bits >> i & 1 else -v for i, v in enumerate(vals))) >= obs:
            hits += 1
    return (hits + 1) / (draws + 1), False


# -- what a test could detect ------------------------------------------------------------------
def detectable(fams: list[tuple[int, int, int, int]], alpha: float = ALPHA, power: float = POWER,
               sims: int = SIMS, seed: int = 0) -> dict[str, float | None]:
    """Smallest mean family difference (solved-rate, 0..1) each test detects with `power`.

    `fams`: (attempts_a, solved_a, attempts_b, solved_b) per family. Simulation under the shift
    model of the module docstring, with the same random numbers at every shift (so power grows
    with the shift); None when even the largest shift is not detected often enough.
    """
    if not fams:
        return {"sign": None, "perm": None}
    rng = random.Random(seed)
    draws = [[(sorted(rng.random() for _ in range(aa)), sorted(rng.random() for _ in range(ab)))
              for aa, _, ab, _ in fams] for _ in range(sims)]
    pooled = [(sa + sb) / (aa + ab) if aa + ab else 0.0 for aa, sa, ab, sb in fams]
    den = math.lcm(*(a for f in fams for a in (f[0], f[2]) if a))
    scale = [(den // aa if aa else 0, den // ab if ab else 0) for aa, _, ab, _ in fams]

    def shifted(p: float, d: float) -> tuple[float, float]:
        return min(1.0, max(0.0, p + d / 2)), min(1.0, max(0.0, p - d / 2))

    memo: dict[float, tuple[float, float]] = {}

    def power_at(d: float) -> tuple[float, float]:
        if d in memo:
            return memo[d]
        probs = [shifted(p, d) for p in pooled]
        sign_hits = perm_hits = 0
        for sim in draws:
            vals = [bisect_left(ua, pa) * sa - bisect_left(ub, pb) * sb
                    for (ua, ub), (pa, pb), (sa, sb) in zip(sim, probs, scale)]
            pos, neg = sum(v > 0 for v in vals), sum(v < 0 for v in vals)
            sign_hits += sign_test(pos, neg) < alpha
            perm_hits += signflip_p(vals, draws=SIM_DRAWS, seed=seed)[0] < alpha
        memo[d] = (sign_hits / sims, perm_hits / sims)
        return memo[d]

    def realised(d: float) -> float:
        return sum(a - b for a, b in (shifted(p, d) for p in pooled)) / len(pooled)

    out: dict[str, float | None] = {}
    for i, name in enumerate(("sign", "perm")):
        lo, hi = 0.0, 2.0
        if power_at(hi)[i] < power:
            out[name] = None
            continue
        for _ in range(8):
            mid = (lo + hi) / 2
            lo, hi = (lo, mid) if power_at(mid)[i] >= power else (mid, hi)
        out[name] = realised(hi)
    return out


# -- per family, per contrast ----------------------------------------------------------------
RATE_SCHEMA = {"family": pl.Utf8, "problems": pl.Int64, "attempts_a": pl.Int64, "solved_a": pl.Int64,
               "attempts_b": pl.Int64, "solved_b": pl.Int64, "rate_a": pl.Float64, "rate_b": pl.Float64,
               "diff": pl.Float64}


def prompt_rows(per: pl.DataFrame, roles: pl.DataFrame, profiles: pl.DataFrame, prompts=PROMPTS) -> pl.DataFrame:
    """The primary measure's per-problem rows (`arms.primary_rows`) under each prompt, stacked."""
    from analysis.arms import primary_rows

    return pl.concat([primary_rows(per, roles, profiles, prompt=p) for p in prompts], how="vertical_relaxed")


def family_rates(rows: pl.DataFrame, arm_a: str, arm_b: str, subset: str, prompt: str,
                 benchmark: str = HELD_OUT) -> pl.DataFrame:
    """Per family both arms attempted: attempts (problems x seeds), solved, rates and rate_a - rate_b."""
    sub = rows.filter((pl.col("benchmark") == benchmark) & (pl.col("subset") == subset)
                      & (pl.col("prompt") == prompt) & pl.col("family").is_not_null()
                      & pl.col("arm").is_in([arm_a, arm_b]))
    if sub.height == 0:
        return pl.DataFrame(schema=RATE_SCHEMA)
    agg = sub.group_by("family", "arm").agg(attempts=pl.len().cast(pl.Int64), solved=pl.col("ok").sum().cast(pl.Int64),
                                            problems=pl.col("question_id").n_unique().cast(pl.Int64))
    a = agg.filter(pl.col("arm") == arm_a).select("family", "problems", attempts_a="attempts", solved_a="solved")
    b = agg.filter(pl.col("arm") == arm_b).select("family", attempts_b="attempts", solved_b="solved")
    return (a.join(b, on="family").with_columns(rate_a=pl.col("solved_a") / pl.col("attempts_a"),
                                                rate_b=pl.col("solved_b") / pl.col("attempts_b"))
            .with_columns(diff=pl.col("rate_a") - pl.col("rate_b")).select(list(RATE_SCHEMA)).sort("family"))


def majority_mcnemar(rows: pl.DataFrame, arm_a: str, arm_b: str) -> tuple[int, int, float]:
    """Problem-level exact McNemar on 'solved by at least half the arm's seeds' (secondary)."""
    votes = (rows.filter(pl.col("arm").is_in([arm_a, arm_b])).group_by("arm", "question_id")
             .agg(ok=pl.col("ok").cast(pl.Float64).mean() >= 0.5))
    a = dict(votes.filter(pl.col("arm") == arm_a).select("question_id", "ok").iter_rows())
    b = dict(votes.filter(pl.col("arm") == arm_b).select("question_id", "ok").iter_rows())
    only_a = sum(a[q] and not b[q] for q in set(a) & set(b))
    only_b = sum(b[q] and not a[q] for q in set(a) & set(b))
    return only_a, only_b, mcnemar_exact(only_a, only_b)


TEST_SCHEMA = {
    "benchmark": pl.Utf8, "subset": pl.Utf8, "prompt": pl.Utf8, "contrast": pl.Utf8, "arm_a": pl.Utf8,
    "arm_b": pl.Utf8, "seeds_a": pl.Int64, "seeds_b": pl.Int64, "families": pl.Int64, "problems": pl.Int64,
    "rate_a": pl.Float64, "rate_b": pl.Float64, "diff": pl.Float64, "favours": pl.Utf8,
    "fam_a": pl.Int64, "fam_b": pl.Int64, "ties": pl.Int64, "sign_p": pl.Float64, "sign_p_holm": pl.Float64,
    "perm_p": pl.Float64, "perm_exact": pl.Boolean, "perm_p_holm": pl.Float64, "tests": pl.Int64,
    "significant": pl.Boolean, "sign_need": pl.Int64, "sign_families_80": pl.Float64, "sign_mde": pl.Float64,
    "perm_mde": pl.Float64, "mcnemar_only_a": pl.Int64, "mcnemar_only_b": pl.Int64, "mcnemar_p": pl.Float64,
}


def contrast_row(rows: pl.DataFrame, arm_a: str, arm_b: str, subset: str, prompt: str, benchmark: str = HELD_OUT,
                 alpha: float = ALPHA, sims: int = SIMS, seed: int = 0) -> dict | None:
    """Both family-level tests, their detectable differences and the problem-level McNemar for one contrast."""
    fam = family_rates(rows, arm_a, arm_b, subset, prompt, benchmark)
    if fam.height == 0:
        return None
    diffs = [Fraction(sa, aa) - Fraction(sb, ab) for aa, sa, ab, sb in
             fam.select("attempts_a", "solved_a", "attempts_b", "solved_b").iter_rows()]
    pos, neg = sum(d > 0 for d in diffs), sum(d < 0 for d in diffs)
    perm_p, exact = signflip_p(lattice(diffs), seed=seed)
    mde = detectable([tuple(r) for r in fam.select("attempts_a", "solved_a", "attempts_b", "solved_b").iter_rows()],
                     alpha=alpha, sims=sims, seed=seed)
    here = rows.filter((pl.col("benchmark") == benchmark) & (pl.col("subset") == subset)
                       & (pl.col("prompt") == prompt) & pl.col("family").is_in(fam["family"].to_list()))
    only_a, only_b, mc_p = majority_mcnemar(here, arm_a, arm_b)
    seeds = dict(here.group_by("arm").agg(pl.col("model").n_unique()).iter_rows())
    mean = float(sum(diffs) / len(diffs))
    return dict(benchmark=benchmark, subset=subset, prompt=prompt, arm_a=arm_a, arm_b=arm_b,
                seeds_a=seeds.get(arm_a, 0), seeds_b=seeds.get(arm_b, 0), families=fam.height,
                problems=int(fam["problems"].sum()), rate_a=fam["rate_a"].mean(), rate_b=fam["rate_b"].mean(),
                diff=mean, favours=arm_a if mean > 0 else arm_b if mean < 0 else "neither",
                fam_a=pos, fam_b=neg, ties=len(diffs) - pos - neg, sign_p=sign_test(pos, neg), perm_p=perm_p,
                perm_exact=exact, sign_need=sign_critical(fam.height, alpha),
                sign_families_80=sign_families_needed(fam.height, alpha), sign_mde=mde["sign"], perm_mde=mde["perm"],
                mcnemar_only_a=only_a, mcnemar_only_b=only_b, mcnemar_p=mc_p)


def family_tests(rows: pl.DataFrame, contrasts=None, benchmark: str = HELD_OUT, alpha: float = ALPHA,
                 sims: int = SIMS, seed: int = 0) -> pl.DataFrame:
    """Every contrast (default: `design.CONTRASTS` whose arms were run) per held-out group and prompt.

    Holm adjusts the sign-test and the permutation p-values separately across the contrasts of
    each (benchmark, group, prompt) table; `significant` is the permutation test's Holm p < alpha.
    """
    held = rows.filter((pl.col("benchmark") == benchmark) & (pl.col("subset") != "all"))
    contrasts = contrasts if contrasts is not None else contrasts_present(held["arm"].unique().to_list())
    out = []
    for subset in group_order(held["subset"].unique().to_list()):
        for prompt in [p for p in PROMPTS if p in set(held["prompt"])] + sorted(set(held["prompt"]) - set(PROMPTS)):
            table = [r | {"contrast": what} for a, b, what in contrasts
                     if (r := contrast_row(held, a, b, subset, prompt, benchmark, alpha, sims, seed)) is not None]
            for r, sp, pp in zip(table, holm([r["sign_p"] for r in table]), holm([r["perm_p"] for r in table])):
                r.update(sign_p_holm=sp, perm_p_holm=pp, tests=len(table), significant=pp < alpha)
            out += table
    return pl.DataFrame(out, schema=TEST_SCHEMA, orient="row") if out else pl.DataFrame(schema=TEST_SCHEMA)


# -- across prompts, and in words ---------------------------------------------------------------
def across_prompts(results: dict[str, tuple[bool, str]], prompts=PROMPTS) -> str:
    """prompt -> (significant, favoured arm): whether a conclusion survives a change of prompt."""
    if any(p not in results for p in prompts):
        run = [p for p in prompts if p in results]
        return f"only the {run[0]} prompt was run" if run else "not run"
    sig = {p: r[1] for p, r in results.items() if r[0] and p in prompts}
    if not sig:
        return "no difference under either prompt"
    if len(sig) == len(prompts):
        return ("holds under both prompts" if len(set(sig.values())) == 1
                else "depends on the prompt (opposite directions)")
    return f"depends on the prompt (significant under {', '.join(sig)} only)"


def contrast_table(tests: pl.DataFrame) -> pl.DataFrame:
    """Per contrast, group and prompt: direction, Holm-adjusted family-level p and the cross-prompt verdict."""
    schema = {"contrast": pl.Utf8, "arm_a": pl.Utf8, "arm_b": pl.Utf8, "subset": pl.Utf8, "prompt": pl.Utf8,
              "favours": pl.Utf8, "diff": pl.Float64, "families": pl.Int64, "perm_p_holm": pl.Float64,
              "sign_p_holm": pl.Float64, "significant": pl.Boolean, "across_prompts": pl.Utf8}
    if tests.height == 0:
        return pl.DataFrame(schema=schema)
    verdicts = {}
    for (a, b, subset), g in tests.group_by("arm_a", "arm_b", "subset", maintain_order=True):
        verdicts[(a, b, subset)] = across_prompts({r["prompt"]: (r["significant"], r["favours"])
                                                   for r in g.iter_rows(named=True)})
    return tests.with_columns(across_prompts=pl.Series(
        [verdicts[(a, b, s)] for a, b, s in tests.select("arm_a", "arm_b", "subset").iter_rows()], dtype=pl.Utf8)
    ).select(list(schema))


def contrast_clauses(tests: pl.DataFrame, arm_a: str, arm_b: str, claim: str) -> list[str]:
    """Clauses on one contrast across groups, each saying only what its Holm-adjusted tests support."""
    rows = tests.filter((pl.col("arm_a") == arm_a) & (pl.col("arm_b") == arm_b))
    kinds: dict[tuple[str, str], list[str]] = {}
    for (subset,), g in rows.group_by("subset", maintain_order=True):
        res = {r["prompt"]: r for r in g.iter_rows(named=True)}
        verdict = across_prompts({p: (r["significant"], r["favours"]) for p, r in res.items()})
        winner = g["favours"][0] if verdict == "holds under both prompts" else ""
        kinds.setdefault((verdict, winner), []).append(subset)
    clauses, by_subset = [], {s: rows.filter(pl.col("subset") == s) for s in rows["subset"].unique()}
    for (verdict, winner), subsets in kinds.items():
        names = join_words([group_label(s) for s in subsets])
        if verdict == "holds under both prompts":
            sub = rows.filter(pl.col("subset").is_in(subsets))
            loser = arm_b if winner == arm_a else arm_a
            clauses.append(f"{claim} on {names}: {winner} solves more per family than {loser} under both prompts "
                           f"(family-level sign-flip test, Holm p ≤ {sub['perm_p_holm'].max():.2g})")
        elif verdict.startswith("depends"):
            clauses.append(f"{arm_a} vs {arm_b} on {names} {verdict}, so it is not established")
        elif verdict == "no difference under either prompt":
            g = pl.concat([by_subset[s] for s in subsets])
            mde = g["perm_mde"].drop_nulls()
            floor = "no difference could have reached significance"
            if mde.len():
                lo, hi = round(100 * mde.min()), round(100 * mde.max())
                few, many = int(g["families"].min()), int(g["families"].max())
                floor = (f"the smallest difference the test could detect with 80% power was at least "
                         f"{lo if lo == hi else f'{lo}–{hi}'} points{'' if lo == hi else ', by group and prompt,'} "
                         f"of per-family solved rate over {few if few == many else f'{few}–{many}'} families")
            clauses.append(f"{arm_a} and {arm_b} could not be told apart on {names} under either prompt ({floor})")
        else:
            clauses.append(f"{arm_a} vs {arm_b} on {names}: {verdict}")
    return clauses


def answer_sentence(tests: pl.DataFrame, primary: tuple[str, str] = PRIMARY) -> str:
    """One sentence on whether data shape matters, claiming only what the family-level tests support.

    "Shape matters at equal size and coverage" appears only for groups where deep-wide vs
    diverse-wide is significant after Holm under both prompts in the same direction.
    """
    a, b = primary
    if tests.filter((pl.col("arm_a") == a) & (pl.col("arm_b") == b)).height:
        text = "; ".join(contrast_clauses(tests, a, b, "Shape matters at equal size and coverage"))
    else:
        text = f"Shape at equal size and coverage was not tested ({a} and {b} were not both run)"
        if tests.filter((pl.col("arm_a") == "deep") & (pl.col("arm_b") == "diverse")).height:
            text += ("; deep and diverse, which differ in coverage as well as shape: "
                     + "; ".join(contrast_clauses(tests, "deep", "diverse", "they differ")))
    return text[0].upper() + text[1:] + "."


def tests_view(tests: pl.DataFrame) -> pl.DataFrame:
    """The tests as text columns for a report table: rates, families each way, p (Holm), detectable difference."""
    def p(x: float, holm_p: float) -> str:
        return f"{x:.2g} ({holm_p:.2g})"

    def mde(x: float | None) -> str:
        return "none" if x is None else f"≥ {100 * x:.0f} pts"

    out = []
    for r in tests.iter_rows(named=True):
        out.append({
            "group": group_label(r["subset"]), "prompt": r["prompt"], "contrast": f"{r['arm_a']} vs {r['arm_b']}",
            "solved rate a / b": f"{100 * r['rate_a']:.0f}% / {100 * r['rate_b']:.0f}%",
            "difference": f"{100 * r['diff']:+.0f} pts",
            "families a / b / tied": f"{r['fam_a']} / {r['fam_b']} / {r['ties']}",
            "sign p (Holm)": p(r["sign_p"], r["sign_p_holm"]),
            "sign-flip p (Holm)": p(r["perm_p"], r["perm_p_holm"]) + ("" if r["perm_exact"] else " MC"),
            "sign test needs": "never" if r["sign_need"] is None else f"{r['sign_need']} of {r['families']}",
            "detectable (sign / sign-flip)": f"{mde(r['sign_mde'])} / {mde(r['perm_mde'])}",
            "problem McNemar p": f"{r['mcnemar_p']:.2g} ({r['mcnemar_only_a']} vs {r['mcnemar_only_b']})",
        })
    return pl.DataFrame(out) if out else pl.DataFrame(schema={"group": pl.Utf8})
