"""Shared vocabulary for the b_* families (grids, greedy, brute force, digits, string patterns).

It holds only word lists and small formatting helpers, so that parameter draws vary names,
items and output words the same way across those families. It registers no family itself.
"""

from __future__ import annotations

import random

PEOPLE = ["Takahashi", "Aoki", "Snuke", "Ringo", "Hanako", "Kenta", "Iroha", "Mio", "Sota", "Yuki"]
YES_NO = [["Yes", "No"], ["YES", "NO"], ["yes", "no"]]


def num_text(n: int) -> str:
    """AtCoder-style rendering of a bound: 100000 -> '10^5', 200000 -> '2 \\times 10^5'."""
    for k in range(18, 3, -1):
        p = 10**k
        if n % p == 0 and 1 <= n // p <= 9:
            c = n // p
            return f"10^{k}" if c == 1 else f"{c} \\times 10^{k}"
    return str(n)


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


# -- grids ------------------------------------------------------------------------------
MARKS = ["#", "@", "*", "o", "X"]
EMPTIES = [".", "-", "_"]
SIZES = [10, 20, 50, 100]  # bounds a statement may promise for H and W
GEN = 20  # largest side of a generated grid, whatever the statement promises

GRID_INPUT = r"""Input

The input is given from Standard Input in the following format:
H W
S_1
S_2
\vdots
S_H"""


def grid_marks(rng: random.Random) -> tuple[str, str]:
    """A (marked, empty) character pair."""
    return rng.choice(MARKS), rng.choice(EMPTIES)


def grid_size(params: dict, rng: random.Random) -> tuple[int, int]:
    """A random (H, W) within the params' bounds and GEN."""
    return rng.randint(1, min(params["h_max"], GEN)), rng.randint(1, min(params["w_max"], GEN))


def grid_max_size(params: dict) -> tuple[int, int]:
    """The largest (H, W) a test uses for these params."""
    return min(params["h_max"], GEN), min(params["w_max"], GEN)


def ints(stdin: str) -> list[int]:
    """All whitespace-separated integers of an input."""
    return [int(t) for t in stdin.split()]
