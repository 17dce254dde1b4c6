"""Topic: brute_force.

Families: brute_subset_sum (held out), brute_closest_values.
What varies: two phrasings each; names, items, units and the compared quantity; the casing of yes/no;
the bounds (at most 15 items for the subset search).
Solutions: five per family: exhaustive search (bitmasks, combinations, recursion, all pairs) next to
reachable-set and bitset DP, and sorting (adjacent pairs, sorted insertion).
"""

from __future__ import annotations

import random

from codegen_study.synth.families.common import PEOPLE_ALT, YES_NO_CASINGS, ints, num_text
from codegen_study.synth.family import Family, Solution, register


@register
class BruteSubsetSum(Family):
    name = "brute_subset_sum"
    topic = "brute_force"
    title = "Exactly S $unit"
    n_edges = 3
    heldout = True
    statements = (
        r"""$person has N ${item}s. The i-th $item weighs W_i $unit.
Is it possible to choose some of the ${item}s (at least one) so that their total weight is exactly S $unit?

Input

The input is given from Standard Input in the following format:
N S
W_1 W_2 \ldots W_N

Output

If it is possible, print $yes; otherwise, print $no.

Constraints

- 1 \leq N \leq $n_max
- 1 \leq W_i \leq $w_max
- 1 \leq S \leq $s_max
- All input values are integers.

$samples""",
        r"""You are given N positive integers W_1, \ldots, W_N (the weights of $person's ${item}s, in $unit) and a """
        r"""target S.
Determine whether some non-empty subset of them sums to exactly S.

Input

The input is given from Standard Input in the following format:
N S
W_1 W_2 \ldots W_N

Output

Print $yes if such a subset exists, and $no otherwise.

Constraints

- All input values are integers.
- 1 \leq N \leq $n_max
- 1 \leq W_i \leq $w_max
- 1 \leq S \leq $s_max

$samples""",
    )
    solutions = (
        Solution("bitmask", "1. With N <= $n_max there are at most 2^$n_max subsets; encode each as a bitmask.\n"
                            "2. For every mask, add the weights whose bits are set and compare with S.\n"
                            "3. Print $yes if some mask matches, else $no.",
                     "n, s = map(int, input().split())\nw = list(map(int, input().split()))\nfound = False\n"
                     "for mask in range(1, 1 << n):\n    if sum(w[i] for i in range(n) if mask >> i & 1) == s:\n"
                     "        found = True\n        break\nprint('$yes' if found else '$no')\n"),
        Solution("combinations", "1. Try every subset size r from 1 to N.\n"
                                 "2. itertools.combinations(W, r) lists the subsets of that size; any() stops at "
                                 "the first one summing to S.\n3. Print the verdict.",
                     "from itertools import combinations\nn, s = map(int, input().split())\n"
                     "w = list(map(int, input().split()))\n"
                     "ok = any(sum(c) == s for r in range(1, n + 1) for c in combinations(w, r))\n"
                     "print('$yes' if ok else '$no')\n"),
        Solution("recursion", "1. Decide the items one by one: each is either taken or skipped.\n"
                              "2. Recurse on (index, remaining target); stop early when the target hits 0 or goes "
                              "negative (all weights are positive, and S >= 1 so the chosen set is non-empty).\n"
                              "3. Print $yes if some branch reaches 0.",
                     "import sys\nsys.setrecursionlimit(10000)\nn, s = map(int, input().split())\n"
                     "w = list(map(int, input().split()))\n\ndef can(i, rest):\n    if rest == 0:\n"
                     "        return True\n    if rest < 0 or i == n:\n        return False\n"
                     "    return can(i + 1, rest - w[i]) or can(i + 1, rest)\n\n"
                     "print('$yes' if can(0, s) else '$no')\n"),
        Solution("reachable-set", "1. Keep the set of sums reachable with the items seen so far, starting from "
                                  "{0}.\n2. For each item, add its weight to every reachable sum and merge.\n"
                                  "3. S >= 1, so S in the final set means a non-empty subset works; print the "
                                  "verdict.",
                     "n, s = map(int, input().split())\nreach = {0}\nfor x in map(int, input().split()):\n"
                     "    reach |= {r + x for r in reach}\nprint('$yes' if s in reach else '$no')\n"),
        Solution("bitset", "1. Use one Python integer as a bitset: bit v is set when the sum v is reachable; start "
                           "with bit 0.\n2. For each weight x, bits |= bits << x adds x to every reachable sum at "
                           "once.\n3. Test bit S and print the verdict.",
                     "import sys\ndata = list(map(int, sys.stdin.read().split()))\nn, s = data[0], data[1]\nbits = 1\n"
                     "for x in data[2:2 + n]:\n    bits |= bits << x\nprint('$yes' if bits >> s & 1 else '$no')\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        yes, no = rng.choice(YES_NO_CASINGS)
        n_max, w_max = rng.choice([8, 10, 12, 15]), rng.choice([10, 100, 1000])
        return {"person": rng.choice(PEOPLE_ALT), "item": rng.choice(["weight", "stone", "package", "gift", "bag"]),
                "unit": rng.choice(["grams", "kilograms", "units"]), "yes": yes, "no": no,
                "n_max": n_max, "w_max": w_max, "s_max": n_max * w_max}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        nm, wm = params["n_max"], params["w_max"]
        if edge == 0:
            w = [rng.randint(1, wm)]
            s = w[0]
        elif edge == 1:  # all even weights, odd target: impossible after trying every subset
            w = [2 * rng.randint(1, wm // 2) for _ in range(nm)]
            s = 1 + 2 * rng.randint(0, (sum(w) - 2) // 2)
        elif edge == 2:  # the whole set
            w = [wm] * nm
            s = nm * wm
        else:
            n = rng.randint(1, nm)
            w = [rng.randint(1, wm) for _ in range(n)]
            s = rng.randint(1, sum(w))
        return f"{len(w)} {s}\n{' '.join(map(str, w))}\n"

    def reference(self, params: dict, stdin: str) -> str:
        v = ints(stdin)
        n, s = v[0], v[1]
        reach = {0}
        for x in v[2:2 + n]:
            reach |= {r + x for r in reach if r + x <= s}
        return f"{params['yes'] if s in reach else params['no']}\n"


@register
class BruteClosestPair(Family):
    name = "brute_closest_values"
    topic = "brute_force"
    title = "Closest $quantity"
    n_edges = 3
    statements = (
        r"""There are N $people in $person's class, and the $quantity of the i-th one is A_i.
$person wants to choose two different $people whose ${quantity}s are as close as possible. Find the minimum possible """
        r"""value of |A_i - A_j| over all pairs i \neq j.

Input

The input is given from Standard Input in the following format:
N
A_1 A_2 \ldots A_N

Output

Print the minimum absolute difference.

Constraints

- 2 \leq N \leq $n_max
- 1 \leq A_i \leq $a_max_t
- All input values are integers.

$samples""",
        r"""You are given N integers A_1, A_2, \ldots, A_N ($person's record of the ${quantity}s of N $people).
Print \min_{1 \leq i < j \leq N} |A_i - A_j|.

Input

The input is given from Standard Input in the following format:
N
A_1 A_2 \ldots A_N

Output

Print the answer.

Constraints

- All input values are integers.
- 2 \leq N \leq $n_max
- 1 \leq A_i \leq $a_max_t

$samples""",
    )
    solutions = (
        Solution("double-loop", "1. N is at most $n_max, so checking all pairs is fast enough.\n"
                                "2. Track the minimum of |A_i - A_j| over i < j with two nested loops.\n"
                                "3. Print the minimum.",
                     "n = int(input())\na = list(map(int, input().split()))\nbest = float('inf')\nfor i in range(n):\n"
                     "    for j in range(i + 1, n):\n        best = min(best, abs(a[i] - a[j]))\nprint(best)\n"),
        Solution("combinations-min", "1. itertools.combinations(A, 2) lists every pair once.\n"
                                     "2. Take min of the absolute differences with a generator.\n3. Print it.",
                     "from itertools import combinations\nn = int(input())\na = list(map(int, input().split()))\n"
                     "print(min(abs(x - y) for x, y in combinations(a, 2)))\n"),
        Solution("sort-adjacent", "1. After sorting, the closest pair is always two neighbours: anything farther "
                                  "apart has a neighbour pair inside it that is at least as close.\n"
                                  "2. Compute a[i+1] - a[i] for consecutive elements of the sorted list.\n"
                                  "3. Print the smallest gap.",
                     "n = int(input())\na = sorted(map(int, input().split()))\nbest = a[1] - a[0]\n"
                     "for i in range(1, n - 1):\n    best = min(best, a[i + 1] - a[i])\nprint(best)\n"),
        Solution("pairwise", "1. Sort the values.\n2. itertools.pairwise yields consecutive pairs of the sorted "
                             "list; the minimum gap among them is the answer.\n3. Print it.",
                     "import sys\nfrom itertools import pairwise\ndata = list(map(int, sys.stdin.read().split()))\n"
                     "a = sorted(data[1:1 + data[0]])\nprint(min(y - x for x, y in pairwise(a)))\n"),
        Solution("insert-sorted", "1. Insert the values one by one into a sorted list with bisect.insort.\n"
                                  "2. Before inserting x, only its future neighbours (the elements just below and "
                                  "just above it) can be the closest earlier value; update the answer with them.\n"
                                  "3. Print the best difference.",
                     "from bisect import bisect_left, insort\nn = int(input())\nseen = []\nbest = None\n"
                     "for x in map(int, input().split()):\n    k = bisect_left(seen, x)\n    for j in (k - 1, k):\n"
                     "        if 0 <= j < len(seen):\n            d = abs(x - seen[j])\n"
                     "            if best is None or d < best:\n                best = d\n    insort(seen, x)\n"
                     "print(best)\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        people, quantity = rng.choice([("students", "height"), ("students", "score"), ("runners", "time"),
                                       ("players", "rating"), ("children", "weight")])
        a_max = rng.choice([100, 10**4, 10**9])
        return {"person": rng.choice(PEOPLE_ALT), "people": people, "quantity": quantity,
                "n_max": rng.choice([10, 50, 100, 300]), "a_max": a_max, "a_max_t": num_text(a_max)}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        am, n_cap = params["a_max"], min(params["n_max"], 200)
        if edge == 0:
            a = [1, am]
        elif edge == 1:  # duplicates: answer 0
            a = [rng.randint(1, am) for _ in range(n_cap - 1)]
            a.append(a[0])
            rng.shuffle(a)
        elif edge == 2:  # evenly spread
            n = min(n_cap, am)
            step = (am - 1) // (n - 1)
            a = [1 + i * step for i in range(n)]
            rng.shuffle(a)
        else:
            a = [rng.randint(1, am) for _ in range(rng.randint(2, n_cap))]
        return f"{len(a)}\n{' '.join(map(str, a))}\n"

    def reference(self, params: dict, stdin: str) -> str:
        v = ints(stdin)
        a = sorted(v[1:1 + v[0]])
        return f"{min(y - x for x, y in zip(a, a[1:]))}\n"
