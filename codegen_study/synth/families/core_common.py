"""Shared vocabulary and the AtCoder layout for the core_* families (strings, arithmetic,
parity/divisibility, dates and times, sets/maps).

Registers no family: it only keeps the core statements in one layout (story, Input, Output,
Constraints, then the framework's `$samples`) and gives them pools of names and answer words.
"""

from __future__ import annotations

import random
import string

PEOPLE = ["Takahashi", "Aoki", "Snuke", "Ringo", "Hanako", "Kenta", "Mirai", "Yuki", "Sora", "Haruto"]
ITEMS = ["apples", "coins", "stones", "cards", "cookies", "marbles", "stamps", "pencils", "shells", "tickets"]
YES_NO = [("Yes", "No"), ("YES", "NO"), ("Possible", "Impossible"), ("OK", "NG"), ("True", "False")]

INPUT_INTRO = "The input is given from Standard Input in the following format:"


def statement(story: str, fmt: str, output: str, constraints: list[str]) -> str:
    """One statement Template in the AtCoder layout; `$samples` closes it."""
    cons = "\n".join(f"- {c}" for c in constraints)
    return (f"{story}\n\nInput\n\n{INPUT_INTRO}\n{fmt}\n\nOutput\n\n{output}\n\n"
            f"Constraints\n\n{cons}\n\n$samples")


def yes_no(rng: random.Random) -> dict[str, str]:
    yes, no = rng.choice(YES_NO)
    return {"yes": yes, "no": no}


def word(rng: random.Random, length: int, alphabet: str = string.ascii_lowercase) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))
