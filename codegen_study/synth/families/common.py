"""Vocabulary, statement layout and input helpers shared by the family modules.

It registers no family. It keeps every statement in one AtCoder layout (story, Input, Output,
Constraints, then the framework's `$samples`) and gives the families common pools of names,
items and answer words. Pools that look alike stay separate on purpose: a parameter draw
indexes into the exact list its family was written with, so merging two lists would change
every problem those families draw, and with them a seed's corpora.
"""

from __future__ import annotations

import random
import string
from typing import Any

# -- names, items and answer words --------------------------------------------------------
PEOPLE = ["Takahashi", "Aoki", "Snuke", "Ringo", "Hanako", "Kenta", "Mirai", "Yuki", "Sora", "Haruto"]
# The cast of the brute force, number theory, greedy, grid and string-pattern families.
PEOPLE_ALT = ["Takahashi", "Aoki", "Snuke", "Ringo", "Hanako", "Kenta", "Iroha", "Mio", "Sota", "Yuki"]
# The cast of sum_of_list, the first family written.
PEOPLE_SHORT = ["Takahashi", "Aoki", "Snuke", "Ringo", "Sunuke", "Hanako", "Jiro", "Kenta"]
ITEMS = ["apples", "coins", "stones", "cards", "cookies", "marbles", "stamps", "pencils", "shells", "tickets"]
PLACES = ["AtCoder Town", "Takahashi Village", "the Kingdom of Snuke", "Aoki City", "Ringo Island"]
YES_NO = [["Yes", "No"], ["YES", "NO"], ["Possible", "Impossible"], ["OK", "NG"]]
YES_NO_CASINGS = [["Yes", "No"], ["YES", "NO"], ["yes", "no"]]
ALPHABETS = {"lowercase English letters": string.ascii_lowercase, "uppercase English letters": string.ascii_uppercase}


def yes_no(rng: random.Random) -> dict[str, str]:
    """Params `yes` and `no`: one pair of verdict words."""
    yes, no = rng.choice(YES_NO)
    return {"yes": yes, "no": no}


def word(rng: random.Random, length: int, alphabet: str = string.ascii_lowercase) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def and_list(xs: list | str) -> str:
    """'1, 5 and 10': the items of `xs` as a statement lists them."""
    return ", ".join(map(str, xs[:-1])) + " and " + str(xs[-1])


def num_text(n: int) -> str:
    """AtCoder-style rendering of a bound: 100000 -> '10^5', 200000 -> '2 \\times 10^5'."""
    for k in range(18, 3, -1):
        p = 10**k
        if n % p == 0 and 1 <= n // p <= 9:
            c = n // p
            return f"10^{k}" if c == 1 else f"{c} \\times 10^{k}"
    return str(n)


# -- statement layout and list inputs -------------------------------------------------------
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


def ints(stdin: str) -> list[int]:
    """All whitespace-separated integers of an input."""
    return [int(t) for t in stdin.split()]


# -- grids ----------------------------------------------------------------------------------
MARKS = ["#", "@", "*", "o", "X"]
EMPTIES = [".", "-", "_"]
SIZES = [10, 20, 50, 100]  # bounds a statement may promise for H and W
GEN = 20  # largest side of a generated grid, whatever the statement promises

GRID_INPUT = f"Input\n\n{INPUT_INTRO}\nH W\nS_1\nS_2\n\\vdots\nS_H"


def grid_marks(rng: random.Random) -> tuple[str, str]:
    """A (marked, empty) character pair."""
    return rng.choice(MARKS), rng.choice(EMPTIES)


def grid_size(params: dict, rng: random.Random) -> tuple[int, int]:
    """A random (H, W) within the params' bounds and GEN."""
    return rng.randint(1, min(params["h_max"], GEN)), rng.randint(1, min(params["w_max"], GEN))


def grid_max_size(params: dict) -> tuple[int, int]:
    """The largest (H, W) a test uses for these params."""
    return min(params["h_max"], GEN), min(params["w_max"], GEN)


def random_grid(rng: random.Random, h: int, w: int, on: str, off: str, density: float) -> list[str]:
    """An h x w grid of `on` / `off` characters, each cell `on` with probability `density`."""
    return ["".join(on if rng.random() < density else off for _ in range(w)) for _ in range(h)]


def grid_text(rows: list[str]) -> str:
    """The usual 'H W' header followed by the rows."""
    return f"{len(rows)} {len(rows[0])}\n" + "\n".join(rows) + "\n"


def parse_grid(stdin: str) -> list[str]:
    """Inverse of grid_text (rows are whitespace-free tokens)."""
    tok = stdin.split()
    h = int(tok[0])
    return tok[2:2 + h]
