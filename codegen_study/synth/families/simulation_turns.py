"""Topic: simulation.

Families: simulate_circle_elimination, simulate_round_robin_deal.
What varies: two phrasings each; names, the group in the circle and the items dealt; the bounds on N, K
and values.
Solutions: five per family: replay the turns (list index, deque rotation, alive flags, modulo loop,
cycle with zip) or jump to the result (the Josephus recurrence, recursive or iterative; slices;
columns).
"""

from __future__ import annotations

import random

from codegen_study.synth.families.common import ITEMS, PEOPLE, rand_len, statement
from codegen_study.synth.family import Family, Solution, register


@register
class SimulateCircleElimination(Family):
    name = "simulate_circle_elimination"
    topic = "simulation"
    title = "Last One in the Circle"
    n_edges = 3
    _cons = [r"1 \leq N \leq $n_max", r"1 \leq K \leq $k_max", "All input values are integers."]
    statements = (
        statement("N $group, numbered 1 to N clockwise, sit in a circle, and $person runs a game.\n"
                      "Starting with $group_one 1, they count 1, 2, \\ldots clockwise; the one who says K leaves the "
                      "circle, "
                      "and counting restarts at 1 from the next remaining one.\n"
                      "This repeats until only one remains. Which number does the last one have?",
                  "N K", "Print the number of the last remaining one.", _cons),
        statement("The integers 1, 2, \\ldots, N are written around a circle in this order.\n"
                      "Starting at 1, move clockwise over the remaining integers and erase every K-th one you reach "
                      "(the first erased is the K-th counted from 1), "
                      "continuing from the integer after the erased one, until one integer is left.\n"
                      "Find the integer that is left.",
                  "N K", "Print the remaining integer.", _cons),
    )
    solutions = (
        Solution("list-index", "1. Keep the remaining numbers in a list and the index where counting starts.\n"
                               "2. The K-th one is at (index + K - 1) mod size; pop it, and the next count starts "
                               "at that same index.\n3. Repeat until one is left and print it.",
                     "n, k = map(int, input().split())\npeople = list(range(1, n + 1))\nidx = 0\n"
                     "while len(people) > 1:\n    idx = (idx + k - 1) % len(people)\n    people.pop(idx)\n"
                     "print(people[0])\n"),
        Solution("deque-rotate", "1. Put the numbers in a deque with the counting start at the front.\n"
                                 "2. Rotating left by K - 1 brings the K-th one to the front; popleft removes it.\n"
                                 "3. Repeat until one remains and print it.",
                     "from collections import deque\nn, k = map(int, input().split())\n"
                     "circle = deque(range(1, n + 1))\nwhile len(circle) > 1:\n    circle.rotate(-(k - 1))\n"
                     "    circle.popleft()\nprint(circle[0])\n"),
        Solution("recursive-formula", "1. Let J(m) be the 0-based survivor for m people.\n"
                                      "2. After the first removal the game is the same with m - 1 people, shifted "
                                      "by K: J(m) = (J(m - 1) + K) mod m, J(1) = 0.\n"
                                      "3. Compute it recursively and print J(N) + 1.",
                     "import sys\nsys.setrecursionlimit(10000)\nn, k = map(int, input().split())\n\n\n"
                     "def survivor(m):\n    if m == 1:\n        return 0\n    return (survivor(m - 1) + k) % m\n\n"
                     "\nprint(survivor(n) + 1)\n"),
        Solution("iterative-formula", "1. Use the recurrence J(m) = (J(m - 1) + K) mod m with J(1) = 0.\n"
                                      "2. Evaluate it bottom-up for m = 2..N in a loop.\n3. Print J(N) + 1.",
                     "n, k = map(int, input().split())\npos = 0\nfor m in range(2, n + 1):\n    pos = (pos + k) % m\n"
                     "print(pos + 1)\n"),
        Solution("alive-flags", "1. Mark everyone alive in a boolean list and stand just before number 1.\n"
                                "2. Step clockwise, counting only alive places, until the count reaches K; mark "
                                "that one dead.\n3. After N - 1 removals the only alive index is the answer.",
                     "n, k = map(int, input().split())\nalive = [True] * n\npos = n - 1\nfor _ in range(n - 1):\n"
                     "    steps = 0\n    while steps < k:\n        pos = (pos + 1) % n\n        if alive[pos]:\n"
                     "            steps += 1\n    alive[pos] = False\nprint(alive.index(True) + 1)\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        group, one = rng.choice([["children", "child"], ["players", "player"], ["cats", "cat"], ["robots", "robot"],
            ["students", "student"]])
        return {"person": rng.choice(PEOPLE), "group": group, "group_one": one,
                "n_max": rng.choice([10, 50, 100]), "k_max": rng.choice([5, 10, 100])}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        n_max, k_max = params["n_max"], params["k_max"]
        n, k = [(1, 1), (n_max, 1), (n_max, k_max)][edge] if edge is not None else (rng.randint(1, n_max),
            rng.randint(1, k_max))
        return f"{n} {k}\n"

    def reference(self, params: dict, stdin: str) -> str:
        n, k = map(int, stdin.split())
        people, idx = list(range(1, n + 1)), 0
        while len(people) > 1:
            idx = (idx + k - 1) % len(people)
            del people[idx]
        return f"{people[0]}\n"


