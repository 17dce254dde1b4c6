"""Topic: grids.

Families: grid_find_difference, grid_bounding_rectangle.
What varies: two phrasings each; names and the kind of board or stain; the alphabet or the mark and
empty characters; the bounds promised for H and W.
Solutions: five per family: nested loops, row-then-column scans, flattening with divmod, set
differences, min/max over coordinates, find/rfind, peeling borders.
"""

from __future__ import annotations

import random
import string

from codegen_study.synth.families.common import (
    ALPHABETS,
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

GRID_ALPHABETS = {**ALPHABETS, "digits": string.digits}


@register
class GridFindDifference(Family):
    name = "grid_find_difference"
    topic = "grids"
    title = "Find the Changed Square"
    n_edges = 3
    statements = (
        r"""$person copied a $board with H rows and W columns, but made exactly one mistake.
The original is given by strings A_1, \ldots, A_H and the copy by strings B_1, \ldots, B_H; the j-th character of """
        r"""A_i (or B_i) is written in the square at the i-th row from the top and the j-th column from the left.
There is exactly one pair (i, j) such that the j-th character of A_i differs from the j-th character of B_i. Find it.

Input

The input is given from Standard Input in the following format:
H W
A_1
\vdots
A_H
B_1
\vdots
B_H

Output

Print i and j, in this order, separated by a space.

Constraints

- 1 \leq H \leq $h_max
- 1 \leq W \leq $w_max
- A_i and B_i are strings of length W consisting of $alphabet.
- There is exactly one pair (i, j) such that the j-th character of A_i and the j-th character of B_i are different.

$samples""",
        r"""Two $board grids A and B, each of size H \times W, are given. Every square contains one character from """
        r"""the $alphabet.
They are identical except in exactly one square. Report the row number i (counted from the top, starting at 1) and """
        r"""the column number j (counted from the left, starting at 1) of that square.

Input

The input is given from Standard Input in the following format:
H W
A_1
\vdots
A_H
B_1
\vdots
B_H

Output

Print the answer as i j.

Constraints

- H and W are integers.
- 1 \leq H \leq $h_max, 1 \leq W \leq $w_max
- A_i and B_i consist of $alphabet and have length W.
- A and B differ in exactly one square.

$samples""",
    )
    solutions = (
        Solution("nested-loop", "1. Read both grids.\n2. Compare them square by square with two nested loops.\n"
                                "3. Print the first (and only) position where the characters differ, 1-indexed, "
                                "and stop.",
                     "def main():\n    h, w = map(int, input().split())\n    a = [input() for _ in range(h)]\n"
                     "    b = [input() for _ in range(h)]\n    for i in range(h):\n        for j in range(w):\n"
                     "            if a[i][j] != b[i][j]:\n                print(i + 1, j + 1)\n"
                     "                return\n\nmain()\n"),
        Solution("row-then-column", "1. Pair up the rows of A and B with zip and find the row that is not equal as "
                                    "a whole string.\n2. Inside that row, zip the characters and find the "
                                    "differing column with next().\n3. Print both indices, 1-indexed.",
                     "h, w = map(int, input().split())\na = [input() for _ in range(h)]\n"
                     "b = [input() for _ in range(h)]\n"
                     "i = next(k for k, (ra, rb) in enumerate(zip(a, b)) if ra != rb)\n"
                     "j = next(k for k, (x, y) in enumerate(zip(a[i], b[i])) if x != y)\nprint(i + 1, j + 1)\n"),
        Solution("flatten-divmod", "1. Join each grid into one string of length H*W.\n"
                                   "2. Find the first index k where the two strings differ.\n"
                                   "3. divmod(k, W) converts k back to (row, column); print them 1-indexed.",
                     "import sys\ndata = sys.stdin.read().split()\nh, w = int(data[0]), int(data[1])\n"
                     "sa = ''.join(data[2:2 + h])\nsb = ''.join(data[2 + h:2 + 2 * h])\n"
                     "k = next(k for k in range(h * w) if sa[k] != sb[k])\ni, j = divmod(k, w)\n"
                     "print(i + 1, j + 1)\n"),
        Solution("set-difference", "1. Describe each grid as a set of triples (i, j, character).\n"
                                   "2. The set difference A - B contains exactly the one changed square.\n"
                                   "3. Unpack it and print its position, 1-indexed.",
                     "h, w = map(int, input().split())\na = [input() for _ in range(h)]\n"
                     "b = [input() for _ in range(h)]\nsa = {(i, j, a[i][j]) for i in range(h) for j in range(w)}\n"
                     "sb = {(i, j, b[i][j]) for i in range(h) for j in range(w)}\n(i, j, _), = sa - sb\n"
                     "print(i + 1, j + 1)\n"),
        Solution("collect-all", "1. Read all tokens; the first H rows after H, W belong to A, the next H to B.\n"
                                "2. Build the list of every differing position with a comprehension.\n"
                                "3. The list has one element; print it.",
                     "import sys\nh, w, *rows = sys.stdin.read().split()\nh, w = int(h), int(w)\n"
                     "a, b = rows[:h], rows[h:]\ndiffs = [(i + 1, j + 1) for i in range(h) for j in range(w) if "
                     "a[i][j] != b[i][j]]\nprint(*diffs[0])\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        return {"person": rng.choice(PEOPLE_ALT), "board": rng.choice(["crossword", "letter board", "code sheet",
            "puzzle"]),
                "alphabet": rng.choice(sorted(GRID_ALPHABETS)), "h_max": rng.choice(SIZES), "w_max": rng.choice(SIZES)}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        letters = GRID_ALPHABETS[params["alphabet"]][: rng.choice([2, 3, 5, 10])]
        hm, wm = grid_max_size(params)
        h, w = {0: (1, 1), 1: (hm, wm), 2: (hm, wm)}.get(edge, grid_size(params, rng))
        a = [[rng.choice(letters) for _ in range(w)] for _ in range(h)]
        i, j = {0: (0, 0), 1: (h - 1, w - 1), 2: (0, 0)}.get(edge, (rng.randrange(h), rng.randrange(w)))
        b = [row[:] for row in a]
        b[i][j] = rng.choice([c for c in letters if c != a[i][j]])
        return f"{h} {w}\n" + "\n".join("".join(r) for r in a + b) + "\n"

    def reference(self, params: dict, stdin: str) -> str:
        tok = stdin.split()
        h, w = int(tok[0]), int(tok[1])
        a, b = tok[2:2 + h], tok[2 + h:2 + 2 * h]
        i, j = next((i, j) for i in range(h) for j in range(w) if a[i][j] != b[i][j])
        return f"{i + 1} {j + 1}\n"


