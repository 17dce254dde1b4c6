"""Topic: greedy.

Families: greedy_interval_scheduling (held out), greedy_raise_to_nondecreasing.
What varies: two phrasings each; names, events, venues and things; the bounds on N, times and heights.
Solutions: five per family: earliest end first or a running maximum, next to DP (with bisect or over
time), folds and in-place passes.
"""

from __future__ import annotations

import random

from codegen_study.synth.families.common import PEOPLE_ALT, ints, num_text
from codegen_study.synth.family import Family, Solution, register


@register
class GreedyIntervalScheduling(Family):
    name = "greedy_interval_scheduling"
    topic = "greedy"
    title = "As Many ${event}s as Possible"
    n_edges = 3
    heldout = True
    statements = (
        r"""There are N ${event}s at the $venue today. The i-th $event starts at time S_i and ends at time T_i.
$person wants to attend as many ${event}s as possible. He cannot attend two ${event}s at the same time, but he may """
        r"""attend a $event that starts exactly when another one he attends ends. He must attend each chosen $event """
        r"""from start to end.
Find the maximum number of ${event}s he can attend.

Input

The input is given from Standard Input in the following format:
N
S_1 T_1
S_2 T_2
\vdots
S_N T_N

Output

Print the maximum number of ${event}s.

Constraints

- 1 \leq N \leq $n_max_t
- 0 \leq S_i < T_i \leq $t_max_t
- All input values are integers.

$samples""",
        r"""The $venue has received N reservation requests; request i wants to use it during the half-open time """
        r"""interval [S_i, T_i).
Accepted requests must not overlap (two intervals that only touch at an endpoint do not overlap). As the manager, """
        r"""$person wants to accept as many requests as possible. Find that number.

Input

The input is given from Standard Input in the following format:
N
S_1 T_1
\vdots
S_N T_N

Output

Print the maximum number of requests that can be accepted.

Constraints

- All input values are integers.
- 1 \leq N \leq $n_max_t
- 0 \leq S_i < T_i \leq $t_max_t

$samples""",
    )
    solutions = (
        Solution("earliest-end", "1. Among the ${event}s that fit, always take the one that ends first: it leaves "
                                 "the most room for the rest.\n"
                                 "2. Sort by end time and take every interval whose start is at least the end of "
                                 "the last taken one.\n3. Print the number taken.",
                     "n = int(input())\niv = [tuple(map(int, input().split())) for _ in range(n)]\n"
                     "iv.sort(key=lambda p: p[1])\ncnt = 0\nlast = -1\nfor s, t in iv:\n    if s >= last:\n"
                     "        cnt += 1\n        last = t\nprint(cnt)\n"),
        Solution("swap-pairs", "1. Read all numbers at once and build (end, start) pairs, so plain tuple sorting "
                               "orders by end time.\n2. Greedily keep each pair whose start is not before the "
                               "current end.\n3. Print how many were kept.",
                     "import sys\nv = list(map(int, sys.stdin.read().split()))\nn = v[0]\n"
                     "pairs = sorted(zip(v[2::2], v[1::2]))\nend = -1\nkept = 0\nfor t, s in pairs:\n"
                     "    if s >= end:\n        end = t\n        kept += 1\nprint(kept)\n"),
        Solution("dp-bisect", "1. Sort by end time; dp[i] is the best answer using only the first i intervals.\n"
                              "2. For interval i, the intervals compatible before it are those with end <= S_i, "
                              "found by bisect_right on the sorted ends; dp[i+1] = max(dp[i], dp[j] + 1).\n"
                              "3. Print dp[N].",
                     "from bisect import bisect_right\nn = int(input())\n"
                     "iv = sorted((tuple(map(int, input().split())) for _ in range(n)), key=lambda p: p[1])\n"
                     "ends = [t for _, t in iv]\ndp = [0] * (n + 1)\nfor i, (s, t) in enumerate(iv):\n"
                     "    j = bisect_right(ends, s)\n    dp[i + 1] = max(dp[i], dp[j] + 1)\nprint(dp[n])\n"),
        Solution("by-start-shrink", "1. Sort by start time and keep the end of the last chosen interval.\n"
                                    "2. If the next interval starts at or after that end, take it; otherwise it "
                                    "overlaps, so keep whichever of the two ends earlier (swap if the new one ends "
                                    "sooner).\n3. Print the number of chosen intervals.",
                     "n = int(input())\niv = sorted(tuple(map(int, input().split())) for _ in range(n))\ncnt = 1\n"
                     "cur_end = iv[0][1]\nfor s, t in iv[1:]:\n    if s >= cur_end:\n        cnt += 1\n"
                     "        cur_end = t\n    else:\n        cur_end = min(cur_end, t)\nprint(cnt)\n"),
        Solution("time-dp", "1. Compress the distinct times into indices and group the intervals by their end "
                            "time.\n2. best[k] = the most intervals finishing by the k-th time: best[k] = "
                            "max(best[k-1], best[index of S] + 1 over intervals ending there).\n"
                            "3. Print best at the last time.",
                     "n = int(input())\niv = [tuple(map(int, input().split())) for _ in range(n)]\n"
                     "times = sorted({x for p in iv for x in p})\nidx = {x: k for k, x in enumerate(times)}\n"
                     "ending = [[] for _ in times]\nfor s, t in iv:\n    ending[idx[t]].append(idx[s])\n"
                     "best = [0] * len(times)\nfor k in range(1, len(times)):\n    best[k] = best[k - 1]\n"
                     "    for j in ending[k]:\n        best[k] = max(best[k], best[j] + 1)\nprint(best[-1])\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        n_max, t_max = rng.choice([10, 100, 1000, 200000]), rng.choice([100, 1000, 10**9])
        return {"person": rng.choice(PEOPLE_ALT),
                "event": rng.choice(["meeting", "show", "lecture", "game", "concert"]),
                "venue": rng.choice(["community hall", "stadium", "festival", "conference center"]),
                "n_max_t": num_text(n_max), "t_max_t": num_text(t_max), "n_max": n_max, "t_max": t_max}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        tm = params["t_max"]
        n_cap = min(params["n_max"], 100)
        if edge == 0:
            iv = [(0, tm)]
        elif edge == 1:  # all identical
            iv = [(0, 1)] * n_cap
        elif edge == 2:  # a chain of touching intervals plus one long interval covering them
            k = min(n_cap - 1, tm) if n_cap > 1 else 1
            iv = [(i * (tm // k), (i + 1) * (tm // k)) for i in range(k)] + ([(0, tm)] if n_cap > 1 else [])
        else:
            n = rng.randint(1, n_cap)
            span = min(tm, rng.choice([20, 100, tm]))
            iv = []
            for _ in range(n):
                s = rng.randint(0, span - 1)
                iv.append((s, rng.randint(s + 1, min(span, s + max(1, span // 4)))))
        rng.shuffle(iv)
        return f"{len(iv)}\n" + "".join(f"{s} {t}\n" for s, t in iv)

    def reference(self, params: dict, stdin: str) -> str:
        v = ints(stdin)
        iv = sorted(zip(v[1::2], v[2::2]), key=lambda p: p[1])
        cnt, last = 0, -1
        for s, t in iv:
            if s >= last:
                cnt, last = cnt + 1, t
        return f"{cnt}\n"


@register
class GreedyNonDecreasing(Family):
    name = "greedy_raise_to_nondecreasing"
    topic = "greedy"
    title = "Growing ${thing}s"
    n_edges = 3
    statements = (
        r"""$person has N ${thing}s standing in a row. The height of the i-th $thing from the left is H_i.
$person can perform the following operation any number of times: choose one $thing and increase its height by 1.
Find the minimum number of operations needed so that the heights are non-decreasing from left to right, that is, H_1 """
        r"""\leq H_2 \leq \cdots \leq H_N.

Input

The input is given from Standard Input in the following format:
N
H_1 H_2 \ldots H_N

Output

Print the minimum number of operations.

Constraints

- 1 \leq N \leq $n_max_t
- 1 \leq H_i \leq $h_max_t
- All input values are integers.

$samples""",
        r"""You are given a sequence H = (H_1, \ldots, H_N) of the heights of $person's ${thing}s. In one operation """
        r"""you may add 1 to any single element.
Heights can never be decreased. What is the smallest number of operations after which H_i \leq H_{i+1} holds for """
        r"""every 1 \leq i < N?

Input

The input is given from Standard Input in the following format:
N
H_1 H_2 \ldots H_N

Output

Print the answer as an integer.

Constraints

- All input values are integers.
- 1 \leq N \leq $n_max_t
- 1 \leq H_i \leq $h_max_t

$samples""",
    )
    solutions = (
        Solution("running-max", "1. Each element must reach at least the largest height before it, and raising it "
                                "exactly to that running maximum is enough.\n"
                                "2. Walk left to right keeping the running maximum; add (max - H_i) when H_i is "
                                "lower, otherwise update the maximum.\n3. Print the total.",
                     "n = int(input())\nh = list(map(int, input().split()))\nbest = 0\nops = 0\nfor x in h:\n"
                     "    if x < best:\n        ops += best - x\n    else:\n        best = x\nprint(ops)\n"),
        Solution("accumulate-max", "1. The final height of element i is the prefix maximum max(H_1..H_i).\n"
                                   "2. itertools.accumulate with max produces all prefix maxima.\n"
                                   "3. The answer is the sum of (prefix max - H_i).",
                     "from itertools import accumulate\nn = int(input())\nh = list(map(int, input().split()))\n"
                     "print(sum(p - x for p, x in zip(accumulate(h, max), h)))\n"),
        Solution("reduce-state", "1. Fold over the heights with functools.reduce, carrying the pair (current "
                                 "maximum, operations so far).\n"
                                 "2. Each step raises the new height to the maximum if needed and adds the "
                                 "difference.\n3. Print the operation count from the final pair.",
                     "from functools import reduce\ninput()\nh = map(int, input().split())\n"
                     "best, ops = reduce(lambda st, x: (max(st[0], x), st[1] + max(0, st[0] - x)), h, (0, 0))\n"
                     "print(ops)\n"),
        Solution("in-place", "1. Simulate the raising: for i from 2 to N, if H_i < H_{i-1}, raise H_i to H_{i-1} "
                             "and count the difference.\n2. Since the list is modified in place, H_{i-1} is "
                             "already the raised value.\n3. Print the count.",
                     "import sys\ndata = list(map(int, sys.stdin.read().split()))\nn, h = data[0], data[1:]\nops = 0\n"
                     "for i in range(1, n):\n    if h[i] < h[i - 1]:\n        ops += h[i - 1] - h[i]\n"
                     "        h[i] = h[i - 1]\nprint(ops)\n"),
        Solution("sum-difference", "1. The cheapest final sequence is the prefix maximum sequence, and each "
                                   "operation adds exactly 1 to the total height.\n"
                                   "2. So the answer is sum(prefix maxima) - sum(H), computed with a generator "
                                   "that tracks the maximum.\n3. Print the difference.",
                     "n = int(input())\nh = list(map(int, input().split()))\n\ndef prefix_max(xs):\n    m = 0\n"
                     "    for x in xs:\n        m = max(m, x)\n        yield m\n\n"
                     "print(sum(prefix_max(h)) - sum(h))\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        n_max, h_max = rng.choice([10, 100, 1000, 200000]), rng.choice([100, 1000, 10**9])
        return {"person": rng.choice(PEOPLE_ALT),
                "thing": rng.choice(["plant", "tower", "fence post", "candle", "pillar"]),
                "n_max": n_max, "h_max": h_max, "n_max_t": num_text(n_max), "h_max_t": num_text(h_max)}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        hm, n_cap = params["h_max"], min(params["n_max"], 200)
        if edge == 0:
            h = [rng.randint(1, hm)]
        elif edge == 1:  # strictly decreasing from the maximum
            h = [max(1, hm - i) for i in range(n_cap)]
        elif edge == 2:  # already non-decreasing
            h = sorted(rng.randint(1, hm) for _ in range(n_cap))
        else:
            top = rng.choice([hm, min(hm, 10)])
            h = [rng.randint(1, top) for _ in range(rng.randint(1, n_cap))]
        return f"{len(h)}\n{' '.join(map(str, h))}\n"

    def reference(self, params: dict, stdin: str) -> str:
        v = ints(stdin)
        best = ops = 0
        for x in v[1:1 + v[0]]:
            best = max(best, x)
            ops += best - x
        return f"{ops}\n"
