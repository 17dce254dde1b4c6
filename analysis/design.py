"""The study's design: which arm is which shape and coverage, the headline contrasts, and the 2 x 2 table.

Why one place: arms cross data *shape* (deep: few problems, several solutions each; diverse: many
problems, one each) with *coverage* (narrow: the families both corpora train on; wide: those plus
the families only a wide corpus trains on). Every contrast and table reads the mapping here, so a
store holding only the diagonal (`deep` = deep-narrow, `diverse` = diverse-wide) and a store holding
all four cells go through the same code. Held-out groups were renamed with the design (`both` ->
`narrow`, `diverse_only` -> `wide_only`); either name is accepted and ordered alike.

Covers: `ARM_DESIGN`, `ARM_ORDER` / `arm_color` (every table's and chart's order and colours),
`arm_of_label`, `join_words` (a list in prose), `GROUP_WORDS`, `CONTRASTS` / `seed_pairs`,
`cell_arms`, `headline_cells` / `headline_2x2` (solved counts per shape x coverage cell, held-out
group and prompt, with the base controls beside them).
Does not cover: tests between arms (`family_tests`).
"""

from __future__ import annotations

import polars as pl

from codegen_study.core.vocabulary import HELDOUT_GROUPS, PROMPT_STYLES
from codegen_study.scoring.metrics import seed_summary
from codegen_study.synth.assignment import ARMS

#: arm -> (shape, coverage); `deep` and `diverse` are the first study's names for two of the cells
ARM_DESIGN: dict[str, tuple[str, str]] = {**ARMS, "deep": ("deep", "narrow"), "diverse": ("diverse", "wide")}
SHAPES = ("deep", "diverse")
COVERAGES = ("narrow", "wide")
#: arms outside the 2 x 2: the untrained model and its format control (one worked example in the prompt)
CONTROLS = ("base", "base-1shot")
PROMPTS = PROMPT_STYLES
HELD_OUT = "heldout"
#: the first study's held-out group names -> the design's
GROUP_RENAMES = {"both": "narrow", "diverse_only": "wide_only"}
#: held-out group names, the design's first, each followed by its first-study name
GROUP_ORDER = tuple(name for group in HELDOUT_GROUPS
                    for name in (group, *(old for old, new in GROUP_RENAMES.items() if new == group)))

#: (arm_a, arm_b, what the contrast isolates); run only where both arms were evaluated
CONTRASTS: tuple[tuple[str, str, str], ...] = (
    ("deep-wide", "diverse-wide", "shape at wide coverage"),
    ("deep-narrow", "diverse-narrow", "shape at narrow coverage"),
    ("deep-narrow", "deep-wide", "coverage, deep shape"),
    ("diverse-narrow", "diverse-wide", "coverage, diverse shape"),
    ("deep", "diverse", "deep vs diverse (shape and coverage both differ)"),
)
PRIMARY = ("deep-wide", "diverse-wide")
#: the first study's pair, trained on a fixed budget of epochs (kept as a sensitivity row when stored)
FIXED_BUDGET_ARMS = ("deep", "diverse")

#: every arm in the order tables, legends and tests list it: controls, the 2 x 2 cells, the first study's pair
ARM_ORDER = CONTROLS + ("deep-narrow", "deep-wide", "diverse-narrow", "diverse-wide") + FIXED_BUDGET_ARMS
#: chart colours: greys for the controls, blues for deep, oranges for diverse (darker = the first study's)
ARM_COLORS = {"base": "#7f7f7f", "base-1shot": "#bab0ac", "deep-narrow": "#4c78a8", "deep-wide": "#9ecae9",
              "diverse-narrow": "#ffbf79", "diverse-wide": "#f58518", "deep": "#4c78a8", "diverse": "#f58518"}
OTHER_COLOR = "#54a24b"
#: what each held-out group is, in words (either design's names)
GROUP_WORDS = {"narrow": "families every arm trained on", "both": "families both corpora trained on",
               "wide_only": "families only the wide arms trained on",
               "diverse_only": "families only Diverse trained on", "unseen": "families no arm trained on",
               "all": "the whole held-out benchmark"}
