"""Topic: brute_force.

Families: brute_pairs_with_sum, brute_three_boxes_sum, brute_coin_ways.
What varies: two phrasings each; names, items, boxes and currencies; the coin denominations; bounds
small enough for exhaustive loops in Python to finish well under a second.
Solutions: five per family: exhaustive loops (double, triple, itertools.product) next to smarter counts
(hashing, sorting with bisect, inclusion-exclusion, convolution, DP, meet in the middle).
"""

from __future__ import annotations

import random

from codegen_study.synth.families.common import PEOPLE_ALT, ints
from codegen_study.synth.family import Family, Solution, register


@register
class BrutePairsWithSum(Family):
    name = "brute_pairs_with_sum"
    topic = "brute_force"
    title = "Pairs Adding Up to K"
    n_edges = 3
    statements = (
        r"""$person has N ${item}s in a row; the i-th one has the number A_i written on it.
How many pairs of integers (i, j) with 1 \leq i < j \leq N satisfy A_i + A_j = K?

Input

The input is given from Standard Input in the following format:
N K
A_1 A_2 \ldots A_N

Output

Print the number of such pairs.

Constraints

- 1 \leq N \leq $n_max
- 2 \leq K \leq $k_max
- 1 \leq A_i \leq $a_max
- All input values are integers.

$samples""",
        r"""You are given a sequence of N positive integers A = (A_1, A_2, \ldots, A_N) from $person's ${item}s, and """
        r"""an integer K.
Count the index pairs i < j such that the two values add up to exactly K.

Input

The input is given from Standard Input in the following format:
N K
A_1 A_2 \ldots A_N

Output

Print the answer.

Constraints

- All input values are integers.
- 1 \leq N \leq $n_max
- 1 \leq A_i \leq $a_max
- 2 \leq K \leq $k_max

$samples""",
    )
    solutions = (
        Solution("double-loop", "1. N is small, so try every pair i < j with two nested loops.\n"
                                "2. Count the pairs whose sum equals K.\n3. Print the count.",
                     "n, k = map(int, input().split())\na = list(map(int, input().split()))\ncnt = 0\n"
                     "for i in range(n):\n    for j in range(i + 1, n):\n        if a[i] + a[j] == k:\n"
                     "            cnt += 1\nprint(cnt)\n"),
        Solution("combinations", "1. itertools.combinations(A, 2) yields every unordered pair of positions exactly "
                                 "once.\n2. Count those whose two values sum to K.\n3. Print the count.",
                     "from itertools import combinations\nn, k = map(int, input().split())\n"
                     "a = list(map(int, input().split()))\n"
                     "print(sum(1 for x, y in combinations(a, 2) if x + y == k))\n"),
        Solution("one-pass-dict", "1. Scan left to right, remembering how often each value has appeared so far.\n"
                                  "2. For the current value x, every earlier occurrence of K - x forms a valid "
                                  "pair; add that count.\n3. Record x and continue; print the total.",
                     "n, k = map(int, input().split())\nseen = {}\ncnt = 0\nfor x in map(int, input().split()):\n"
                     "    cnt += seen.get(k - x, 0)\n    seen[x] = seen.get(x, 0) + 1\nprint(cnt)\n"),
        Solution("counter-formula", "1. Count occurrences of each value with collections.Counter.\n"
                                    "2. For a value v with partner w = K - v: if v < w there are c[v] * c[w] "
                                    "pairs; if v = w there are c[v] * (c[v] - 1) / 2.\n"
                                    "3. Sum over all values (each unordered value pair once) and print.",
                     "from collections import Counter\nn, k = map(int, input().split())\n"
                     "c = Counter(map(int, input().split()))\nans = 0\nfor v in c:\n    w = k - v\n    if v < w:\n"
                     "        ans += c[v] * c[w]\n    elif v == w:\n        ans += c[v] * (c[v] - 1) // 2\n"
                     "print(ans)\n"),
        Solution("sort-bisect", "1. Sort A; for each position i, the partners must equal K - A_i and lie after i.\n"
                                "2. bisect_left and bisect_right on the suffix give how many such partners exist.\n"
                                "3. Sum these counts and print.",
                     "import sys\nfrom bisect import bisect_left, bisect_right\n"
                     "data = list(map(int, sys.stdin.read().split()))\nn, k = data[0], data[1]\n"
                     "a = sorted(data[2:2 + n])\nans = 0\nfor i in range(n):\n    t = k - a[i]\n"
                     "    ans += bisect_right(a, t, i + 1) - bisect_left(a, t, i + 1)\nprint(ans)\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        a_max = rng.choice([10, 100, 1000])
        return {"person": rng.choice(PEOPLE_ALT),
                "item": rng.choice(["card", "ball", "block", "token", "tile", "badge"]),
                "n_max": rng.choice([10, 50, 100, 200]), "a_max": a_max, "k_max": 2 * a_max}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        am, n_cap = params["a_max"], min(params["n_max"], 200)
        if edge == 0:
            n, k, a = 1, 2, [1]
        elif edge == 1:  # every pair works
            v = rng.randint(1, am)
            n, k, a = n_cap, 2 * v, [v] * n_cap
        elif edge == 2:  # no pair works
            n, k = n_cap, 2 * am
            a = [rng.randint(1, am - 1) for _ in range(n)]
        else:
            n = rng.randint(1, n_cap)
            top = rng.choice([am, min(am, 10)])
            a = [rng.randint(1, top) for _ in range(n)]
            k = rng.randint(2, 2 * top)
        return f"{n} {k}\n{' '.join(map(str, a))}\n"

    def reference(self, params: dict, stdin: str) -> str:
        v = ints(stdin)
        n, k, a = v[0], v[1], v[2:2 + v[0]]
        return f"{sum(a[i] + a[j] == k for i in range(n) for j in range(i + 1, n))}\n"


@register
class BruteThreeSum(Family):
    name = "brute_three_boxes_sum"
    topic = "brute_force"
    title = "Three $Boxes"
    n_edges = 3
    statements = (
        r"""$person will put ${item}s into three $boxes. Each $box must receive at least $lo and at most L ${item}s, """
        r"""and the three $boxes together must receive exactly S ${item}s.
How many ways are there to decide the numbers of ${item}s in the three $boxes? Two ways are different if some $box """
        r"""receives a different number of ${item}s. (The ${item}s themselves are indistinguishable, and the $boxes """
        r"""are distinguishable.)

Input

The input is given from Standard Input in the following format:
L S

Output

Print the number of ways.

Constraints

- 1 \leq L \leq $l_max
- 0 \leq S \leq 3L
- All input values are integers.

$samples""",
        r"""Given integers L and S, count the triples of integers (x, y, z) such that $lo \leq x, y, z \leq L and x """
        r"""+ y + z = S.
(This is the number of ways $person can fill three $boxes with ${item}s under these limits.)

Input

The input is given from Standard Input in the following format:
L S

Output

Print the number of triples.

Constraints

- All input values are integers.
- 1 \leq L \leq $l_max
- 0 \leq S \leq 3 \times L

$samples""",
    )
    solutions = (
        Solution("triple-loop", "1. L is at most $l_max, so all of the at most (L+1)^3 triples can be tried.\n"
                                "2. Loop x, y, z over $lo..L and count those with x + y + z = S.\n"
                                "3. Print the count.",
                     "l, s = map(int, input().split())\ncnt = 0\nfor x in range($lo, l + 1):\n"
                     "    for y in range($lo, l + 1):\n        for z in range($lo, l + 1):\n"
                     "            if x + y + z == s:\n                cnt += 1\nprint(cnt)\n"),
        Solution("double-loop", "1. Once x and y are fixed, z = S - x - y is forced.\n"
                                "2. Loop over x and y only and check that z lies within $lo..L.\n"
                                "3. Print the number of valid (x, y).",
                     "l, s = map(int, input().split())\ncnt = 0\nfor x in range($lo, l + 1):\n"
                     "    for y in range($lo, l + 1):\n        if $lo <= s - x - y <= l:\n            cnt += 1\n"
                     "print(cnt)\n"),
        Solution("product", "1. itertools.product(range($lo, L + 1), repeat=3) enumerates every triple.\n"
                            "2. Count the triples whose sum equals S.\n3. Print the count.",
                     "from itertools import product\nl, s = map(int, input().split())\n"
                     "print(sum(1 for t in product(range($lo, l + 1), repeat=3) if sum(t) == s))\n"),
        Solution("inclusion-exclusion", "1. Shift each variable down by $lo: now 0 <= x' <= M = L - $lo and the "
                                        "target is T = S - 3*$lo.\n"
                                        "2. Without the upper bound there are C(T+2, 2) solutions; subtract those "
                                        "where some variable exceeds M by inclusion-exclusion over how many "
                                        "variables do.\n3. Print the sum of (-1)^k C(3, k) C(T - k(M+1) + 2, 2) "
                                        "over k with T - k(M+1) >= 0.",
                     "from math import comb\nl, s = map(int, input().split())\nm = l - $lo\nt = s - 3 * $lo\nans = 0\n"
                     "for k in range(4):\n    r = t - k * (m + 1)\n    if r >= 0:\n"
                     "        ans += (-1) ** k * comb(3, k) * comb(r + 2, 2)\nprint(ans)\n"),
        Solution("convolution", "1. ways[v] = number of ways to reach the total v with the boxes filled so far; "
                                "start with ways[0] = 1.\n2. For each of the three boxes, add every amount $lo..L "
                                "to every reachable total (a small DP convolution).\n3. Print ways[S].",
                     "l, s = map(int, input().split())\nways = {0: 1}\nfor _ in range(3):\n    nxt = {}\n"
                     "    for v, c in ways.items():\n        for add in range($lo, l + 1):\n"
                     "            nxt[v + add] = nxt.get(v + add, 0) + c\n    ways = nxt\nprint(ways.get(s, 0))\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        box, boxes = rng.choice([("box", "boxes"), ("basket", "baskets"), ("dish", "dishes"), ("pouch", "pouches")])
        return {"person": rng.choice(PEOPLE_ALT), "item": rng.choice(["button", "marble", "coin", "bead", "stamp",
             "chestnut"]),
                "box": box, "boxes": boxes, "Boxes": boxes.capitalize(), "lo": rng.choice([0, 1]),
                    "l_max": rng.choice([10, 20, 30, 40, 50])}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        lm = params["l_max"]
        if edge == 0:
            return "1 0\n"
        if edge == 1:
            return f"{lm} {3 * lm // 2}\n"
        if edge == 2:
            return f"{lm} {3 * lm}\n"
        l_ = rng.randint(1, lm)
        return f"{l_} {rng.randint(0, 3 * l_)}\n"

    def reference(self, params: dict, stdin: str) -> str:
        l_, s = ints(stdin)
        lo = params["lo"]
        return f"{sum(1 for x in range(lo, l_ + 1) for y in range(lo, l_ + 1) if lo <= s - x - y <= l_)}\n"


COIN_TRIPLES = [(500, 100, 50), (100, 50, 10), (50, 10, 5), (25, 10, 5), (10, 5, 1), (200, 50, 20), (1000, 500, 100)]


@register
class BruteCoinWays(Family):
    name = "brute_coin_ways"
    topic = "brute_force"
    title = "Paying $x_word"
    n_edges = 3
    statements = (
        r"""$person has A coins of $d1 $currency, B coins of $d2 $currency and C coins of $d3 $currency.
In how many ways can he select some of these coins so that their total value is exactly X $currency?
Coins of the same value are indistinguishable. Two ways are different if, for some kind of coin, the numbers of """
        r"""selected coins of that kind differ.

Input

The input is given from Standard Input in the following format:
A
B
C
X

Output

Print the number of ways.

Constraints

- 0 \leq A, B, C \leq $c_max
- A + B + C \geq 1
- $d3 \leq X \leq $x_max
- X is a multiple of $d3.
- All input values are integers.

$samples""",
        r"""A wallet contains A coins worth $d1, B coins worth $d2 and C coins worth $d3 (all in $currency).
Count the triples (a, b, c) with 0 \leq a \leq A, 0 \leq b \leq B, 0 \leq c \leq C and $d1 a + $d2 b + $d3 c = X; """
        r"""that is how many ways $person can pay exactly X.

Input

The input is given from Standard Input in the following format:
A
B
C
X

Output

Print the number of triples.

Constraints

- All input values are integers.
- 0 \leq A, B, C \leq $c_max and A + B + C \geq 1.
- $d3 \leq X \leq $x_max, and X is a multiple of $d3.

$samples""",
    )
    solutions = (
        Solution("triple-loop", "1. The counts are at most $c_max, so enumerate every (a, b, c) directly.\n"
                                "2. Count the triples whose value $d1 a + $d2 b + $d3 c equals X.\n"
                                "3. Print the count.",
                     "A = int(input())\nB = int(input())\nC = int(input())\nX = int(input())\ncnt = 0\n"
                     "for a in range(A + 1):\n    for b in range(B + 1):\n        for c in range(C + 1):\n"
                     "            if $d1 * a + $d2 * b + $d3 * c == X:\n                cnt += 1\nprint(cnt)\n"),
        Solution("derive-third", "1. Fix a and b; the rest, X - $d1 a - $d2 b, must be paid with $d3 coins.\n"
                                 "2. It works when the rest is non-negative, divisible by $d3 and needs at most C "
                                 "coins.\n3. Count the valid (a, b) and print.",
                     "A, B, C, X = (int(input()) for _ in range(4))\ncnt = 0\nfor a in range(A + 1):\n"
                     "    for b in range(B + 1):\n        rest = X - $d1 * a - $d2 * b\n"
                     "        if rest >= 0 and rest % $d3 == 0 and rest // $d3 <= C:\n            cnt += 1\n"
                     "print(cnt)\n"),
        Solution("product", "1. itertools.product over range(A+1), range(B+1), range(C+1) gives every selection.\n"
                            "2. Count the selections whose value is X.\n3. Print the count.",
                     "import sys\nfrom itertools import product\nA, B, C, X = map(int, sys.stdin.read().split())\n"
                     "print(sum(1 for a, b, c in product(range(A + 1), range(B + 1), range(C + 1)) if $d1 * a + "
                     "$d2 * b + $d3 * c == X))\n"),
        Solution("dp-by-kind", "1. Keep a map from reachable totals to the number of ways, starting with {0: 1}.\n"
                               "2. For each coin kind (value, count), extend every total by 0..count coins of that "
                               "kind.\n3. Print the number of ways to reach X.",
                     "A, B, C, X = (int(input()) for _ in range(4))\nways = {0: 1}\n"
                     "for value, count in (($d1, A), ($d2, B), ($d3, C)):\n    nxt = {}\n"
                     "    for total, w in ways.items():\n        for k in range(count + 1):\n"
                     "            t = total + value * k\n            nxt[t] = nxt.get(t, 0) + w\n    ways = nxt\n"
                     "print(ways.get(X, 0))\n"),
        Solution("meet-in-middle", "1. Count how many (a, b) give each partial value $d1 a + $d2 b, using a "
                                   "Counter.\n2. For each c, the partial value must be X - $d3 c; look it up.\n"
                                   "3. Sum the lookups and print.",
                     "from collections import Counter\nA, B, C, X = (int(input()) for _ in range(4))\n"
                     "part = Counter($d1 * a + $d2 * b for a in range(A + 1) for b in range(B + 1))\n"
                     "print(sum(part[X - $d3 * c] for c in range(C + 1)))\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        d1, d2, d3 = rng.choice(COIN_TRIPLES)
        c_max = rng.choice([10, 20, 30, 50])
        return {"person": rng.choice(PEOPLE_ALT), "currency": rng.choice(["yen", "gold", "credits", "pesos", "cents"]),
                "x_word": rng.choice(["Exactly", "with Coins", "the Bill"]), "d1": d1, "d2": d2, "d3": d3,
                "c_max": c_max, "x_max": c_max * (d1 + d2 + d3)}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        cm, d3 = params["c_max"], params["d3"]
        if edge == 0:
            a, b, c, x = 1, 0, 0, d3
        elif edge == 1:
            a = b = c = cm
            x = (params["x_max"] // 2) // d3 * d3
        elif edge == 2:
            a = b = c = cm
            x = params["x_max"]
        else:
            a, b, c = (rng.randint(0, cm) for _ in range(3))
            if a + b + c == 0:
                c = 1
            top = params["d1"] * a + params["d2"] * b + d3 * c
            x = rng.randint(1, max(1, top // d3)) * d3
        return f"{a}\n{b}\n{c}\n{x}\n"

    def reference(self, params: dict, stdin: str) -> str:
        a, b, c, x = ints(stdin)
        d1, d2, d3 = params["d1"], params["d2"], params["d3"]
        cnt = sum(1 for i in range(a + 1) for j in range(b + 1)
                  if (r := x - d1 * i - d2 * j) >= 0 and r % d3 == 0 and r // d3 <= c)
        return f"{cnt}\n"
