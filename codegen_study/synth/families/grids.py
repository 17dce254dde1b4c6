"""Topic: grids.

Families: grid_count_marked, grid_rotate_clockwise, grid_neighbor_mines (held out).
What varies: two phrasings each; names and what the marks stand for; the mark and empty characters; the
bounds promised for H and W (generated grids stay within 20 x 20).
Solutions: five per family: nested loops, string methods, Counter, zip and index formulas for the
rotation, padding, offsets and prefix sums for the neighbours.
"""

from __future__ import annotations

import random

from codegen_study.synth.families.common import (
    EMPTIES,
    GRID_INPUT,
    PEOPLE_ALT,
    SIZES,
    grid_marks,
    grid_max_size,
    grid_size,
    grid_text,
    parse_grid,
    random_grid,
)
from codegen_study.synth.family import Family, Solution, register

# Left out on purpose: path-walking and rook-style grid families, which would paraphrase evaluation problems.


@register
class GridCountMarked(Family):
    name = "grid_count_marked"
    topic = "grids"
    title = "Count the ${thing}s"
    n_edges = 3
    statements = (
        r"""$person's field is divided into a grid with H rows and W columns. Let (i, j) denote the square at the """
        r"""i-th row from the top and the j-th column from the left.
The field is described by H strings S_1, S_2, \ldots, S_H of length W. Square (i, j) has one $thing if the j-th """
        r"""character of S_i is $mark, and nothing if it is $empty.
How many squares have a $thing?

""" + GRID_INPUT + r"""

Output

Print the number of squares that have a $thing.

Constraints

- 1 \leq H \leq $h_max
- 1 \leq W \leq $w_max
- H and W are integers.
- Each S_i is a string of length W consisting of $mark and $empty.

$samples""",
        r"""You are given a grid of H rows and W columns drawn by $person. Each square is either $mark or $empty; """
        r"""the row i from the top is the string S_i.
A square that is $mark holds a $thing. Count the ${thing}s on the whole grid.

""" + GRID_INPUT + r"""

Output

Print the answer as an integer.

Constraints

- H and W are integers with 1 \leq H \leq $h_max and 1 \leq W \leq $w_max.
- S_i (1 \leq i \leq H) is a string of length W consisting of the characters $mark and $empty.

$samples""",
    )
    solutions = (
        Solution("nested-loop", "1. Read H, W and the H rows.\n2. Visit every square with two nested loops.\n"
                                "3. Add one whenever the character is $mark, then print the count.",
                     "h, w = map(int, input().split())\ncnt = 0\nfor _ in range(h):\n    row = input()\n"
                     "    for ch in row:\n        if ch == '$mark':\n            cnt += 1\nprint(cnt)\n"),
        Solution("str-count", "1. Read H and W.\n2. For each row, str.count gives the number of $mark characters.\n"
                              "3. Sum the per-row counts and print.",
                 "h, w = map(int, input().split())\nprint(sum(input().count('$mark') for _ in range(h)))\n"),
        Solution("joined", "1. Read every token from sys.stdin at once.\n2. Join the H rows into one long string.\n"
                           "3. Count $mark in it once.",
                     "import sys\ndata = sys.stdin.read().split()\nh = int(data[0])\n"
                     "print(''.join(data[2:2 + h]).count('$mark'))\n"),
        Solution("counter", "1. Read the grid.\n2. Feed every row into a collections.Counter that tallies "
                            "characters.\n3. The tally for $mark is the answer (0 if absent).",
                     "from collections import Counter\nh, w = map(int, input().split())\ntally = Counter()\n"
                     "for _ in range(h):\n    tally.update(input())\nprint(tally['$mark'])\n"),
        Solution("coordinates", "1. Read the grid as a list of strings.\n"
                                "2. Collect the coordinates (i, j) of all $mark squares in a list comprehension.\n"
                                "3. The answer is the length of that list.",
                     "h, w = map(int, input().split())\ng = [input() for _ in range(h)]\n"
                     "cells = [(i, j) for i in range(h) for j in range(w) if g[i][j] == '$mark']\n"
                     "print(len(cells))\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        mark, empty = grid_marks(rng)
        return {"person": rng.choice(PEOPLE_ALT),
                "thing": rng.choice(["flower", "rock", "tree", "lamp", "tent", "statue"]),
                "mark": mark, "empty": empty, "h_max": rng.choice(SIZES), "w_max": rng.choice(SIZES)}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        on, off = params["mark"], params["empty"]
        if edge == 0:
            return grid_text([off])
        if edge == 1:
            return grid_text([on])
        if edge == 2:
            h, w = grid_max_size(params)
            return grid_text([on * w] * h)
        h, w = grid_size(params, rng)
        return grid_text(random_grid(rng, h, w, on, off, rng.random()))

    def reference(self, params: dict, stdin: str) -> str:
        return f"{sum(r.count(params['mark']) for r in parse_grid(stdin))}\n"


@register
class GridRotate(Family):
    name = "grid_rotate_clockwise"
    topic = "grids"
    title = "Rotate the $picture"
    n_edges = 4
    statements = (
        r"""$person made a $picture on a grid with H rows and W columns. Row i from the top is given as a string S_i """
        r"""of length W consisting of $mark and $empty.
$person wants to see the $picture rotated 90 degrees clockwise. Print it.

""" + GRID_INPUT + r"""

Output

Print W lines. The i-th line must be a string T_i of length H, where the j-th character of T_i is the j-th character """
                   r"""from the bottom of the i-th column of the original grid.
In other words, the j-th character of T_i equals the i-th character of S_{H-j+1}.

Constraints

- 1 \leq H \leq $h_max
- 1 \leq W \leq $w_max
- Each S_i is a string of length W consisting of $mark and $empty.

$samples""",
        r"""A $picture is drawn on an H \times W board: the i-th row from the top reads S_i, where $mark is a """
        r"""painted square and $empty is a blank one.
Rotate the board by 90 degrees clockwise and print the result, which has W rows and H columns.
(After the rotation, the leftmost column of the original becomes the top row, read from bottom to top.)

""" + GRID_INPUT + r"""

Output

Print the rotated board as W lines of length H.

Constraints

- H and W are integers.
- 1 \leq H \leq $h_max, 1 \leq W \leq $w_max
- S_i consists of $mark and $empty and has length W.

$samples""",
    )
    solutions = (
        Solution("zip-reversed", "1. Read the H rows.\n2. Reverse the list of rows so the bottom row comes first.\n"
                                 "3. zip(*rows) then yields the columns of that reversed grid, which are exactly "
                                 "the rows of the rotated grid; print each joined.",
                     "h, w = map(int, input().split())\ng = [input() for _ in range(h)]\nfor col in zip(*g[::-1]):\n"
                     "    print(''.join(col))\n"),
        Solution("index-formula", "1. Read the grid.\n2. Row i of the answer takes column i of the original from "
                                  "bottom to top: character g[h-1-j][i] at position j.\n"
                                  "3. Build each answer row with that formula and print it.",
                     "h, w = map(int, input().split())\ng = [input() for _ in range(h)]\nfor i in range(w):\n"
                     "    print(''.join(g[h - 1 - j][i] for j in range(h)))\n"),
        Solution("scatter", "1. Allocate a W x H array of characters.\n"
                            "2. Send every original square (i, j) to position (j, H-1-i) of the new array.\n"
                            "3. Print the rows of the new array.",
                     "h, w = map(int, input().split())\ng = [input() for _ in range(h)]\n"
                     "res = [[''] * h for _ in range(w)]\nfor i in range(h):\n    for j in range(w):\n"
                     "        res[j][h - 1 - i] = g[i][j]\nfor row in res:\n    print(''.join(row))\n"),
        Solution("transpose-then-mirror", "1. Transpose the grid with zip(*g): row i of the transpose is column i "
                                          "read top to bottom.\n2. A clockwise rotation reads each column bottom "
                                          "to top, so reverse each transposed row.\n3. Print them.",
                     "h, w = map(int, input().split())\ng = [input() for _ in range(h)]\nfor col in zip(*g):\n"
                     "    print(''.join(col)[::-1])\n"),
        Solution("prepend", "1. Keep W output strings, initially empty.\n"
                            "2. Read the rows top to bottom; for each character in column j, prepend it to output "
                            "string j, so later (lower) rows end up first.\n3. After all rows, print the W strings.",
                     "import sys\ndata = sys.stdin.read().split()\nh, w = int(data[0]), int(data[1])\nres = [''] * w\n"
                     "for row in data[2:2 + h]:\n    for j, ch in enumerate(row):\n        res[j] = ch + res[j]\n"
                     "print('\\n'.join(res))\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        mark, empty = grid_marks(rng)
        return {"person": rng.choice(PEOPLE_ALT), "picture": rng.choice(["pixel art", "tile pattern", "mosaic",
             "stamp design", "cross-stitch"]),
                "mark": mark, "empty": empty, "h_max": rng.choice(SIZES), "w_max": rng.choice(SIZES)}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        on, off = params["mark"], params["empty"]
        hm, wm = grid_max_size(params)
        h, w = {0: (1, 1), 1: (1, wm), 2: (hm, 1), 3: (hm, wm)}.get(edge, grid_size(params, rng))
        return grid_text(random_grid(rng, h, w, on, off, 0.5))

    def reference(self, params: dict, stdin: str) -> str:
        g = parse_grid(stdin)
        return "\n".join("".join(c) for c in zip(*g[::-1])) + "\n"


@register
class GridNeighborMines(Family):
    name = "grid_neighbor_mines"
    topic = "grids"
    title = "$Obj Counter"
    n_edges = 4
    heldout = True
    statements = (
        r"""$person is designing a puzzle on a grid with H rows and W columns. Each square contains a $obj or is """
        r"""empty: the j-th character of S_i is $mine if square (i, j) contains a $obj, and $empty if it is empty.
For every empty square, count how many of the squares adjacent to it horizontally, vertically or diagonally (at most """
        r"""eight squares) contain a $obj.
Print the grid in which every empty square is replaced by this count, written as one digit, while squares containing """
        r"""a $obj stay $mine.

""" + GRID_INPUT + r"""

Output

Print H lines. The i-th line must be the i-th row of the converted grid.

Constraints

- 1 \leq H \leq $h_max
- 1 \leq W \leq $w_max
- Each S_i is a string of length W consisting of $mine and $empty.

$samples""",
        r"""There is an H \times W board. Square (i, j) (the i-th row from the top, the j-th column from the left) """
        r"""holds a $obj when the j-th character of S_i is $mine; otherwise that character is $empty.
Two distinct squares are neighbours when their rows differ by at most 1 and their columns differ by at most 1.
Replace each square without a $obj by the number of its neighbours that hold a $obj, and print the resulting board.

""" + GRID_INPUT + r"""

Output

Print the resulting board in H lines of W characters each; squares holding a $obj are printed as $mine.

Constraints

- H and W are integers between 1 and $h_max and between 1 and $w_max, respectively.
- S_i has length W and consists of $mine and $empty.

$samples""",
    )
    solutions = (
        Solution("direct-neighbours", "1. Read the grid.\n2. For each empty square, loop over the offsets di, dj "
                                      "in {-1, 0, 1}, skip positions outside the grid, and count $mine squares.\n"
                                      "3. Print $mine for $obj squares and the count for the others.",
                     "h, w = map(int, input().split())\ng = [input() for _ in range(h)]\nfor i in range(h):\n"
                     "    row = []\n    for j in range(w):\n        if g[i][j] == '$mine':\n"
                     "            row.append('$mine')\n            continue\n        c = 0\n"
                     "        for di in (-1, 0, 1):\n            for dj in (-1, 0, 1):\n"
                     "                ni, nj = i + di, j + dj\n"
                     "                if 0 <= ni < h and 0 <= nj < w and g[ni][nj] == '$mine':\n"
                     "                    c += 1\n        row.append(str(c))\n    print(''.join(row))\n"),
        Solution("padding", "1. Surround the grid with a border of blank squares so every square has a full 3 x 3 "
                            "window.\n2. For each original empty square, count $mine inside its window (the square "
                            "itself is empty so it adds nothing).\n3. Print the converted rows.",
                     "h, w = map(int, input().split())\n"
                     "pad = [' ' * (w + 2)] + [' ' + input() + ' ' for _ in range(h)] + [' ' * (w + 2)]\nout = []\n"
                     "for i in range(1, h + 1):\n    line = ''\n    for j in range(1, w + 1):\n"
                     "        if pad[i][j] == '$mine':\n            line += '$mine'\n        else:\n"
                     "            line += str(sum(pad[i + a][j + b] == '$mine' for a in (-1, 0, 1) for b in (-1, "
                     "0, 1)))\n    out.append(line)\nprint('\\n'.join(out))\n"),
        Solution("product-offsets", "1. Precompute the eight offsets with itertools.product, dropping (0, 0).\n"
                                    "2. For every empty square, sum over those offsets the in-bounds squares "
                                    "holding $mine.\n3. Print each converted row.",
                     "from itertools import product\nh, w = map(int, input().split())\n"
                     "g = [input() for _ in range(h)]\n"
                     "DIRS = [d for d in product((-1, 0, 1), repeat=2) if d != (0, 0)]\nfor i in range(h):\n"
                     "    print(''.join('$mine' if g[i][j] == '$mine' else str(sum(1 for di, dj in DIRS if 0 <= i "
                     "+ di < h and 0 <= j + dj < w and g[i + di][j + dj] == '$mine')) for j in range(w)))\n"),
        Solution("scatter-from-mines", "1. Start with a zero counter for every square.\n"
                                       "2. Turn the question around: each $obj adds one to every in-bounds square "
                                       "around it.\n3. Print $mine for $obj squares and the counter for the others.",
                     "h, w = map(int, input().split())\ng = [input() for _ in range(h)]\n"
                     "cnt = [[0] * w for _ in range(h)]\nfor i in range(h):\n    for j in range(w):\n"
                     "        if g[i][j] == '$mine':\n            for ni in range(max(0, i - 1), min(h, i + 2)):\n"
                     "                for nj in range(max(0, j - 1), min(w, j + 2)):\n"
                     "                    cnt[ni][nj] += 1\nfor i in range(h):\n"
                     "    print(''.join('$mine' if g[i][j] == '$mine' else str(cnt[i][j]) for j in range(w)))\n"),
        Solution("prefix-sums", "1. Build 2D prefix sums P of the indicator 'square holds a $obj'.\n"
                                "2. The clipped 3 x 3 window around (i, j) is a rectangle; its count is P[r2][c2] "
                                "- P[r1][c2] - P[r2][c1] + P[r1][c1].\n"
                                "3. Use that count for empty squares and print.",
                     "import sys\ndata = sys.stdin.read().split()\nh, w = int(data[0]), int(data[1])\n"
                     "g = data[2:2 + h]\nP = [[0] * (w + 1) for _ in range(h + 1)]\nfor i in range(h):\n"
                     "    for j in range(w):\n        P[i + 1][j + 1] = P[i][j + 1] + P[i + 1][j] - P[i][j] + "
                     "(g[i][j] == '$mine')\nfor i in range(h):\n    r1, r2 = max(0, i - 1), min(h, i + 2)\n"
                     "    row = []\n    for j in range(w):\n        c1, c2 = max(0, j - 1), min(w, j + 2)\n"
                     "        if g[i][j] == '$mine':\n            row.append('$mine')\n        else:\n"
                     "            row.append(str(P[r2][c2] - P[r1][c2] - P[r2][c1] + P[r1][c1]))\n"
                     "    print(''.join(row))\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        obj = rng.choice(["mine", "bomb", "trap", "hole", "crystal"])
        return {"person": rng.choice(PEOPLE_ALT), "obj": obj, "Obj": obj.capitalize(),
                "mine": rng.choice(["#", "*", "@", "X"]),
                "empty": rng.choice(EMPTIES), "h_max": rng.choice(SIZES), "w_max": rng.choice(SIZES)}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        on, off = params["mine"], params["empty"]
        hm, wm = grid_max_size(params)
        if edge == 0:
            return grid_text([off])
        if edge == 1:
            return grid_text([on])
        if edge == 2:
            return grid_text([on * wm] * hm)
        if edge == 3:
            return grid_text(random_grid(rng, hm, wm, on, off, 0.3))
        h, w = grid_size(params, rng)
        return grid_text(random_grid(rng, h, w, on, off, rng.uniform(0.1, 0.6)))

    def reference(self, params: dict, stdin: str) -> str:
        g, m = parse_grid(stdin), params["mine"]
        h, w = len(g), len(g[0])
        out = []
        for i in range(h):
            line = []
            for j in range(w):
                if g[i][j] == m:
                    line.append(m)
                else:
                    line.append(str(sum(g[a][b] == m for a in range(max(0, i - 1), min(h, i + 2))
                                        for b in range(max(0, j - 1), min(w, j + 2)))))
            out.append("".join(line))
        return "\n".join(out) + "\n"