SHORT_WORDS = {"narrow": "every-arm-saw", "both": "both-saw", "wide_only": "only-wide-saw",
               "diverse_only": "only-Diverse-saw", "unseen": "unseen"}


def join_words(words: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`: a list in prose."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def arm_of_label(model: str) -> str:
    """The arm of a trained model's label (`deep-wide-s2` -> `deep-wide`; a label without a seed is its arm)."""
    return model.rsplit("-s", 1)[0]


def design_of(arm: str | None) -> tuple[str, str] | None:
    return ARM_DESIGN.get(arm or "")


def arm_order(arms) -> list[str]:
    """Arms present, in `ARM_ORDER`, then any other arm alphabetically."""
    present = {a for a in arms if a is not None}
    return [a for a in ARM_ORDER if a in present] + sorted(present - set(ARM_ORDER))


def arm_color(arm: str) -> str:
    return ARM_COLORS.get(arm, OTHER_COLOR)


def is_control(arm: str | None) -> bool:
    return arm in CONTROLS


def arm_label(arm: str) -> str:
    """`deep-wide`, or for the first study's names `deep (deep · narrow)`."""
    cell = ARM_DESIGN.get(arm)
    return f"{arm} ({cell[0]} · {cell[1]})" if cell and arm in FIXED_BUDGET_ARMS else arm


def seed_pairs(models: list[str], arms: dict[str, str], seeds: dict[str, int | None]) -> list[tuple[str, str, str]]:
    """(model_a, model_b, "arm_a vs arm_b"): the models of each design contrast at the same training seed."""
    out = []
    for a, b, _ in contrasts_present(set(arms.get(m) for m in models)):
        first = {seeds.get(m): m for m in models if arms.get(m) == a}
        second = {seeds.get(m): m for m in models if arms.get(m) == b}
        for seed in sorted(set(first) & set(second), key=lambda s: (s is None, s)):
            out.append((first[seed], second[seed], f"{a} vs {b}"))
    return out


def group_order(groups) -> list[str]:
    present = {g for g in groups if g is not None}
    return [g for g in GROUP_ORDER if g in present] + sorted(present - set(GROUP_ORDER))


def group_label(group: str) -> str:
    """`both (narrow)`: today's group name with the design's name beside it."""
    new = GROUP_RENAMES.get(group)
    return f"{group} ({new})" if new else group


def cell_arms(arms) -> dict[tuple[str, str], str]:
    """(shape, coverage) -> the arm that fills it: the design's name first, then the first study's."""
    present = set(arms)
    out: dict[tuple[str, str], str] = {}
    for arm, cell in ARM_DESIGN.items():  # new names come first in ARM_DESIGN
        if arm in present and cell not in out:
            out[cell] = arm
    return out


def contrasts_present(arms) -> list[tuple[str, str, str]]:
    present = set(arms)
    return [c for c in CONTRASTS if c[0] in present and c[1] in present]


CELL_SCHEMA = {"group": pl.Utf8, "prompt": pl.Utf8, "column": pl.Utf8, "arm": pl.Utf8, "seeds": pl.Int64,
               "problems": pl.Int64, "solved_mean": pl.Float64, "solved_min": pl.Int64, "solved_max": pl.Int64,
               "cell": pl.Utf8}


def column_names() -> list[str]:
    return [f"{s} · {c}" for s in SHAPES for c in COVERAGES] + list(CONTROLS)


def cell_text(mean: float | None, lo: int | None, hi: int | None, seeds: int) -> str:
    """`16.7 [16–17]` over seeds, `5` for one model, `not run` for none."""
    if not seeds or mean is None:
        return "not run"
    if seeds == 1 or lo == hi:
        return f"{mean:.1f}".removesuffix(".0")
    return f"{mean:.1f} [{int(lo)}–{int(hi)}]".replace(".0 [", " [")


def headline_cells(rows: pl.DataFrame, benchmark: str = HELD_OUT) -> pl.DataFrame:
    """One row per held-out group x prompt x column (the four cells, base, base-1shot), run or not.

    `rows`: greedy per-problem rows with `ok`, `arm`, `model`, `prompt`, `subset` (e.g. one
    `arms.primary_rows` per prompt, concatenated). Solved counts are per model, summarised over the
    arm's training seeds (mean, min, max); a cell no arm fills says "not run".
    """
    held = rows.filter((pl.col("benchmark") == benchmark) & (pl.col("subset") != "all"))
    if held.height == 0:
        return pl.DataFrame(schema=CELL_SCHEMA)
    fills = cell_arms(held["arm"].unique().to_list())
    columns = [(f"{s} · {c}", fills.get((s, c))) for s in SHAPES for c in COVERAGES]
    columns += [(a, a if a in set(held["arm"]) else None) for a in CONTROLS]
    per_model = held.group_by("subset", "prompt", "arm", "model").agg(
        solved=pl.col("ok").sum().cast(pl.Int64), problems=pl.len().cast(pl.Int64))
    out = []
    for group in group_order(held["subset"].unique().to_list()):
        for prompt in [p for p in PROMPTS if p in set(held["prompt"])] + sorted(set(held["prompt"]) - set(PROMPTS)):
            here = per_model.filter((pl.col("subset") == group) & (pl.col("prompt") == prompt))
            if here.height == 0:
                continue
            problems = int(here["problems"].max())
            for name, arm in columns:
                solved = here.filter(pl.col("arm") == arm)["solved"].to_list() if arm else []
                mean, lo, hi = seed_summary(solved) if solved else (None, None, None)
                out.append(dict(group=group, prompt=prompt, column=name, arm=arm, seeds=len(solved),
                                problems=problems, solved_mean=mean, solved_min=None if lo is None else int(lo),
                                solved_max=None if hi is None else int(hi),
                                cell=cell_text(mean, lo, hi, len(solved))))
    return pl.DataFrame(out, schema=CELL_SCHEMA, orient="row") if out else pl.DataFrame(schema=CELL_SCHEMA)


def headline_2x2(rows: pl.DataFrame, benchmark: str = HELD_OUT) -> pl.DataFrame:
    """The headline table: rows = held-out group x prompt, columns = shape · coverage cells, base, base-1shot.

    Cells: problems solved, mean [min–max] over training seeds; "not run" where no arm fills the
    cell (today's store fills only deep · narrow and diverse · wide). `arms` names the arm behind
    each filled cell, so a legacy name (deep, diverse) stays visible.
    """
    cells = headline_cells(rows, benchmark)
    names = column_names()
    if cells.height == 0:
        return pl.DataFrame(schema={"group": pl.Utf8, "prompt": pl.Utf8, "problems": pl.Int64,
                                    **{n: pl.Utf8 for n in names}, "arms": pl.Utf8})
    wide = cells.pivot(on="column", index=["group", "prompt", "problems"], values="cell",
                       aggregate_function="first", maintain_order=True)
    used = (cells.filter(pl.col("arm").is_not_null()).select("column", "arm").unique(maintain_order=True))
    arms = "; ".join(f"{c}: {a}" for c, a in used.iter_rows() if a in ARM_DESIGN and a != "-".join(ARM_DESIGN[a]))
    return wide.select("group", "prompt", "problems", *names).with_columns(arms=pl.lit(arms))


def headline_gt(table: pl.DataFrame):
    """The 2 x 2 table as a great_tables view: shape as spanners over coverage columns."""
    from great_tables import GT

    if table.height == 0:
        return GT(pl.DataFrame({"note": ["not run: no held-out benchmark in this store"]}))
    note = table["arms"][0]
    df = table.with_columns(row=pl.format("{} (n={}) · {} prompt", pl.col("group").map_elements(
        group_label, return_dtype=pl.Utf8), "problems", "prompt")).drop("arms", "problems")
    gt = GT(df.select("row", *column_names()), rowname_col="row")
    for shape in SHAPES:
        gt = gt.tab_spanner(label=shape, columns=[f"{shape} · {c}" for c in COVERAGES])
    gt = gt.cols_label(**{f"{s} · {c}": c for s in SHAPES for c in COVERAGES})
    return (gt.tab_source_note("Cell: held-out problems solved (greedy, final checkpoint), mean [min–max] over "
                               "training seeds (one number where every seed agrees); not run = no arm of that "
                               "shape and coverage in this store."
                               + (f" Arms behind the cells: {note}." if note else ""))
            .tab_options(table_font_size="13px"))