@register
class GridBoundingBox(Family):
    name = "grid_bounding_rectangle"
    topic = "grids"
    title = "Cover the ${stain}s"
    n_edges = 3
    statements = (
        r"""$person spilled some ${stain}s on a sheet divided into a grid with H rows and W columns. The j-th """
        r"""character of S_i is $mark if the square at the i-th row from the top and the j-th column from the left """
        r"""has a $stain, and $empty otherwise.
$person wants to cover all ${stain}s with one rectangular sticker whose sides are along the grid lines. What is the """
        r"""minimum number of squares the sticker must cover?

""" + GRID_INPUT + r"""

Output

Print the minimum number of squares.

Constraints

- 1 \leq H \leq $h_max
- 1 \leq W \leq $w_max
- Each S_i is a string of length W consisting of $mark and $empty.
- At least one square has a $stain.

$samples""",
        r"""You are given an H \times W grid in which each square is $mark (it has a $stain) or $empty.
Let a and b be the topmost and bottommost rows containing $mark, and c and d be the leftmost and rightmost such columns.
Find the area (b - a + 1) \times (d - c + 1) of the smallest rectangle containing every $mark square.

""" + GRID_INPUT + r"""

Output

Print the area.

Constraints

- H and W are integers with 1 \leq H \leq $h_max and 1 \leq W \leq $w_max.
- S_i is a string of length W consisting of $mark and $empty.
- The grid contains at least one $mark.

$samples""",
    )
    solutions = (
        Solution("min-max-coordinates", "1. Collect the (row, column) of every $mark square.\n"
                                        "2. The rectangle spans from the minimum to the maximum row and from the "
                                        "minimum to the maximum column.\n"
                                        "3. Print (rows spanned) * (columns spanned).",
                     "h, w = map(int, input().split())\ng = [input() for _ in range(h)]\n"
                     "pts = [(i, j) for i in range(h) for j in range(w) if g[i][j] == '$mark']\n"
                     "rs = [i for i, _ in pts]\ncs = [j for _, j in pts]\n"
                     "print((max(rs) - min(rs) + 1) * (max(cs) - min(cs) + 1))\n"),
        Solution("rows-and-columns", "1. List the indices of rows that contain $mark.\n"
                                     "2. Transpose with zip(*g) and list the columns that contain $mark.\n"
                                     "3. The first and last entries of each list bound the rectangle; print its "
                                     "area.",
                     "h, w = map(int, input().split())\ng = [input() for _ in range(h)]\n"
                     "rows = [i for i, r in enumerate(g) if '$mark' in r]\n"
                     "cols = [j for j, c in enumerate(zip(*g)) if '$mark' in c]\n"
                     "print((rows[-1] - rows[0] + 1) * (cols[-1] - cols[0] + 1))\n"),
        Solution("running-bounds", "1. Keep four running bounds: top, bottom, left, right.\n"
                                   "2. Scan every square once and widen the bounds whenever a $mark square lies "
                                   "outside them.\n3. Print the area of the final bounds.",
                     "h, w = map(int, input().split())\ntop, bottom, left, right = h, -1, w, -1\nfor i in range(h):\n"
                     "    row = input()\n    for j in range(w):\n        if row[j] == '$mark':\n"
                     "            top = min(top, i)\n            bottom = max(bottom, i)\n"
                     "            left = min(left, j)\n            right = max(right, j)\n"
                     "print((bottom - top + 1) * (right - left + 1))\n"),
        Solution("find-rfind", "1. For each row containing $mark, str.find gives its leftmost and str.rfind its "
                               "rightmost $mark.\n2. The rectangle's left side is the minimum find, its right side "
                               "the maximum rfind; its rows are the first and last such rows.\n3. Print the area.",
                     "import sys\ndata = sys.stdin.read().split()\nh = int(data[0])\ng = data[2:2 + h]\n"
                     "hit = [i for i in range(h) if g[i].find('$mark') >= 0]\n"
                     "left = min(g[i].find('$mark') for i in hit)\nright = max(g[i].rfind('$mark') for i in hit)\n"
                     "print((hit[-1] - hit[0] + 1) * (right - left + 1))\n"),
        Solution("peel-borders", "1. Start with the whole grid as the rectangle.\n"
                                 "2. While the top row of the rectangle has no $mark, drop it; do the same for the "
                                 "bottom row, the left column and the right column.\n"
                                 "3. What remains is the smallest rectangle; print its area.",
                     "h, w = map(int, input().split())\ng = [input() for _ in range(h)]\n"
                     "t, b, l, r = 0, h - 1, 0, w - 1\nwhile '$mark' not in g[t]:\n    t += 1\n"
                     "while '$mark' not in g[b]:\n    b -= 1\n"
                     "while all(g[i][l] != '$mark' for i in range(t, b + 1)):\n    l += 1\n"
                     "while all(g[i][r] != '$mark' for i in range(t, b + 1)):\n    r -= 1\n"
                     "print((b - t + 1) * (r - l + 1))\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        mark, empty = grid_marks(rng)
        return {"person": rng.choice(PEOPLE_ALT),
                "stain": rng.choice(["ink drop", "paint spot", "coffee stain", "sticker", "smudge"]),
                "mark": mark, "empty": empty, "h_max": rng.choice(SIZES), "w_max": rng.choice(SIZES)}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        on, off = params["mark"], params["empty"]
        hm, wm = grid_max_size(params)
        if edge == 0:
            return grid_text([on])
        if edge == 1:
            g = [[off] * wm for _ in range(hm)]
            g[0][0] = g[hm - 1][wm - 1] = on
        elif edge == 2:
            g = [[off] * wm for _ in range(hm)]
            g[rng.randrange(hm)][rng.randrange(wm)] = on
        else:
            h, w = grid_size(params, rng)
            g = [list(r) for r in random_grid(rng, h, w, on, off, rng.choice([0.02, 0.1, 0.3]))]
            g[rng.randrange(h)][rng.randrange(w)] = on
        return grid_text(["".join(r) for r in g])

    def reference(self, params: dict, stdin: str) -> str:
        g, m = parse_grid(stdin), params["mark"]
        pts = [(i, j) for i, r in enumerate(g) for j, c in enumerate(r) if c == m]
        rs, cs = [p[0] for p in pts], [p[1] for p in pts]
        return f"{(max(rs) - min(rs) + 1) * (max(cs) - min(cs) + 1)}\n"
