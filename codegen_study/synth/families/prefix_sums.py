"""Topic: prefix_sums.

Families: prefix_range_sum_queries, prefix_best_window_sum, prefix_equal_split_count.
What varies: two phrasings each; names, items and measures; the bounds and whether values may be
negative; lists in a row or a column.
Solutions: five per family: prefix arrays (by hand or itertools.accumulate), sliding windows, Fenwick
trees, counted prefix sums, brute force over slices.
"""

from __future__ import annotations

import random

from codegen_study.synth.families.common import ITEMS, PEOPLE, format_list, layout_params, rand_len, statement
from codegen_study.synth.family import Family, Solution, register


@register
class PrefixRangeSumQueries(Family):
    name = "prefix_range_sum_queries"
    topic = "prefix_sums"
    title = "$item Between Shelves"
    n_edges = 3
    _cons = [r"1 \leq N, Q \leq $n_max", r"0 \leq A_i \leq $a_max", r"1 \leq L_j \leq R_j \leq N",
         "All input values are integers."]
    statements = (
        statement("$person's store has N shelves in a row; shelf i holds A_i $item.\n$person receives Q questions. "
                      "The j-th question asks: how many $item are on shelves L_j through R_j in total?\n"
                      "Answer every question.",
                  "N Q\nA_1 A_2 \\ldots A_N\nL_1 R_1\nL_2 R_2\n\\vdots\nL_Q R_Q",
                  "Print Q lines. The j-th line should contain the answer to the j-th question.", _cons),
        statement("You are given a sequence A = (A_1, \\ldots, A_N) and Q queries. For the j-th query, find "
                  "A_{L_j} + A_{L_j + 1} + \\cdots + A_{R_j}.",
                  "N Q\nA_1 A_2 \\ldots A_N\nL_1 R_1\nL_2 R_2\n\\vdots\nL_Q R_Q",
                       "Print the answers to the queries, one per line, in order.", _cons),
    )
    solutions = (
        Solution("prefix-array", "1. Build S with S[0] = 0 and S[i] = S[i - 1] + A_i.\n"
                                 "2. The sum over L..R is S[R] - S[L - 1].\n3. Answer each query in O(1).",
                     "n, q = map(int, input().split())\na = list(map(int, input().split()))\ns = [0] * (n + 1)\n"
                     "for i in range(n):\n    s[i + 1] = s[i] + a[i]\nfor _ in range(q):\n"
                     "    l, r = map(int, input().split())\n    print(s[r] - s[l - 1])\n"),
        Solution("accumulate", "1. itertools.accumulate with initial=0 gives all prefix sums in one call.\n"
                               "2. Read everything from sys.stdin and answer queries as differences of prefix "
                               "sums.\n3. Join the answers with newlines and print once.",
                     "import sys\nfrom itertools import accumulate\nt = list(map(int, sys.stdin.read().split()))\n"
                     "n, q = t[0], t[1]\npre = list(accumulate(t[2:2 + n], initial=0))\nqs = t[2 + n:]\n"
                     "print('\\n'.join(str(pre[qs[2 * j + 1]] - pre[qs[2 * j] - 1]) for j in range(q)))\n"),
        Solution("slice-sum", "1. N and Q are at most $n_max, so summing each range directly is fast enough.\n"
                              "2. The range L..R is the slice A[L - 1:R].\n"
                              "3. Print sum of the slice for each query.",
                     "n, q = map(int, input().split())\na = list(map(int, input().split()))\nfor _ in range(q):\n"
                     "    l, r = map(int, input().split())\n    print(sum(a[l - 1:r]))\n"),
        Solution("fenwick", "1. Load A into a Fenwick (binary indexed) tree, which answers prefix sums in O(log "
                            "N).\n2. A range sum is prefix(R) - prefix(L - 1).\n3. Print one answer per query.",
                     "n, q = map(int, input().split())\na = list(map(int, input().split()))\ntree = [0] * (n + 1)\n"
                     "for i, v in enumerate(a, 1):\n    while i <= n:\n        tree[i] += v\n        i += i & -i\n"
                     "\n\ndef prefix(i):\n    total = 0\n    while i > 0:\n        total += tree[i]\n"
                     "        i -= i & -i\n    return total\n\n\nfor _ in range(q):\n"
                     "    l, r = map(int, input().split())\n    print(prefix(r) - prefix(l - 1))\n"),
        Solution("suffix-array", "1. Build suffix sums instead: T[i] = A_i + A_{i+1} + ... + A_N, with T[N + 1] = "
                                 "0.\n2. The sum over L..R is T[L] - T[R + 1].\n"
                                 "3. Answer each query with that difference.",
                     "n, q = map(int, input().split())\na = list(map(int, input().split()))\nsuf = [0] * (n + 2)\n"
                     "for i in range(n, 0, -1):\n    suf[i] = suf[i + 1] + a[i - 1]\nout = []\nfor _ in range(q):\n"
                     "    l, r = map(int, input().split())\n    out.append(suf[l] - suf[r + 1])\n"
                     "print(*out, sep='\\n')\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        return {"person": rng.choice(PEOPLE), "item": rng.choice(ITEMS), "n_max": rng.choice([10, 100, 1000]),
                "a_max": rng.choice([10, 1000, 10**9])}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        n_max, a_max = params["n_max"], params["a_max"]
        if edge == 0:
            a, qs = [0], [(1, 1)]
        elif edge == 1:
            n = min(n_max, 100)
            a, qs = [a_max] * n, [(1, n)] * n
        elif edge == 2:
            n = min(n_max, 100)
            a, qs = [rng.randint(0, a_max) for _ in range(n)], [(i, i) for i in range(1, n + 1)]
        else:
            n = rand_len(rng, 1, n_max)
            a = [rng.randint(0, a_max) for _ in range(n)]
            qs = []
            for _ in range(rand_len(rng, 1, n_max)):
                l = rng.randint(1, n)
                qs.append((l, rng.randint(l, n)))
        return f"{len(a)} {len(qs)}\n{' '.join(map(str, a))}\n" + "".join(f"{l} {r}\n" for l, r in qs)

    def reference(self, params: dict, stdin: str) -> str:
        t = list(map(int, stdin.split()))
        n, q = t[0], t[1]
        a, qs = t[2:2 + n], t[2 + n:]
        return "".join(f"{sum(a[qs[2 * j] - 1:qs[2 * j + 1]])}\n" for j in range(q))


@register
class PrefixBestWindowSum(Family):
    name = "prefix_best_window_sum"
    topic = "prefix_sums"
    title = "Best $k_word-Day Stretch"
    n_edges = 3
    _cons = [r"1 \leq K \leq N \leq $n_max", r"$a_lo \leq A_i \leq $a_max", "All input values are integers."]
    statements = (
        statement("$person kept a diary of N days; on day i the $measure changed by A_i (it may be negative).\n"
                      "$person wants to frame the best stretch of exactly K consecutive days, the one whose total "
                      "change is the largest.\n"
                  "Find that largest total.",
                  "N K\n$a_format", "Print the largest total over K consecutive days.", _cons),
        statement("You are given a sequence A = (A_1, \\ldots, A_N) and an integer K.\n"
                  "Find the maximum of A_i + A_{i+1} + \\cdots + A_{i+K-1} over 1 \\leq i \\leq N - K + 1.",
                  "N K\n$a_format", "Print the maximum value.", _cons),
    )
    solutions = (
        Solution("sliding-window", "1. Sum the first K values.\n"
                                   "2. Slide the window one step at a time: add the entering value, subtract the "
                                   "leaving one.\n3. Track and print the best window sum.",
                     "n, k = map(int, input().split())\na = $read_a\ncur = sum(a[:k])\nbest = cur\n"
                     "for i in range(k, n):\n    cur += a[i] - a[i - k]\n    best = max(best, cur)\nprint(best)\n"),
        Solution("prefix-diff", "1. Build prefix sums S with S[0] = 0.\n"
                                "2. The window starting at i (0-based) sums to S[i + K] - S[i].\n"
                                "3. Print the maximum over all starts.",
                     "n, k = map(int, input().split())\na = $read_a\ns = [0]\nfor x in a:\n    s.append(s[-1] + x)\n"
                     "print(max(s[i + k] - s[i] for i in range(n - k + 1)))\n"),
        Solution("brute-slices", "1. N is at most $n_max, so summing each window directly is fine.\n"
                                 "2. The window at i is the slice A[i:i + K].\n3. Print the largest slice sum.",
                     "n, k = map(int, input().split())\na = $read_a\n"
                     "print(max(sum(a[i:i + k]) for i in range(n - k + 1)))\n"),
        Solution("accumulate-zip", "1. itertools.accumulate(A, initial=0) gives the prefix sums.\n"
                                   "2. Pair each prefix with the one K positions later using zip; the differences "
                                   "are the window sums.\n3. Print the maximum difference.",
                     "import sys\nfrom itertools import accumulate\nt = list(map(int, sys.stdin.read().split()))\n"
                     "n, k = t[0], t[1]\npre = list(accumulate(t[2:2 + n], initial=0))\n"
                     "print(max(hi - lo for lo, hi in zip(pre, pre[k:])))\n"),
        Solution("deque-window", "1. Keep the current window in a deque together with its running sum.\n"
                                 "2. Append each new value; once the window holds more than K values, pop the "
                                 "oldest from the left.\n3. Whenever it holds exactly K values, update the best "
                                 "sum; print it.",
                     "from collections import deque\nn, k = map(int, input().split())\nwindow = deque()\ncur = 0\n"
                     "best = None\nfor x in $read_a:\n    window.append(x)\n    cur += x\n    if len(window) > k:\n"
                     "        cur -= window.popleft()\n    if len(window) == k and (best is None or cur > best):\n"
                     "        best = cur\nprint(best)\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        a_max = rng.choice([10, 1000, 10**9])
        return {"person": rng.choice(PEOPLE), "measure": rng.choice(["savings", "weight", "score", "follower count",
             "step goal"]),
                "k_word": rng.choice(["K", "Lucky", "Golden", "Perfect"]), "n_max": rng.choice([10, 100, 200]),
                "a_max": a_max, "a_lo": rng.choice([0, -a_max]), **layout_params(rng)}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        n_max, lo, hi = params["n_max"], params["a_lo"], params["a_max"]
        if edge == 0:
            a, k = [lo], 1
        elif edge == 1:
            a, k = [hi] * n_max, n_max
        elif edge == 2:
            a, k = [lo] * (n_max - 1) + [hi], 1
        else:
            a = [rng.randint(lo, hi) for _ in range(rand_len(rng, 1, n_max))]
            k = rng.randint(1, len(a))
        return f"{len(a)} {k}\n" + format_list(params, a)

    def reference(self, params: dict, stdin: str) -> str:
        t = list(map(int, stdin.split()))
        n, k, a = t[0], t[1], t[2:2 + t[0]]
        return f"{max(sum(a[i:i + k]) for i in range(n - k + 1))}\n"


@register
class PrefixEqualSplitCount(Family):
    name = "prefix_equal_split_count"
    topic = "prefix_sums"
    title = "Fair Cut of the $thing"
    n_edges = 3
    _cons = [r"2 \leq N \leq $n_max", r"$a_lo \leq A_i \leq $a_max", "All input values are integers."]
    statements = (
        statement("$person and a friend share a $thing made of N pieces in a row; piece i has a tastiness value "
                  "A_i (possibly negative or zero).\n"
                      "They cut it between two adjacent pieces: the left part goes to $person and the right part to "
                      "the friend; both parts must be non-empty.\n"
                  "A cut is fair if both parts have the same total tastiness. How many fair cuts are there?",
                  "N\n$a_format", "Print the number of fair cuts.", _cons),
        statement("You are given a sequence of N integers A_1, \\ldots, A_N.\n"
                  "Find the number of integers k with 1 \\leq k \\leq N - 1 such that "
                  "A_1 + \\cdots + A_k = A_{k+1} + \\cdots + A_N.",
                  "N\n$a_format", "Print the answer.", _cons),
    )
    solutions = (
        Solution("running-sum", "1. Compute the total T.\n2. Scan k = 1..N-1 with a running left sum s; the cut is "
                                "fair when s = T - s, i.e. 2s = T.\n3. Count such k and print.",
                     "n = int(input())\na = $read_a\ntotal = sum(a)\ns = 0\ncount = 0\nfor x in a[:-1]:\n    s += x\n"
                     "    if 2 * s == total:\n        count += 1\nprint(count)\n"),
        Solution("prefix-array", "1. Build prefix sums P[0..N].\n"
                                 "2. The left part of cut k sums to P[k] and the right part to P[N] - P[k].\n"
                                 "3. Count the k in 1..N-1 where they are equal.",
                     "n = int(input())\na = $read_a\np = [0] * (n + 1)\nfor i in range(n):\n"
                     "    p[i + 1] = p[i] + a[i]\nprint(sum(1 for k in range(1, n) if p[k] == p[n] - p[k]))\n"),
        Solution("brute-slices", "1. N is at most $n_max, so each cut can be checked by summing both slices.\n"
                                 "2. Compare sum(A[:k]) with sum(A[k:]) for k = 1..N-1.\n"
                                 "3. Print how many are equal.",
                 "n = int(input())\na = $read_a\nprint(sum(sum(a[:k]) == sum(a[k:]) for k in range(1, n)))\n"),
        Solution("accumulate-count", "1. A fair cut needs the left sum to be exactly half of the total, so an odd "
                                     "total has no fair cut.\n2. Otherwise, the first N - 1 prefix sums from "
                                     "itertools.accumulate are the left sums.\n"
                                     "3. Count how many equal T / 2 with list.count.",
                     "import sys\nfrom itertools import accumulate\nt = list(map(int, sys.stdin.read().split()))\n"
                     "n, a = t[0], t[1:1 + t[0]]\ntotal = sum(a)\nif total % 2:\n    print(0)\nelse:\n"
                     "    print(list(accumulate(a))[:-1].count(total // 2))\n"),
        Solution("counter", "1. Tally the prefix sums of the first N - 1 pieces in a collections.Counter.\n"
                            "2. Fair cuts are the prefixes equal to half the total (only possible when the total "
                            "is even).\n3. Look that value up in the Counter and print it.",
                     "from collections import Counter\nn = int(input())\na = $read_a\nseen = Counter()\ns = 0\n"
                     "for x in a[:-1]:\n    s += x\n    seen[s] += 1\ntotal = s + a[-1]\n"
                     "print(seen[total // 2] if total % 2 == 0 else 0)\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        a_max = rng.choice([3, 100, 10**9])
        return {"person": rng.choice(PEOPLE), "thing": rng.choice(["chocolate bar", "baguette", "ribbon cake",
             "roll cake", "sushi roll"]),
                "n_max": rng.choice([10, 100, 200]), "a_max": a_max, "a_lo": rng.choice([0, -a_max]),
                    **layout_params(rng)}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        n_max, lo, hi = params["n_max"], params["a_lo"], params["a_max"]
        if edge == 0:
            a = [hi, hi]
        elif edge == 1:
            a = [0] * n_max if lo == 0 else [lo, hi] * (n_max // 2)
        elif edge == 2:
            a = [hi] * (n_max - 1) + [lo]
        else:
            n = rand_len(rng, 2, n_max)
            small = rng.random() < 0.6
            a = [rng.randint(max(lo, -2), min(hi, 2)) if small else rng.randint(lo, hi) for _ in range(n)]
            if not small and rng.random() < 0.5:  # plant one fair cut
                k = rng.randint(1, n - 1)
                diff = sum(a[:k]) - sum(a[k:])
                if lo <= a[-1] + diff <= hi:
                    a[-1] += diff
        return f"{len(a)}\n" + format_list(params, a)

    def reference(self, params: dict, stdin: str) -> str:
        t = list(map(int, stdin.split()))
        a = t[1:1 + t[0]]
        return f"{sum(sum(a[:k]) == sum(a[k:]) for k in range(1, len(a)))}\n"
