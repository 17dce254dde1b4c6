"""Topic: minmax.

Families: minmax_spread_within_limit, minmax_cheapest_total_cost, minmax_max_pair_product,
minmax_closest_to_target (held out).
What varies: two phrasings each; names, places and the measured quantity or product; the bounds; lists
in a row or a column; the yes/no words.
Solutions: five per family, finding the extreme by builtins, one tracking pass, sorting, reduce, heaps,
binary search or all pairs.
"""

from __future__ import annotations

import random

from codegen_study.synth.families.common import (
    PEOPLE,
    PLACES,
    format_list,
    layout_params,
    rand_len,
    statement,
    yes_no,
)
from codegen_study.synth.family import Family, Solution, register


@register
class MinmaxSpreadWithinLimit(Family):
    name = "minmax_spread_within_limit"
    topic = "minmax"
    title = "Stable $quantity"
    n_edges = 3
    _cons = [r"1 \leq N \leq $n_max", r"0 \leq D \leq $a_max", r"0 \leq A_i \leq $a_max",
         "All input values are integers."]
    statements = (
        statement("$person measured the $quantity in $place on N days; on day i it was A_i.\n"
                      "The $quantity is called stable if the difference between the largest and the smallest "
                      "measurement is at most D.\n"
                  "Determine whether it was stable.",
                  "N D\n$a_format", "Print $yes if the $quantity was stable, and $no otherwise.", _cons),
        statement("You are given N integers A_1, \\ldots, A_N and an integer D.\n"
                  "Determine whether \\max(A) - \\min(A) \\leq D holds.",
                  "N D\n$a_format", "If the condition holds, print $yes; otherwise, print $no.", _cons),
    )
    solutions = (
        Solution("builtins",
             "1. max and min give the extremes directly.\n2. Compare their difference with D.\n3. Print $yes or $no.",
                 'n, d = map(int, input().split())\na = $read_a\nprint("$yes" if max(a) - min(a) <= d else "$no")\n'),
        Solution("tracking-pass", "1. Walk through the values once, keeping the smallest and largest seen so far.\n"
                                  "2. At the end compare largest - smallest with D.\n3. Print the verdict.",
                     'n, d = map(int, input().split())\na = $read_a\nlo = hi = a[0]\nfor x in a[1:]:\n    if x < lo:\n'
                     '        lo = x\n    if x > hi:\n        hi = x\nif hi - lo <= d:\n    print("$yes")\nelse:\n'
                     '    print("$no")\n'),
        Solution("sort-ends", "1. Sort the values.\n2. The first element is the minimum and the last the maximum.\n"
                              "3. Compare their difference with D and print.",
                     'n, d = map(int, input().split())\na = sorted($read_a)\n'
                     'print("$yes" if a[-1] - a[0] <= d else "$no")\n'),
        Solution("reduce", "1. Fold the values into a (min, max) pair with functools.reduce.\n"
                           "2. Each step widens the pair to include the next value.\n3. Check the width against D.",
                     'import sys\nfrom functools import reduce\ndata = list(map(int, sys.stdin.read().split()))\n'
                     'n, d, a = data[0], data[1], data[2:]\n'
                     'lo, hi = reduce(lambda acc, x: (min(acc[0], x), max(acc[1], x)), a, (a[0], a[0]))\n'
                     'print("$yes" if hi - lo <= d else "$no")\n'),
        Solution("all-pairs", "1. The spread exceeds D exactly when some pair differs by more than D.\n"
                              "2. N is at most $n_max, so check every pair with any().\n"
                              "3. Print $no if such a pair exists, else $yes.",
                     'n, d = map(int, input().split())\na = $read_a\n'
                     'bad = any(abs(a[i] - a[j]) > d for i in range(n) for j in range(i + 1, n))\n'
                     'print("$no" if bad else "$yes")\n'),
    )

    def sample_params(self, rng: random.Random) -> dict:
        return {"person": rng.choice(PEOPLE), "place": rng.choice(PLACES),
                "quantity": rng.choice(["temperature", "river level", "air pressure", "humidity", "noise level"]),
                "n_max": rng.choice([10, 100, 200]), "a_max": rng.choice([100, 1000, 10**9]), **yes_no(rng),
                    **layout_params(rng)}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        n_max, a_max = params["n_max"], params["a_max"]
        if edge == 0:
            a, d = [a_max], 0
        elif edge == 1:
            a, d = [0] * n_max, 0
        elif edge == 2:
            a, d = [0, a_max] * (n_max // 2), a_max - 1
        else:
            base = rng.randint(0, a_max)
            width = rng.randint(0, min(a_max - base, rng.choice([5, a_max])))
            a = [rng.randint(base, base + width) for _ in range(rand_len(rng, 1, n_max))]
            d = max(0, min(a_max, max(a) - min(a) + rng.choice([-1, 0, 1, 5])))
        return f"{len(a)} {d}\n" + format_list(params, a)

    def reference(self, params: dict, stdin: str) -> str:
        t = list(map(int, stdin.split()))
        a = t[2:2 + t[0]]
        return (params["yes"] if max(a) - min(a) <= t[1] else params["no"]) + "\n"


@register
class MinmaxCheapestTotalCost(Family):
    name = "minmax_cheapest_total_cost"
    topic = "minmax"
    title = "Buying a $product"
    n_edges = 3
    _cons = [r"1 \leq N \leq $n_max", r"1 \leq F, P_i, S_i \leq $v_max", "All input values are integers."]
    statements = (
        statement("$person wants to buy one $product online. N shops sell it: shop i charges P_i yen for it plus a "
                  "shipping fee of S_i yen,\n"
                  "but every shop ships for free when the price of the $product is at least F yen.\n"
                  "Find the minimum total amount $person has to pay.",
                  "N F\nP_1 S_1\nP_2 S_2\n\\vdots\nP_N S_N", "Print the minimum total cost in yen.", _cons),
        statement("There are N offers for a $product. Offer i costs P_i + S_i if P_i < F, and P_i if P_i \\geq F.\n"
                  "Print the smallest cost among all offers.",
                  "N F\nP_1 S_1\nP_2 S_2\n\\vdots\nP_N S_N", "Print the answer as an integer.", _cons),
    )
    solutions = (
        Solution("loop", "1. For each shop compute its total: the price, plus shipping only when the price is "
                         "below F.\n2. Keep the smallest total seen.\n3. Print it.",
                     "n, f = map(int, input().split())\nbest = None\nfor _ in range(n):\n"
                     "    p, s = map(int, input().split())\n    total = p if p >= f else p + s\n"
                     "    if best is None or total < best:\n        best = total\nprint(best)\n"),
        Solution("min-generator", "1. Read all offers with sys.stdin.\n"
                                  "2. Express the total of an offer as P + S * (P < F).\n"
                                  "3. Take min over a generator expression and print it.",
                     "import sys\nt = list(map(int, sys.stdin.read().split()))\nn, f = t[0], t[1]\n"
                     "print(min(t[2 + 2 * i] + t[3 + 2 * i] * (t[2 + 2 * i] < f) for i in range(n)))\n"),
        Solution("sort-totals",
             "1. Build the list of all totals.\n2. Sort it ascending.\n3. The first element is the cheapest; print it.",
                     "n, f = map(int, input().split())\ntotals = []\nfor _ in range(n):\n"
                     "    p, s = map(int, input().split())\n    totals.append(p + (0 if p >= f else s))\n"
                     "totals.sort()\nprint(totals[0])\n"),
        Solution("heap",
             "1. Push every total onto a min-heap.\n2. The heap's root is the smallest total.\n3. Print heap[0].",
                     "import heapq\nn, f = map(int, input().split())\nheap = []\nfor _ in range(n):\n"
                     "    p, s = map(int, input().split())\n    heapq.heappush(heap, p if p >= f else p + s)\n"
                     "print(heap[0])\n"),
        Solution("reduce", "1. Map each offer line to its total with a helper function.\n"
                           "2. Fold the totals with functools.reduce and the builtin min.\n3. Print the result.",
                     "from functools import reduce\nn, f = map(int, input().split())\n\n\ndef cost(line):\n"
                     "    p, s = map(int, line.split())\n    return p if p >= f else p + s\n\n\n"
                     "print(reduce(min, (cost(input()) for _ in range(n))))\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        return {"person": rng.choice(PEOPLE), "product": rng.choice(["keyboard", "rice cooker", "book", "umbrella",
             "tea set", "lamp"]),
                "n_max": rng.choice([10, 100, 200]), "v_max": rng.choice([1000, 10**5, 10**9])}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        n_max, v_max = params["n_max"], params["v_max"]
        if edge == 0:
            f, rows = 1, [(1, 1)]
        elif edge == 1:
            f, rows = v_max, [(v_max, v_max)] * min(n_max, 100)
        elif edge == 2:  # the free-shipping shop wins only thanks to the threshold
            f = v_max // 2
            rows = [(f - 1, v_max - f + 2), (f, 1), (f - 2, v_max)]
        else:
            f = rng.randint(1, v_max)
            rows = []
            for _ in range(rand_len(rng, 1, n_max)):
                p = max(1, min(v_max, f + rng.randint(-5, 5))) if rng.random() < 0.5 else rng.randint(1, v_max)
                rows.append((p, rng.randint(1, rng.choice([10, v_max]))))
        return f"{len(rows)} {f}\n" + "".join(f"{p} {s}\n" for p, s in rows)

    def reference(self, params: dict, stdin: str) -> str:
        t = list(map(int, stdin.split()))
        f = t[1]
        return f"{min(p if p >= f else p + s for p, s in zip(t[2::2], t[3::2]))}\n"