@register
class SimulateRoundRobinDeal(Family):
    name = "simulate_round_robin_deal"
    topic = "simulation"
    title = "Dealing $item"
    n_edges = 3
    _cons = [r"1 \leq N \leq $n_max", r"1 \leq K \leq $k_max", r"1 \leq A_i \leq $a_max",
         "All input values are integers."]
    statements = (
        statement("$person has a pile of N $item; the i-th from the top is worth A_i points.\n"
                      "$person deals them from the top to K friends in turn: the 1st goes to friend 1, the 2nd to "
                      "friend 2, \\ldots, the K-th to friend K, "
                      "the (K+1)-th to friend 1 again, and so on, until the pile is empty.\n"
                      "Find the total points each friend receives.",
                  "N K\nA_1 A_2 \\ldots A_N",
                       "Print K integers separated by spaces: the totals of friends 1, 2, \\ldots, K.", _cons),
        statement("You are given N integers A_1, \\ldots, A_N and an integer K.\n"
                  "For each j = 1, 2, \\ldots, K, find the sum of A_i over all i "
                  "such that i - 1 leaves remainder j - 1 when divided by K (an empty sum is 0).",
                  "N K\nA_1 A_2 \\ldots A_N", "Print the K sums in order of j, separated by spaces.", _cons),
    )
    solutions = (
        Solution("modulo-loop", "1. Card i (0-based) goes to friend i mod K.\n"
                                "2. Add each value to that friend's total.\n3. Print the K totals.",
                     "n, k = map(int, input().split())\na = list(map(int, input().split()))\ntotals = [0] * k\n"
                     "for i, x in enumerate(a):\n    totals[i % k] += x\nprint(*totals)\n"),
        Solution("slicing", "1. Friend j (0-based) receives exactly the elements A[j], A[j + K], A[j + 2K], ...\n"
                            "2. That is the extended slice A[j::K].\n3. Print the sum of each slice for j = 0..K-1.",
                     "n, k = map(int, input().split())\na = list(map(int, input().split()))\n"
                     "print(*(sum(a[j::k]) for j in range(k)))\n"),
        Solution("defaultdict", "1. Accumulate totals in a defaultdict keyed by the friend number.\n"
                                "2. Deal with a counter that wraps back to 1 after K.\n"
                                "3. Print the totals for 1..K (missing ones default to 0).",
                     "from collections import defaultdict\nn, k = map(int, input().split())\ntotal = defaultdict(int)\n"
                     "friend = 1\nfor x in map(int, input().split()):\n    total[friend] += x\n"
                     "    friend = friend + 1 if friend < k else 1\n"
                     "print(' '.join(str(total[j]) for j in range(1, k + 1)))\n"),
        Solution("cycle-zip", "1. itertools.cycle(range(K)) yields the receiving friend for each card forever.\n"
                              "2. zip it with the cards so dealing stops when the pile is empty.\n"
                              "3. Add each card to its friend's total and print.",
                     "from itertools import cycle\nn, k = map(int, input().split())\na = map(int, input().split())\n"
                     "totals = [0] * k\nfor friend, x in zip(cycle(range(k)), a):\n    totals[friend] += x\n"
                     "print(*totals)\n"),
        Solution("chunk-columns", "1. Pad A with zeros to a multiple of K and cut it into rows of K cards (one "
                                  "round of dealing each).\n2. Friend j's cards form column j of that table.\n"
                                  "3. zip(*rows) transposes it; print the column sums.",
                     "import sys\ndata = list(map(int, sys.stdin.read().split()))\nn, k = data[0], data[1]\n"
                     "a = data[2:2 + n]\na += [0] * (-len(a) % k)\n"
                     "rows = [a[i:i + k] for i in range(0, len(a), k)]\nprint(*map(sum, zip(*rows)))\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        return {"person": rng.choice(PEOPLE), "item": rng.choice(ITEMS), "n_max": rng.choice([10, 100, 200]),
                "k_max": rng.choice([5, 10, 50]), "a_max": rng.choice([10, 100, 10**9])}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        n_max, k_max, a_max = params["n_max"], params["k_max"], params["a_max"]
        if edge == 0:
            a, k = [1], 1
        elif edge == 1:
            a, k = [a_max], k_max
        elif edge == 2:
            a, k = [a_max] * n_max, 1
        else:
            a = [rng.randint(1, a_max) for _ in range(rand_len(rng, 1, n_max))]
            k = rng.randint(1, k_max)
        return f"{len(a)} {k}\n{' '.join(map(str, a))}\n"

    def reference(self, params: dict, stdin: str) -> str:
        t = list(map(int, stdin.split()))
        k, a = t[1], t[2:]
        return " ".join(str(sum(a[j::k])) for j in range(k)) + "\n"
