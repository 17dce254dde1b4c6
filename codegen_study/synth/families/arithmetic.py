"""Topic: arithmetic.

Families: sum_of_list, boxes_needed, border_tiles, every_kth_free, progression_sum (held out).
What varies: two phrasings each; names, items, colours and towns; whether the inner or the border cells
are asked; the bounds (up to 10^18).
Solutions: five per family: closed formulas, divmod, exact fractions, binary search, loops, sets, reduce
and prefix sums.
"""

from __future__ import annotations

import random

from codegen_study.synth.families.common import ITEMS, PEOPLE, PEOPLE_SHORT, statement
from codegen_study.synth.family import Family, Solution, register


@register
class SumOfList(Family):
    """The simplest family, written out in full (no shared statement helper): a model for new families."""

    name = "sum_of_list"
    topic = "arithmetic"
    title = "Total $item"
    n_edges = 2
    statements = (
        """$person has N bags of $item. The i-th bag contains A_i $item.
How many $item does $person have in total?

Input

The input is given from Standard Input in the following format:
N
A_1 A_2 \\ldots A_N

Output

Print the total number of $item.

Constraints

- 1 \\leq N \\leq $n_max
- 0 \\leq A_i \\leq $a_max
- All input values are integers.

$samples""",
        """You are given N integers A_1, \\ldots, A_N, the numbers of $item in $person's boxes.
Find A_1 + A_2 + \\cdots + A_N.

Input

The input is given from Standard Input in the following format:
N
A_1 A_2 \\ldots A_N

Output

Print the answer as an integer.

Constraints

- 1 \\leq N \\leq $n_max
- 0 \\leq A_i \\leq $a_max
- All input values are integers.

$samples""",
    )
    solutions = (
        Solution("builtin", "1. Read N and the list A.\n2. Python's sum adds all A_i.\n3. Print the total.",
                 "n = int(input())\na = list(map(int, input().split()))\nprint(sum(a))\n"),
        Solution("loop", "1. Read N and the values.\n2. Keep a running total, adding each A_i in a loop.\n3. Print it.",
                 "n = int(input())\ntotal = 0\nfor x in input().split():\n    total += int(x)\nprint(total)\n"),
        Solution("stdin-read", "1. Read all tokens at once from sys.stdin.\n"
                               "2. The first token is N; the next N are the values.\n"
                               "3. Sum those N tokens and print.",
                     "import sys\ndata = sys.stdin.read().split()\nn = int(data[0])\n"
                     "print(sum(int(x) for x in data[1:1 + n]))\n"),
        Solution("reduce", "1. Parse the values.\n2. Fold them with functools.reduce and operator.add (start 0).\n"
                           "3. Print the result.",
                     "from functools import reduce\nimport operator\ninput()\nvals = map(int, input().split())\n"
                     "print(reduce(operator.add, vals, 0))\n"),
        Solution("prefix", "1. Parse the values.\n2. Build prefix sums with itertools.accumulate.\n"
                           "3. The last prefix sum is the total (0 for an empty list).",
                     "from itertools import accumulate\nn = int(input())\na = list(map(int, input().split()))\n"
                     "pre = [0] + list(accumulate(a))\nprint(pre[-1])\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        return {
            "person": rng.choice(PEOPLE_SHORT),
            "item": rng.choice(ITEMS[:8]),
            "n_max": rng.choice([10, 50, 100, 1000, 100000]),
            "a_max": rng.choice([9, 100, 1000, 10**9]),
        }

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        if edge == 0:
            n, a = 1, [0]
        elif edge == 1:
            n = min(params["n_max"], 200)
            a = [params["a_max"]] * n
        else:
            n = rng.randint(1, min(params["n_max"], 50))
            a = [rng.randint(0, params["a_max"]) for _ in range(n)]
        return f"{n}\n{' '.join(map(str, a))}\n"

    def reference(self, params: dict, stdin: str) -> str:
        tokens = stdin.split()
        n = int(tokens[0])
        return f"{sum(int(x) for x in tokens[1:1 + n])}\n"


@register
class BoxesNeeded(Family):
    name = "boxes_needed"
    topic = "arithmetic"
    title = "Packing $item"
    n_edges = 4
    statements = (
        statement("$person wants to pack N $item into boxes. One box can hold at most K $item.\n"
                  "At least how many boxes does $person need?",
                  "N K", "Print the minimum number of boxes.",
                  [r"1 \leq N \leq $n_max", r"1 \leq K \leq $k_max", "All input values are integers."]),
        statement("There are N $item to carry, and a trip can carry up to K of them at once.\n"
                      "Find the smallest number of trips that carries all the $item, that is, the smallest integer x "
                      "with xK \\geq N.",
                  "N K", "Print the answer as an integer.",
                  [r"1 \leq N \leq $n_max", r"1 \leq K \leq $k_max", "All input values are integers."]),
    )
    solutions = (
        Solution("neg-floor", "1. Read N and K.\n2. Ceiling division equals minus the floor division of -N by K: "
                              "-(-N // K).\n3. Print it.",
                 "n, k = map(int, input().split())\nprint(-(-n // k))\n"),
        Solution("add-k-minus-1", "1. Read N and K.\n2. Adding K - 1 before the floor division rounds every "
                                  "partial box up: (N + K - 1) // K.\n3. Print it.",
                 "n, k = map(int, input().split())\nprint((n + k - 1) // k)\n"),
        Solution("divmod", "1. Read N and K.\n2. divmod gives the full boxes q and the leftover r.\n"
                           "3. A non-zero leftover needs one more box: print q + (r > 0).",
                 "n, k = map(int, input().split())\nq, r = divmod(n, k)\nprint(q + (1 if r else 0))\n"),
        Solution("fraction-ceil", "1. Read N and K.\n2. Fraction(N, K) is the exact quotient (no floating-point "
                                  "error even for large N).\n3. math.ceil rounds it up; print.",
                     "import math\nfrom fractions import Fraction\nn, k = map(int, input().split())\n"
                     "print(math.ceil(Fraction(n, k)))\n"),
        Solution("binary-search", "1. Read N and K.\n2. x boxes suffice exactly when x * K >= N, a monotone "
                                  "condition in x.\n3. Binary search the smallest such x between 1 and N.",
                     "n, k = map(int, input().split())\nlo, hi = 1, n\nwhile lo < hi:\n    mid = (lo + hi) // 2\n"
                     "    if mid * k >= n:\n        hi = mid\n    else:\n        lo = mid + 1\nprint(lo)\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        return {"person": rng.choice(PEOPLE), "item": rng.choice(ITEMS),
                "n_max": rng.choice([100, 10**4, 10**9, 10**18]), "k_max": rng.choice([10, 100, 10**9])}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        n_max, k_max = params["n_max"], params["k_max"]
        if edge == 0:
            n, k = 1, 1
        elif edge == 1:
            n, k = n_max, 1
        elif edge == 2:
            n, k = n_max, k_max
        elif edge == 3:
            k = rng.randint(1, min(k_max, n_max))
            n = k * rng.randint(1, n_max // k)
        else:
            n, k = rng.randint(1, n_max if rng.random() < 0.5 else min(n_max, 1000)), rng.randint(1, k_max)
        return f"{n} {k}\n"

    def reference(self, params: dict, stdin: str) -> str:
        n, k = map(int, stdin.split())
        return f"{(n + k - 1) // k}\n"


@register
class BorderTiles(Family):
    name = "border_tiles"
    topic = "arithmetic"
    title = "$color Frame"
    n_edges = 4
    statements = (
        statement("The floor of $person's room is covered with H \\times W square tiles: H rows and W columns.\n"
                      "$person paints every tile that lies in the first row, the last row, the first column or the "
                      "last column $color_low.\n"
                  "How many tiles $question?",
                  "H W", "Print the number of tiles that $question.",
                  [r"1 \leq H, W \leq $s_max", "All input values are integers."]),
        statement(
            "Consider a grid with H rows and W columns. A cell is on the frame when it is in the top or bottom row "
                  "or in the leftmost or rightmost column; the frame is painted $color_low.\n"
                  "Count the cells that $question.",
                  "H W", "Print the count.",
                  [r"1 \leq H \leq $s_max", r"1 \leq W \leq $s_max", "All input values are integers."]),
    )
    solutions = (
        Solution("subtract-inner", "1. Read H and W.\n2. The cells off the frame form an inner (H - 2) x (W - 2) "
                                   "block, empty when a side is below 2, so clamp at 0.\n"
                                   "3. Frame = H * W - inner; print $answer_text.",
                     "h, w = map(int, input().split())\ninner = max(0, h - 2) * max(0, w - 2)\nframe = h * w - inner\n"
                     "print($answer)\n"),
        Solution("cell-loop", "1. Read H and W (at most $s_max each, so visiting every cell is fast).\n"
                              "2. A cell (i, j) is on the frame when i is 0 or H - 1, or j is 0 or W - 1.\n"
                              "3. Count those cells as the frame and print $answer_text.",
                     "h, w = map(int, input().split())\nframe = 0\nfor i in range(h):\n    for j in range(w):\n"
                     "        if i == 0 or i == h - 1 or j == 0 or j == w - 1:\n            frame += 1\n"
                     "print($answer)\n"),
        Solution("case-split", "1. Read H and W.\n2. A single row or column is all frame: H * W cells.\n"
                               "3. Otherwise the frame has 2H + 2W - 4 cells (the four corners are shared); print "
                               "$answer_text.",
                     "h, w = map(int, input().split())\nif h == 1 or w == 1:\n    frame = h * w\nelse:\n"
                     "    frame = 2 * (h + w) - 4\nprint($answer)\n"),
        Solution("per-row", "1. Read H and W.\n2. The top and bottom rows are entirely frame (W cells each; one "
                            "row if H = 1).\n3. Every middle row has its two end cells on the frame (one if W = "
                            "1); sum and print $answer_text.",
                     "h, w = map(int, input().split())\nframe = 0\nfor i in range(h):\n"
                     "    frame += w if i in (0, h - 1) else min(2, w)\nprint($answer)\n"),
        Solution("coordinate-set", "1. Read H and W.\n2. Put the cells of the four sides into one set; the set "
                                   "removes the shared corners automatically.\n"
                                   "3. Its size is the frame; print $answer_text.",
                     "h, w = map(int, input().split())\n"
                     "cells = {(0, j) for j in range(w)} | {(h - 1, j) for j in range(w)}\n"
                     "cells |= {(i, 0) for i in range(h)} | {(i, w - 1) for i in range(h)}\nframe = len(cells)\n"
                     "print($answer)\n"),
    )
    _colors = ["Red", "Blue", "Green", "Yellow", "White", "Black"]

    def sample_params(self, rng: random.Random) -> dict:
        color = rng.choice(self._colors)
        inner = rng.random() < 0.5
        return {"person": rng.choice(PEOPLE), "color": color, "color_low": color.lower(),
                "s_max": rng.choice([10, 30, 100, 300]), "target": "inner" if inner else "frame",
                "question": "stay unpainted" if inner else f"are painted {color.lower()}",
                "answer": "h * w - frame" if inner else "frame",
                "answer_text": "the cells outside it, H * W - frame" if inner else "it"}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        s = params["s_max"]
        h, w = {0: (1, 1), 1: (s, s), 2: (1, s), 3: (2, rng.randint(1, s))}.get(
            edge, (rng.randint(1, s), rng.randint(1, s)))
        return f"{h} {w}\n"

    def reference(self, params: dict, stdin: str) -> str:
        h, w = map(int, stdin.split())
        frame = h * w - max(0, h - 2) * max(0, w - 2)
        return f"{h * w - frame if params['target'] == 'inner' else frame}\n"


@register
class EveryKthFree(Family):
    name = "every_kth_free"
    topic = "arithmetic"
    title = "$item Sale"
    n_edges = 3
    statements = (
        statement("A shop sells $item for P yen each. During the sale, every K-th $item_one bought is free: "
                  "the K-th, the 2K-th, the 3K-th and so on cost nothing.\n"
                  "$person buys N $item. How many yen does $person pay?",
                  "N K P", "Print the total price in yen.",
                  [r"1 \leq N \leq $n_max", r"1 \leq K \leq 100", r"1 \leq P \leq $p_max",
                       "All input values are integers."]),
        statement("$person buys N $item one after another. The price of one is P yen, "
                      "except that the i-th one is free whenever i is a multiple of K.\n"
                      "Find the total amount $person pays.",
                  "N K P", "Print the total amount.",
                  [r"1 \leq N \leq $n_max", r"1 \leq K \leq 100", r"1 \leq P \leq $p_max",
                       "All input values are integers."]),
    )
    solutions = (
        Solution("formula", "1. Read N, K and P.\n2. Exactly N // K of the N purchases are free.\n"
                            "3. The rest, N - N // K, cost P each; print the product.",
                 "n, k, p = map(int, input().split())\nprint((n - n // k) * p)\n"),
        Solution("loop", "1. Read N, K and P.\n2. Go through purchases i = 1..N and add P unless i is a multiple "
                         "of K.\n3. Print the total.",
                     "n, k, p = map(int, input().split())\ntotal = 0\nfor i in range(1, n + 1):\n    if i % k != 0:\n"
                     "        total += p\nprint(total)\n"),
        Solution("groups", "1. Read N, K and P.\n2. Each complete group of K purchases costs (K - 1) * P; divmod "
                           "gives the groups and the leftover purchases.\n"
                           "3. Leftover purchases are all paid; add them and print.",
                     "n, k, p = map(int, input().split())\ngroups, rest = divmod(n, k)\n"
                     "print(groups * (k - 1) * p + rest * p)\n"),
        Solution("count-free-range", "1. Read N, K and P.\n2. range(K, N + 1, K) lists the free purchases; its len "
                                     "is their number.\n3. Pay for the others: (N - free) * P.",
                 "n, k, p = map(int, input().split())\nfree = len(range(k, n + 1, k))\nprint((n - free) * p)\n"),
        Solution("sum-generator", "1. Read N, K and P.\n2. The price of purchase i is P times (i % K != 0), as a "
                                  "bool counts 0 or 1.\n3. Sum the prices with a generator and print.",
                 "n, k, p = map(int, input().split())\nprint(sum(p * (i % k != 0) for i in range(1, n + 1)))\n"),
    )
    _singular = {"apples": "apple", "coins": "coin", "stones": "stone", "cards": "card", "cookies": "cookie",
                 "marbles": "marble", "stamps": "stamp", "pencils": "pencil", "shells": "shell", "tickets": "ticket"}

    def sample_params(self, rng: random.Random) -> dict:
        item = rng.choice(ITEMS)
        return {"person": rng.choice(PEOPLE), "item": item, "item_one": self._singular[item],
                "n_max": rng.choice([100, 1000, 100000]), "p_max": rng.choice([100, 1000, 10**9])}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        if edge == 0:
            n, k, p = 1, 1, 1
        elif edge == 1:
            n, k, p = params["n_max"], rng.randint(2, 100), params["p_max"]
        elif edge == 2:
            n, k, p = rng.randint(1, 99), 100, rng.randint(1, params["p_max"])
        else:
            n, k, p = rng.randint(1, params["n_max"]), rng.randint(1, 12), rng.randint(1, params["p_max"])
        return f"{n} {k} {p}\n"

    def reference(self, params: dict, stdin: str) -> str:
        n, k, p = map(int, stdin.split())
        return f"{(n - n // k) * p}\n"


@register
class ProgressionSum(Family):
    name = "progression_sum"
    topic = "arithmetic"
    title = "House Numbers"
    heldout = True
    n_edges = 3
    statements = (
        statement("The houses on a street in $town are numbered with consecutive integers.\n"
                  "$person starts at house A and visits every D-th house after it: A, A + D, A + 2D, \\ldots, "
                  "as long as the number does not exceed B.\nFind the sum of the numbers of the houses $person visits.",
                  "A B D", "Print the sum.",
                  [r"1 \leq A \leq B \leq $b_max", r"1 \leq D \leq $d_max", "All input values are integers."]),
        statement("You are given integers A, B and D with A \\leq B.\n"
                      "Find the sum of all terms of the arithmetic progression A, A + D, A + 2D, \\ldots that are at "
                      "most B.",
                  "A B D", "Print the sum as an integer.",
                  [r"1 \leq A \leq B \leq $b_max", r"1 \leq D \leq $d_max", "All input values are integers."]),
    )
    solutions = (
        Solution("closed-form", "1. Read A, B and D.\n2. The number of terms is n = (B - A) // D + 1 and the last "
                                "term is A + (n - 1)D.\n3. The sum is n * (first + last) / 2, always an integer; "
                                "print it.",
                 "a, b, d = map(int, input().split())\nn = (b - a) // d + 1\nprint(n * (a + a + (n - 1) * d) // 2)\n"),
        Solution("range-sum",
             "1. Read A, B and D.\n2. range(A, B + 1, D) yields exactly the terms.\n3. Sum them with the builtin sum.",
                 "a, b, d = map(int, input().split())\nprint(sum(range(a, b + 1, d)))\n"),
        Solution("while-loop", "1. Read A, B and D.\n2. Start at x = A and, while x <= B, add x to the total and "
                               "step x by D.\n3. Print the total.",
                     "a, b, d = map(int, input().split())\ntotal = 0\nx = a\nwhile x <= b:\n    total += x\n"
                     "    x += d\nprint(total)\n"),
        Solution("count-and-offsets", "1. Read A, B and D and count the terms n = (B - A) // D + 1.\n"
                                      "2. The terms are A plus D times 0, 1, ..., n - 1, and 0 + 1 + ... + (n - 1) "
                                      "= n(n - 1)/2.\n3. So the sum is n * A + D * n(n - 1)/2.",
                 "a, b, d = map(int, input().split())\nn = (b - a) // d + 1\nprint(n * a + d * (n * (n - 1) // 2))\n"),
        Solution("reduce", "1. Read A, B and D.\n2. Fold the terms of range(A, B + 1, D) with functools.reduce and "
                           "operator.add, starting from 0.\n3. Print the folded value.",
                     "from functools import reduce\nimport operator\na, b, d = map(int, input().split())\n"
                     "print(reduce(operator.add, range(a, b + 1, d), 0))\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        return {"person": rng.choice(PEOPLE), "town": rng.choice(["AtCoder Town", "Snuke City", "Ringo Village",
             "Aoki Port", "Kenta Hills"]),
                "b_max": rng.choice([100, 1000, 10000, 100000]), "d_max": rng.choice([5, 10, 100, 1000])}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        b_max, d_max = params["b_max"], params["d_max"]
        if edge == 0:
            a = b = rng.randint(1, b_max)
            d = rng.randint(1, d_max)
        elif edge == 1:
            a, b, d = 1, b_max, 1
        elif edge == 2:
            a, b, d = 1, b_max, d_max
        else:
            a = rng.randint(1, b_max)
            b, d = rng.randint(a, b_max), rng.randint(1, d_max)
        return f"{a} {b} {d}\n"

    def reference(self, params: dict, stdin: str) -> str:
        a, b, d = map(int, stdin.split())
        return f"{sum(range(a, b + 1, d))}\n"
