"""Topic: greedy.

Families: greedy_min_coins, greedy_max_items_budget, greedy_top_k_sum.
What varies: two phrasings each; names, items and currencies; the canonical coin system; the bounds (up
to 10^18) and whether values may be negative.
Solutions: five per family: the greedy choice (divmod, subtraction, sorting, heaps, nlargest) next to at
least one other route to the answer (DP, recursion, BFS, binary search).
"""

from __future__ import annotations

import random

from codegen_study.synth.families.common import PEOPLE_ALT, and_list, ints, num_text
from codegen_study.synth.family import Family, Solution, register

# Canonical coin systems (the greedy choice is optimal for each), largest first.
COIN_SYSTEMS = [
    [500, 100, 50, 10, 5, 1], [200, 100, 50, 20, 10, 5, 2, 1], [1000, 100, 10, 1], [243, 81, 27, 9, 3, 1],
    [100, 25, 10, 5, 1], [64, 32, 16, 8, 4, 2, 1], [125, 25, 5, 1],
]


@register
class GreedyMinCoins(Family):
    name = "greedy_min_coins"
    topic = "greedy"
    title = "Exact Change in $currency"
    n_edges = 3
    statements = (
        r"""In the country where $person lives, there are coins worth $coin_text $currency.
$person wants to pay exactly X $currency using these coins. He has as many coins of each kind as he needs.
Find the minimum number of coins he needs to use.

Input

The input is given from Standard Input in the following format:
X

Output

Print the minimum number of coins.

Constraints

- 1 \leq X \leq $x_max_t
- X is an integer.

$samples""",
        r"""A vending machine returns change using coins of values $coin_text ($currency), and it always uses as few """
        r"""coins as possible.
$person receives X $currency of change. How many coins come out of the machine?

Input

The input is given from Standard Input in the following format:
X

Output

Print the number of coins as an integer.

Constraints

- X is an integer with 1 \leq X \leq $x_max_t.

$samples""",
    )
    solutions = (
        Solution("greedy-divmod", "1. In this coin system, taking as many of the largest coin as possible is "
                                  "always optimal.\n2. Go through the coins from largest to smallest; divmod(X, c) "
                                  "gives how many coins of value c to use and what remains.\n"
                                  "3. Add up the counts and print.",
                     "x = int(input())\nCOINS = [$coins]\nans = 0\nfor c in COINS:\n    q, x = divmod(x, c)\n"
                     "    ans += q\nprint(ans)\n"),
        Solution("greedy-subtract", "1. Repeatedly pick the largest coin not exceeding the remaining amount.\n"
                                    "2. Subtract it and count one coin.\n3. Stop at 0 and print the count.",
                     "x = int(input())\nCOINS = [$coins]\nans = 0\nwhile x > 0:\n"
                     "    c = next(c for c in COINS if c <= x)\n    x -= c\n    ans += 1\nprint(ans)\n"),
        Solution("dp", "1. Let dp[v] be the fewest coins that make v; dp[0] = 0.\n"
                       "2. For v = 1..X, dp[v] = 1 + min(dp[v - c]) over coins c <= v (the coin 1 always fits).\n"
                       "3. Print dp[X]; this needs no assumption about the coin system.",
                     "x = int(input())\nCOINS = [$coins]\ndp = [0] * (x + 1)\nfor v in range(1, x + 1):\n"
                     "    dp[v] = min(dp[v - c] for c in COINS if c <= v) + 1\nprint(dp[x])\n"),
        Solution("recursion", "1. Define pay(x, coins): use x // coins[0] of the largest coin, then pay the "
                              "remainder with the rest.\n2. The recursion ends when the amount is 0 or no coins "
                              "remain.\n3. Print pay(X, all coins).",
                     "def pay(x, coins):\n    if x == 0 or not coins:\n        return 0\n"
                     "    return x // coins[0] + pay(x % coins[0], coins[1:])\n\n"
                     "print(pay(int(input()), [$coins]))\n"),
        Solution("bfs", "1. Treat amounts 0..X as nodes; adding one coin moves from v to v + c.\n"
                        "2. Breadth-first search from 0 finds the fewest coins (edges) to reach each amount.\n"
                        "3. Print the distance to X.",
                     "from collections import deque\nx = int(input())\nCOINS = [$coins]\ndist = [-1] * (x + 1)\n"
                     "dist[0] = 0\nq = deque([0])\nwhile q:\n    v = q.popleft()\n    for c in COINS:\n"
                     "        u = v + c\n        if u <= x and dist[u] < 0:\n            dist[u] = dist[v] + 1\n"
                     "            q.append(u)\nprint(dist[x])\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        coins = rng.choice(COIN_SYSTEMS)
        x_max = rng.choice([1000, 5000, 10000])
        return {"person": rng.choice(PEOPLE_ALT), "currency": rng.choice(["yen", "gold", "credits", "pesos"]),
                "coins": ", ".join(map(str, coins)), "coin_text": and_list(coins[::-1]),
                "x_max": x_max, "x_max_t": num_text(x_max)}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        x = {0: 1, 1: params["x_max"], 2: params["x_max"] - 1}.get(edge)
        return f"{x if x is not None else rng.randint(1, params['x_max'])}\n"

    def reference(self, params: dict, stdin: str) -> str:
        x, ans = int(stdin), 0
        for c in map(int, params["coins"].split(", ")):
            ans += x // c
            x %= c
        return f"{ans}\n"


@register
class GreedyMaxItemsBudget(Family):
    name = "greedy_max_items_budget"
    topic = "greedy"
    title = "Shopping with $m_word"
    n_edges = 3
    statements = (
        r"""There are N ${item}s in a shop, and the i-th $item costs P_i $currency. $person has M $currency.
$person wants to buy as many different ${item}s as possible (at most one of each) so that the total cost does not """
        r"""exceed M.
Find the maximum number of ${item}s he can buy.

Input

The input is given from Standard Input in the following format:
N M
P_1 P_2 \ldots P_N

Output

Print the maximum number of ${item}s.

Constraints

- 1 \leq N \leq $n_max_t
- 1 \leq M \leq $m_max_t
- 1 \leq P_i \leq $p_max_t
- All input values are integers.

$samples""",
        r"""$person has a budget of M $currency and a list of N ${item}s; buying the i-th one costs P_i $currency.
Each $item can be bought at most once. What is the largest number of ${item}s whose total price is at most M?

Input

The input is given from Standard Input in the following format:
N M
P_1 P_2 \ldots P_N

Output

Print the answer.

Constraints

- All input values are integers.
- 1 \leq N \leq $n_max_t
- 1 \leq M \leq $m_max_t
- 1 \leq P_i \leq $p_max_t (1 \leq i \leq N)

$samples""",
    )
    solutions = (
        Solution("sort-loop", "1. To buy k items as cheaply as possible, buy the k cheapest ones.\n"
                              "2. Sort the prices and add them from the cheapest while the total stays within M.\n"
                              "3. Print how many were added.",
                     "n, m = map(int, input().split())\np = sorted(map(int, input().split()))\ncnt = 0\nfor x in p:\n"
                     "    if m < x:\n        break\n    m -= x\n    cnt += 1\nprint(cnt)\n"),
        Solution("prefix-bisect", "1. Sort the prices; the prefix sums give the cheapest cost of buying k items.\n"
                                  "2. The prefix sums increase, so bisect_right finds how many of them are <= M.\n"
                                  "3. Print that number.",
                     "from bisect import bisect_right\nfrom itertools import accumulate\n"
                     "n, m = map(int, input().split())\npre = list(accumulate(sorted(map(int, input().split()))))\n"
                     "print(bisect_right(pre, m))\n"),
        Solution("heap", "1. Put the prices into a min-heap.\n"
                         "2. Pop the cheapest item while it still fits in the remaining budget.\n"
                         "3. Print the number of pops.",
                     "import heapq\nn, m = map(int, input().split())\nh = list(map(int, input().split()))\n"
                     "heapq.heapify(h)\ncnt = 0\nwhile h and h[0] <= m:\n    m -= heapq.heappop(h)\n    cnt += 1\n"
                     "print(cnt)\n"),
        Solution("drop-expensive", "1. Start by taking every item.\n"
                                   "2. While the total exceeds M, give back the most expensive remaining item "
                                   "(scan the prices from the largest down).\n3. Print how many items are left.",
                     "import sys\ndata = list(map(int, sys.stdin.read().split()))\nn, m = data[0], data[1]\n"
                     "p = sorted(data[2:2 + n], reverse=True)\ntotal = sum(p)\nk = n\ni = 0\nwhile total > m:\n"
                     "    total -= p[i]\n    i += 1\n    k -= 1\nprint(k)\n"),
        Solution("binary-search-count", "1. Sort the prices; k items are affordable exactly when the k cheapest "
                                        "cost at most M, a monotone condition in k.\n"
                                        "2. Binary search the largest such k, checking sum(p[:k]) <= M.\n"
                                        "3. Print k.",
                     "n, m = map(int, input().split())\np = sorted(map(int, input().split()))\nlo, hi = 0, n\n"
                     "while lo < hi:\n    mid = (lo + hi + 1) // 2\n    if sum(p[:mid]) <= m:\n        lo = mid\n"
                     "    else:\n        hi = mid - 1\nprint(lo)\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        n_max, p_max, m_max = rng.choice([10, 100, 1000, 200000]), rng.choice([100, 1000, 10**9]), rng.choice([10**4,
            10**9, 10**18])
        return {"person": rng.choice(PEOPLE_ALT), "item": rng.choice(["souvenir", "book", "snack", "toy", "sticker",
             "plant"]),
                "currency": rng.choice(["yen", "dollars", "coins"]), "m_word": rng.choice(["a Budget", "M Coins",
                     "Pocket Money"]),
                "n_max_t": num_text(n_max), "p_max_t": num_text(p_max), "m_max_t": num_text(m_max),
                "n_max": n_max, "p_max": p_max, "m_max": m_max}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        pm, mm = params["p_max"], params["m_max"]
        if edge == 0:  # cannot afford anything
            m = min(mm, pm - 1) if pm > 1 else 1
            p = [min(pm, m + 1)] if m < pm else [pm]
            n = 1
        elif edge == 1:  # everything at the top price, as many as fit
            n = min(params["n_max"], 100)
            p = [pm] * n
            m = mm
        elif edge == 2:  # exactly the budget
            n, m = 1, min(pm, mm)
            p = [m]
        else:
            n = rng.randint(1, min(params["n_max"], 100))
            top = rng.choice([pm, min(pm, 50)])
            p = [rng.randint(1, top) for _ in range(n)]
            m = rng.randint(1, min(mm, max(1, sum(p))))
        return f"{n} {m}\n{' '.join(map(str, p))}\n"

    def reference(self, params: dict, stdin: str) -> str:
        v = ints(stdin)
        n, m, cnt = v[0], v[1], 0
        for x in sorted(v[2:2 + n]):
            if x > m:
                break
            m -= x
            cnt += 1
        return f"{cnt}\n"


@register
class GreedyTopKSum(Family):
    name = "greedy_top_k_sum"
    topic = "greedy"
    title = "Choose $K_word ${item}s"
    n_edges = 3
    statements = (
        r"""$person has N ${item}s. The i-th $item has a value of A_i.
$person will choose exactly K of them. Find the maximum possible total value of the chosen ${item}s.

Input

The input is given from Standard Input in the following format:
N K
A_1 A_2 \ldots A_N

Output

Print the maximum total value.

Constraints

- 1 \leq K \leq N \leq $n_max
- $a_lo_t \leq A_i \leq $a_hi_t
- All input values are integers.

$samples""",
        r"""You are given an integer sequence A = (A_1, \ldots, A_N) describing the scores of $person's ${item}s, """
        r"""and an integer K.
Choose K distinct indices i_1 < i_2 < \cdots < i_K and maximize A_{i_1} + A_{i_2} + \cdots + A_{i_K}. Print the maximum.

Input

The input is given from Standard Input in the following format:
N K
A_1 A_2 \ldots A_N

Output

Print the answer.

Constraints

- All input values are integers.
- 1 \leq K \leq N \leq $n_max
- $a_lo_t \leq A_i \leq $a_hi_t

$samples""",
    )
    solutions = (
        Solution("sort-desc", "1. Any chosen item could be swapped for a larger unchosen one without lowering the "
                              "total, so take the K largest values.\n"
                              "2. Sort in descending order and sum the first K.\n3. Print the sum.",
                     "n, k = map(int, input().split())\na = sorted(map(int, input().split()), reverse=True)\n"
                     "print(sum(a[:k]))\n"),
        Solution("nlargest", "1. The best choice is the K largest values.\n"
                             "2. heapq.nlargest(K, A) returns them directly.\n3. Print their sum.",
                     "import heapq\nn, k = map(int, input().split())\na = list(map(int, input().split()))\n"
                     "print(sum(heapq.nlargest(k, a)))\n"),
        Solution("bounded-heap", "1. Keep a min-heap holding the K largest values seen so far.\n"
                                 "2. For each new value, push it and pop the smallest when the heap grows beyond "
                                 "K.\n3. At the end the heap holds the K largest; print their sum.",
                     "import heapq\nn, k = map(int, input().split())\nheap = []\nfor x in map(int, input().split()):\n"
                     "    heapq.heappush(heap, x)\n    if len(heap) > k:\n        heapq.heappop(heap)\n"
                     "print(sum(heap))\n"),
        Solution("total-minus-rest", "1. Choosing K items is the same as leaving out N - K of them.\n"
                                     "2. To maximize the total, leave out the N - K smallest values.\n"
                                     "3. Print sum(A) minus the sum of the N - K smallest.",
                     "import sys\ndata = list(map(int, sys.stdin.read().split()))\nn, k = data[0], data[1]\n"
                     "a = sorted(data[2:2 + n])\nprint(sum(a) - sum(a[:n - k]))\n"),
        Solution("repeated-max", "1. Pick the largest remaining value K times (the greedy choice).\n"
                                 "2. Each time, add max(a) to the total and remove one copy of it from the list.\n"
                                 "3. Print the total.",
                     "n, k = map(int, input().split())\na = list(map(int, input().split()))\ntotal = 0\n"
                     "for _ in range(k):\n    best = max(a)\n    total += best\n    a.remove(best)\nprint(total)\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        a_hi = rng.choice([100, 1000, 10**9])
        a_lo = rng.choice([0, 1, -a_hi])
        return {"person": rng.choice(PEOPLE_ALT),
                "item": rng.choice(["card", "gem", "song", "coin", "painting", "ticket"]),
                "K_word": rng.choice(["K", "the Best", "Exactly K"]), "n_max": rng.choice([10, 100, 1000]),
                "a_lo": a_lo, "a_hi": a_hi, "a_lo_t": ("-" + num_text(a_hi)) if a_lo < 0 else str(a_lo),
                    "a_hi_t": num_text(a_hi)}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        lo, hi = params["a_lo"], params["a_hi"]
        n_cap = min(params["n_max"], 200)
        if edge == 0:
            n, k, a = 1, 1, [rng.randint(lo, hi)]
        elif edge == 1:
            n = n_cap
            k, a = n, [hi] * n
        elif edge == 2:  # all equal at the lower bound, K in the middle
            n = n_cap
            k, a = max(1, n // 2), [lo] * n
        else:
            n = rng.randint(1, n_cap)
            k = rng.randint(1, n)
            a = [rng.randint(lo, hi) for _ in range(n)]
        return f"{n} {k}\n{' '.join(map(str, a))}\n"

    def reference(self, params: dict, stdin: str) -> str:
        v = ints(stdin)
        n, k = v[0], v[1]
        return f"{sum(sorted(v[2:2 + n], reverse=True)[:k])}\n"
