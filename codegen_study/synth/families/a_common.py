"""Shared vocabulary and layout helpers for the a_* families (counting, simulation, sorting,
min/max, prefix sums).

It registers no family itself: it only keeps the families' statements in one AtCoder layout
(story, Input, Output, Constraints, then the framework's `$samples`) and gives them common
pools of names, items and answer words, so that five modules do not repeat that boilerplate.
"""

from __future__ import annotations

import random
from typing import Any

PEOPLE = ["Takahashi", "Aoki", "Snuke", "Ringo", "Hanako", "Kenta", "Mirai", "Yuki", "Sora", "Haruto"]
ITEMS = ["apples", "coins", "stones", "cards", "cookies", "marbles", "stamps", "pencils", "shells", "tickets"]
PLACES = ["AtCoder Town", "Takahashi Village", "the Kingdom of Snuke", "Aoki City", "Ringo Island"]
YES_NO = [["Yes", "No"], ["YES", "NO"], ["Possible", "Impossible"], ["OK", "NG"]]

INPUT_INTRO = "The input is given from Standard Input in the following format:"

# How a list A_1..A_N is laid out in the input: the statement's format lines and the code line
# that reads it (after `n` is known). Families with a `layout` parameter store both in params.
LAYOUTS = {
    "row": ("A_1 A_2 \\ldots A_N", "list(map(int, input().split()))"),
    "column": ("A_1\nA_2\n\\vdots\nA_N", "[int(input()) for _ in range(n)]"),
}


def statement(story: str, fmt: str, output: str, constraints: list[str]) -> str:
    """One statement Template in the AtCoder layout; `$samples` closes it."""
    cons = "\n".join(f"- {c}" for c in constraints)
    return (f"{story}\n\nInput\n\n{INPUT_INTRO}\n{fmt}\n\nOutput\n\n{output}\n\n"
            f"Constraints\n\n{cons}\n\n$samples")


def layout_params(rng: random.Random) -> dict[str, Any]:
    """A random list layout: `layout`, its format lines `a_format` and reading code `read_a`."""
    layout = rng.choice(sorted(LAYOUTS))
    fmt, code = LAYOUTS[layout]
    return {"layout": layout, "a_format": fmt, "read_a": code}


def format_list(params: dict[str, Any], values: list[int]) -> str:
    """The lines of A in the params' layout (one row, or one value a line)."""
    sep = " " if params.get("layout", "row") == "row" else "\n"
    return sep.join(map(str, values)) + "\n"


def rand_len(rng: random.Random, lo: int, hi: int) -> int:
    """A random size in [lo, hi], mostly small: random inputs double as public samples, and
    AtCoder samples are short; one draw in three may reach 25."""
    return rng.randint(lo, max(lo, min(hi, rng.choice([6, 10, 25]))))


def yes_no(rng: random.Random) -> dict[str, str]:
    yes, no = rng.choice(YES_NO)
    return {"yes": yes, "no": no}
