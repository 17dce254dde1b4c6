"""Example family, the reference for how families are written (kept: it is a real family)."""

from __future__ import annotations

import random

from codegen_study.synth.family import Family, Solution, register

NAMES = ["Takahashi", "Aoki", "Snuke", "Ringo", "Sunuke", "Hanako", "Jiro", "Kenta"]
ITEMS = ["apples", "coins", "stones", "cards", "cookies", "marbles", "stamps", "pencils"]


@register
class SumOfList(Family):
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
            "person": rng.choice(NAMES),
            "item": rng.choice(ITEMS),
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