@register
class MinmaxMaxPairProduct(Family):
    name = "minmax_max_pair_product"
    topic = "minmax"
    title = "Best Product"
    n_edges = 3
    _cons = [r"2 \leq N \leq $n_max", r"-$a_max \leq A_i \leq $a_max", "All input values are integers."]
    statements = (
        statement("$person has N $item, each with an integer A_i written on it (it may be negative).\n"
                      "$person chooses two different $item and multiplies their integers.\n"
                      "Find the largest product possible.",
                  "N\n$a_format", "Print the maximum product.", _cons),
        statement("Given an integer sequence A = (A_1, \\ldots, A_N), find the maximum value of A_i \\times A_j "
                  "over all pairs 1 \\leq i < j \\leq N.",
                  "N\n$a_format", "Print the maximum value.", _cons),
    )
    solutions = (
        Solution("brute-force",
             "1. N is at most $n_max, so try every pair i < j.\n2. Keep the largest product.\n3. Print it.",
                     "n = int(input())\na = $read_a\nbest = a[0] * a[1]\nfor i in range(n):\n"
                     "    for j in range(i + 1, n):\n        best = max(best, a[i] * a[j])\nprint(best)\n"),
        Solution("sort-ends", "1. Sort A. The best product uses either the two largest values or the two smallest "
                              "(two negatives make a positive).\n2. Compare a[-1] * a[-2] with a[0] * a[1].\n"
                              "3. Print the larger.",
                 "n = int(input())\na = sorted($read_a)\nprint(max(a[-1] * a[-2], a[0] * a[1]))\n"),
        Solution("one-pass", "1. In one pass, track the two largest and the two smallest values.\n"
                             "2. The answer is the larger of (largest * second largest) and (smallest * second "
                             "smallest).\n3. Print it.",
                     "n = int(input())\nmax1 = max2 = -float('inf')\nmin1 = min2 = float('inf')\nfor x in $read_a:\n"
                     "    if x > max1:\n        max1, max2 = x, max1\n    elif x > max2:\n        max2 = x\n"
                     "    if x < min1:\n        min1, min2 = x, min1\n    elif x < min2:\n        min2 = x\n"
                     "print(int(max(max1 * max2, min1 * min2)))\n"),
        Solution("heapq", "1. heapq.nlargest(2, A) and heapq.nsmallest(2, A) pick the two candidate pairs without "
                          "a full sort.\n2. Multiply each pair.\n3. Print the larger product.",
                     "import heapq\nn = int(input())\na = $read_a\nx1, x2 = heapq.nlargest(2, a)\n"
                     "y1, y2 = heapq.nsmallest(2, a)\nprint(max(x1 * x2, y1 * y2))\n"),
        Solution("combinations", "1. Read all tokens with sys.stdin.\n"
                                 "2. itertools.combinations(A, 2) yields every pair; take the max of the "
                                 "products.\n3. Print it.",
                     "import sys\nfrom itertools import combinations\nt = list(map(int, sys.stdin.read().split()))\n"
                     "print(max(x * y for x, y in combinations(t[1:1 + t[0]], 2)))\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        return {"person": rng.choice(PEOPLE), "item": rng.choice(["cards", "tiles", "tokens", "chips", "dice faces"]),
                "n_max": rng.choice([10, 100, 200]), "a_max": rng.choice([10, 1000, 10**9]), **layout_params(rng)}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        n_max, m = params["n_max"], params["a_max"]
        if edge == 0:
            a = [-m, m]
        elif edge == 1:
            a = [-m, -m + 1] + [m // 3] * (min(n_max, 100) - 2)
        elif edge == 2:
            a = [0, -m] if n_max == 2 else [0, -m, m]
        else:
            hi = rng.choice([5, m])
            a = [rng.randint(-hi, hi) for _ in range(rand_len(rng, 2, n_max))]
        return f"{len(a)}\n" + format_list(params, a)

    def reference(self, params: dict, stdin: str) -> str:
        t = list(map(int, stdin.split()))
        a = t[1:1 + t[0]]
        return f"{max(a[i] * a[j] for i in range(len(a)) for j in range(i + 1, len(a)))}\n"


@register
class MinmaxClosestToTarget(Family):
    name = "minmax_closest_to_target"
    topic = "minmax"
    title = "Closest to $target_word"
    n_edges = 3
    heldout = True
    _cons = [r"1 \leq N \leq $n_max", r"1 \leq X, A_i \leq $a_max", "All input values are integers."]
    statements = (
        statement("$person is looking for a $thing whose $target_word is as close as possible to X.\n"
                  "There are N candidates, and the i-th has $target_word A_i.\n"
                      "Find the $target_word of the best candidate: the one minimising |A_i - X|; if several are "
                      "equally close, choose the smallest value.",
                  "N X\n$a_format", "Print the chosen value.", _cons),
        statement("You are given integers X and A_1, A_2, \\ldots, A_N.\n"
                  "Among A_1, \\ldots, A_N, find the value nearest to X. "
                  "If there is a tie, print the smaller value.",
                  "N X\n$a_format", "Print the answer.", _cons),
    )
    solutions = (
        Solution("min-key", "1. Rank each value by the tuple (|A_i - X|, A_i): distance first, then the value "
                            "itself.\n2. min with that key applies both rules at once.\n3. Print the result.",
                 "n, x = map(int, input().split())\na = $read_a\nprint(min(a, key=lambda v: (abs(v - x), v)))\n"),
        Solution("loop", "1. Keep the best value so far.\n"
                         "2. Replace it when a value is strictly closer, or equally close but smaller.\n"
                         "3. Print the best value.",
                     "n, x = map(int, input().split())\na = $read_a\nbest = a[0]\nfor v in a[1:]:\n"
                     "    if abs(v - x) < abs(best - x) or (abs(v - x) == abs(best - x) and v < best):\n"
                     "        best = v\nprint(best)\n"),
        Solution("sort-bisect", "1. Sort A and locate X with bisect_left.\n"
                                "2. The nearest value is the predecessor or the element at that position.\n"
                                "3. Compare those two (the predecessor wins ties since it is smaller) and print.",
                     "from bisect import bisect_left\nn, x = map(int, input().split())\na = sorted($read_a)\n"
                     "i = bisect_left(a, x)\ncands = a[max(0, i - 1):i + 1]\n"
                     "print(min(cands, key=lambda v: (abs(v - x), v)))\n"),
        Solution("sort-by-key",
             "1. Sort the whole list by (distance to X, value).\n2. The first element is the answer.\n3. Print it.",
                     "import sys\nt = list(map(int, sys.stdin.read().split()))\nn, x = t[0], t[1]\n"
                     "print(sorted(t[2:2 + n], key=lambda v: (abs(v - x), v))[0])\n"),
        Solution("two-pass", "1. First pass: compute the smallest distance d to X.\n"
                             "2. Second pass: among values at distance d, take the minimum.\n3. Print it.",
                     "n, x = map(int, input().split())\na = $read_a\nd = min(abs(v - x) for v in a)\n"
                     "print(min(v for v in a if abs(v - x) == d))\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        thing, word = rng.choice([["melon", "weight"], ["apartment", "rent"], ["train", "departure time"], ["rope",
             "length"],
                                  ["watermelon", "price"]])
        return {"person": rng.choice(PEOPLE), "thing": thing, "target_word": word,
                "n_max": rng.choice([10, 100, 200]), "a_max": rng.choice([100, 10**5, 10**9]), **layout_params(rng)}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        n_max, m = params["n_max"], params["a_max"]
        if edge == 0:
            x, a = 1, [m]
        elif edge == 1:
            x, a = m // 2, [m // 2 - 3, m // 2 + 3] * (min(n_max, 100) // 2)
        elif edge == 2:
            x, a = m, [1] * min(n_max, 100)
        else:
            x = rng.randint(1, m)
            spread = rng.choice([4, m])
            a = [max(1, min(m, x + rng.randint(-spread, spread))) for _ in range(rand_len(rng, 1, n_max))]
        return f"{len(a)} {x}\n" + format_list(params, a)

    def reference(self, params: dict, stdin: str) -> str:
        t = list(map(int, stdin.split()))
        x, a = t[1], t[2:2 + t[0]]
        return f"{min(a, key=lambda v: (abs(v - x), v))}\n"
