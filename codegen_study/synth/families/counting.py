"""Topic: counting.

Families: count_multiples_in_range, count_distinct_values, count_pairs_with_sum, count_passing_scores,
count_mismatched_positions (held out).
What varies: two phrasings each; names, items and places; the bounds on N, values, K and scores; lists
in a row or a column; the alphabet of the compared strings.
Solutions: five per family, each counting another way: formula, loop, builtin, hashing, sorting with
binary search, recursion.
"""

from __future__ import annotations

import random

from codegen_study.synth.families.common import ITEMS, PEOPLE, PLACES, format_list, layout_params, rand_len, statement
from codegen_study.synth.family import Family, Solution, register


@register
class CountMultiplesInRange(Family):
    name = "count_multiples_in_range"
    topic = "counting"
    title = "Multiples of K"
    n_edges = 3
    _cons = [r"1 \leq L \leq R \leq $r_max", r"1 \leq K \leq $k_max", "All input values are integers."]
    statements = (
        statement(r"$person has $item numbered with the integers L, L+1, \ldots, R, one for each integer."
                      "\n$person gives away every one of them whose number is a multiple of K.\n"
                      "How many $item does $person give away?",
                  "L R K", "Print the number of $item that $person gives away.", _cons),
        statement(r"You are given integers L, R and K." "\n"
                  r"Find the number of integers x such that L \leq x \leq R and x is divisible by K.",
                  "L R K", "Print the answer as an integer.", _cons),
    )
    solutions = (
        Solution("formula", "1. The multiples of K in [1, x] number floor(x / K).\n"
                            "2. So the answer is floor(R / K) - floor((L - 1) / K).\n3. Print it.",
                 "l, r, k = map(int, input().split())\nprint(r // k - (l - 1) // k)\n"),
        Solution("first-multiple", "1. The smallest multiple of K that is at least L is ceil(L / K) * K.\n"
                                   "2. If it exceeds R there is none.\n"
                                   "3. Otherwise the multiples are first, first + K, ..., so there are (R - first) "
                                   "// K + 1 of them.",
                     "l, r, k = map(int, input().split())\nfirst = (l + k - 1) // k * k\n"
                     "print(0 if first > r else (r - first) // k + 1)\n"),
        Solution("range-len", "1. Move L up to the next multiple of K by adding (-L) mod K.\n"
                              "2. range(start, R + 1, K) enumerates exactly the multiples.\n"
                              "3. len of a range is computed in O(1); print it.",
                 "l, r, k = map(int, input().split())\nstart = l + (-l) % k\nprint(len(range(start, r + 1, k)))\n"),
        Solution("loop", "1. R is at most $r_max, so checking every x in [L, R] is fast.\n"
                         "2. Count the x with x % K == 0.\n3. Print the count.",
                     "l, r, k = map(int, input().split())\ncount = 0\nfor x in range(l, r + 1):\n    if x % k == 0:\n"
                     "        count += 1\nprint(count)\n"),
        Solution("step-while", "1. Walk through the multiples K, 2K, 3K, ... with a while loop.\n"
                               "2. Skip those below L, then count those up to R.\n3. Print the count.",
                     "l, r, k = map(int, input().split())\nx = k\nwhile x < l:\n    x += k\ncount = 0\nwhile x <= r:\n"
                     "    count += 1\n    x += k\nprint(count)\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        return {"person": rng.choice(PEOPLE), "item": rng.choice(ITEMS),
                "r_max": rng.choice([100, 1000, 10000, 100000]), "k_max": rng.choice([10, 100, 1000])}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        r_max, k_max = params["r_max"], params["k_max"]
        if edge == 0:
            l, r, k = 1, 1, 1
        elif edge == 1:
            l, r, k = 1, r_max, 1
        elif edge == 2:
            l = r = min(r_max, k_max - 1)
            k = k_max
        else:
            l = rng.randint(1, r_max)
            r = rng.randint(l, r_max)
            k = rng.randint(1, k_max if rng.random() < 0.5 else min(k_max, 20))
        return f"{l} {r} {k}\n"

    def reference(self, params: dict, stdin: str) -> str:
        l, r, k = map(int, stdin.split())
        return f"{sum(1 for x in range(l, r + 1) if x % k == 0)}\n"


@register
class CountDistinctValues(Family):
    name = "count_distinct_values"
    topic = "counting"
    title = "Kinds of $item"
    n_edges = 3
    _cons = [r"1 \leq N \leq $n_max", r"1 \leq A_i \leq $a_max", "All input values are integers."]
    statements = (
        statement("$person has N $item. The i-th of them is of type A_i.\n"
                  "Two $item are of the same kind exactly when their types are equal.\n"
                  "How many different kinds of $item does $person have?",
                  "N\n$a_format", "Print the number of different kinds.", _cons),
        statement(r"You are given a sequence of N integers A = (A_1, A_2, \ldots, A_N) describing the $item in a box."
            "\n"
                  "Find the number of distinct values that appear in A.",
                  "N\n$a_format", "Print the number of distinct values in A.", _cons),
    )
    solutions = (
        Solution("set", "1. Read N and the N values.\n2. A set keeps each value once.\n3. Print the size of the set.",
                 "n = int(input())\na = $read_a\nprint(len(set(a)))\n"),
        Solution("sort-scan", "1. Sort the values so equal ones become adjacent.\n"
                              "2. Count positions where the value differs from the previous one (plus the first).\n"
                              "3. Print that count.",
                     "n = int(input())\na = sorted($read_a)\nkinds = 0\nfor i in range(n):\n"
                     "    if i == 0 or a[i] != a[i - 1]:\n        kinds += 1\nprint(kinds)\n"),
        Solution("dict-stdin", "1. Read every token at once with sys.stdin.read().\n"
                               "2. The N tokens after the first are the values; dict.fromkeys keeps one key per "
                               "distinct value.\n3. Print the number of keys.",
                     "import sys\ntokens = sys.stdin.read().split()\nn = int(tokens[0])\n"
                     "print(len(dict.fromkeys(tokens[1:1 + n])))\n"),
        Solution("counter", "1. Tally the values with collections.Counter.\n"
                            "2. Each distinct value is one key of the Counter.\n3. Print the number of keys.",
                 "from collections import Counter\nn = int(input())\nprint(len(Counter($read_a)))\n"),
        Solution("unique-list", "1. Keep a list of values seen so far.\n"
                                "2. Append a value only if it is not already in the list (N is small, so the "
                                "linear search is fine).\n3. Print the length of the list.",
                     "n = int(input())\nseen = []\nfor x in $read_a:\n    if x not in seen:\n        seen.append(x)\n"
                     "print(len(seen))\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        return {"person": rng.choice(PEOPLE), "item": rng.choice(ITEMS), "n_max": rng.choice([10, 100, 1000]),
                "a_max": rng.choice([5, 100, 10**9]), **layout_params(rng)}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        n_max, a_max = params["n_max"], params["a_max"]
        if edge == 0:
            a = [a_max]
        elif edge == 1:
            a = [1] * min(n_max, 200)
        elif edge == 2:
            a = [i % a_max + 1 for i in range(min(n_max, 200))]
        else:
            hi = min(a_max, rng.choice([3, 10, a_max]))
            a = [rng.randint(1, hi) for _ in range(rand_len(rng, 1, n_max))]
        return f"{len(a)}\n" + format_list(params, a)

    def reference(self, params: dict, stdin: str) -> str:
        t = stdin.split()
        return f"{len(set(t[1:1 + int(t[0])]))}\n"


@register
class CountPairsWithSum(Family):
    name = "count_pairs_with_sum"
    topic = "counting"
    title = "Pairs Summing to K"
    n_edges = 3
    _cons = [r"2 \leq N \leq $n_max", r"1 \leq A_i \leq $a_max", r"2 \leq K \leq $k_max",
         "All input values are integers."]
    statements = (
        statement("$person has N $item. The i-th of them weighs A_i grams.\n"
                  "$person wants to pick two different $item whose weights add up to exactly K grams.\n"
                  "How many ways are there to pick them? (The order of the two does not matter.)",
                  "N K\nA_1 A_2 \\ldots A_N", "Print the number of ways.", _cons),
        statement("You are given a sequence of N positive integers A_1, A_2, \\ldots, A_N and an integer K.\n"
                  "Find the number of pairs of integers (i, j) such that 1 \\leq i < j \\leq N and A_i + A_j = K.",
                  "N K\nA_1 A_2 \\ldots A_N", "Print the number of such pairs.", _cons),
    )
    solutions = (
        Solution("double-loop", "1. N is at most $n_max, so all pairs i < j can be tried.\n"
                                "2. Count the pairs with A_i + A_j = K.\n3. Print the count.",
                     "n, k = map(int, input().split())\na = list(map(int, input().split()))\nans = 0\n"
                     "for i in range(n):\n    for j in range(i + 1, n):\n        if a[i] + a[j] == k:\n"
                     "            ans += 1\nprint(ans)\n"),
        Solution("combinations", "1. itertools.combinations(A, 2) yields every unordered pair once.\n"
                                 "2. Count those whose sum is K.\n3. Print it.",
                     "from itertools import combinations\nn, k = map(int, input().split())\n"
                     "a = list(map(int, input().split()))\n"
                     "print(sum(1 for x, y in combinations(a, 2) if x + y == k))\n"),
        Solution("one-pass-counter", "1. Scan A from left to right, remembering how often each value appeared "
                                     "before.\n2. Each A_j pairs with every earlier value equal to K - A_j.\n"
                                     "3. Add that tally, then record A_j; print the total.",
                     "from collections import Counter\nn, k = map(int, input().split())\nseen = Counter()\nans = 0\n"
                     "for x in map(int, input().split()):\n    ans += seen[k - x]\n    seen[x] += 1\nprint(ans)\n"),
        Solution("sort-bisect", "1. Sort A.\n2. For each i, the partners j > i with value K - A_i form a "
                                "contiguous block in the sorted array.\n"
                                "3. Find the block with bisect_left and bisect_right (searching only after i) and "
                                "add its size.",
                     "from bisect import bisect_left, bisect_right\nn, k = map(int, input().split())\n"
                     "a = sorted(map(int, input().split()))\nans = 0\nfor i in range(n):\n    need = k - a[i]\n"
                     "    ans += bisect_right(a, need, i + 1) - bisect_left(a, need, i + 1)\nprint(ans)\n"),
        Solution("frequency-formula", "1. Count how many times each value occurs.\n"
                                      "2. For values v < K - v the pairs number cnt[v] * cnt[K - v].\n"
                                      "3. For v = K - v they number cnt[v] * (cnt[v] - 1) / 2.\n"
                                      "4. Sum over all values and print.",
                     "from collections import Counter\nn, k = map(int, input().split())\n"
                     "cnt = Counter(map(int, input().split()))\nans = 0\nfor v, c in cnt.items():\n    w = k - v\n"
                     "    if v < w:\n        ans += c * cnt.get(w, 0)\n    elif v == w:\n"
                     "        ans += c * (c - 1) // 2\nprint(ans)\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        a_max = rng.choice([10, 100, 1000])
        return {"person": rng.choice(PEOPLE), "item": rng.choice(ITEMS), "n_max": rng.choice([50, 100, 200]),
                "a_max": a_max, "k_max": 2 * a_max}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        n_max, a_max = params["n_max"], params["a_max"]
        if edge == 0:
            a, k = [1, 1], 2
        elif edge == 1:
            v = rng.randint(1, a_max)
            a, k = [v] * n_max, 2 * v
        elif edge == 2:
            a, k = [1] * n_max, 2 * a_max
        else:
            hi = min(a_max, rng.choice([5, 20, a_max]))
            a = [rng.randint(1, hi) for _ in range(rand_len(rng, 2, n_max))]
            k = rng.choice(a) + rng.choice(a) if rng.random() < 0.8 else rng.randint(2, 2 * a_max)
        return f"{len(a)} {k}\n{' '.join(map(str, a))}\n"

    def reference(self, params: dict, stdin: str) -> str:
        t = list(map(int, stdin.split()))
        n, k, a = t[0], t[1], t[2:]
        return f"{sum(1 for i in range(n) for j in range(i + 1, n) if a[i] + a[j] == k)}\n"


@register
class CountPassingScores(Family):
    name = "count_passing_scores"
    topic = "counting"
    title = "Passing the $subject Exam"
    n_edges = 3
    _cons = [r"1 \leq N \leq $n_max", r"0 \leq P \leq $s_max", r"0 \leq A_i \leq $s_max",
         "All input values are integers."]
    statements = (
        statement("N students in $place took a $subject exam. The i-th student scored A_i points.\n"
                  "A student passes if their score is at least P points.\nHow many students pass?",
                  "N P\n$a_format", "Print the number of students who pass.", _cons),
        statement("$person is grading a $subject test taken by N students; student i scored A_i.\n"
                  "The passing mark is P: a score of P or more passes.\nFind how many of the N students passed.",
                  "N P\n$a_format", "Print the answer as an integer.", _cons),
    )
    solutions = (
        Solution("loop", "1. Read N, P and the scores.\n2. Go through the scores and count those with A_i >= P.\n"
                         "3. Print the count.",
                     "n, p = map(int, input().split())\na = $read_a\npassed = 0\nfor x in a:\n    if x >= p:\n"
                     "        passed += 1\nprint(passed)\n"),
        Solution("sum-bool", "1. A comparison is a bool, which counts as 1 or 0.\n"
                             "2. Summing (A_i >= P) over all i gives the number of passes.\n3. Print it.",
                 "n, p = map(int, input().split())\nprint(sum(x >= p for x in $read_a))\n"),
        Solution("filter", "1. Keep the passing scores with filter and a lambda.\n"
                           "2. The answer is how many were kept.\n3. Print the length of that list.",
                 "n, p = map(int, input().split())\nprint(len(list(filter(lambda x: x >= p, $read_a))))\n"),
        Solution("sort-bisect", "1. Sort the scores.\n2. bisect_left finds the first position whose score is at "
                                "least P.\n3. Every score from there on passes, so the answer is N minus that "
                                "position.",
                     "from bisect import bisect_left\nn, p = map(int, input().split())\na = sorted($read_a)\n"
                     "print(n - bisect_left(a, p))\n"),
        Solution("descending-scan", "1. Sort the scores from highest to lowest.\n"
                                    "2. Count from the top while the score is still at least P.\n"
                                    "3. The first failing score ends the scan; print the count.",
                     "n, p = map(int, input().split())\na = sorted($read_a, reverse=True)\ni = 0\n"
                     "while i < n and a[i] >= p:\n    i += 1\nprint(i)\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        return {"person": rng.choice(PEOPLE), "place": rng.choice(PLACES),
                "subject": rng.choice(["math", "English", "science", "history", "music", "programming"]),
                "n_max": rng.choice([10, 100, 1000]), "s_max": rng.choice([100, 1000, 10**9]), **layout_params(rng)}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        n_max, s_max = params["n_max"], params["s_max"]
        n = min(n_max, 200)
        if edge == 0:
            a, p = [0], s_max
        elif edge == 1:
            a, p = [s_max] * n, 0
        elif edge == 2:
            p = rng.randint(0, s_max)
            a = [p] * n
        else:
            a = [rng.randint(0, s_max) for _ in range(rand_len(rng, 1, n_max))]
            p = rng.choice(a) if rng.random() < 0.5 else rng.randint(0, s_max)
        return f"{len(a)} {p}\n" + format_list(params, a)

    def reference(self, params: dict, stdin: str) -> str:
        t = list(map(int, stdin.split()))
        return f"{sum(x >= t[1] for x in t[2:2 + t[0]])}\n"


_ALPHABETS = [["lowercase English letters", "abcdefghijklmnopqrstuvwxyz"], ["A, C, G and T", "ACGT"],
              ["0 and 1", "01"], ["o and x", "ox"]]


@register
class CountMismatchedPositions(Family):
    name = "count_mismatched_positions"
    topic = "counting"
    title = "Copying Mistakes"
    n_edges = 3
    heldout = True
    _cons = [r"1 \leq N \leq $n_max", "S and T are strings of length N consisting of $alpha_desc."]
    statements = (
        statement("$person copied a string S of length N onto a $medium, but the copy T may contain mistakes.\n"
                      "A mistake is a position i (1 \\leq i \\leq N) where the i-th character of S differs from the "
                      "i-th character of T.\n"
                  "How many mistakes did $person make?",
                  "N\nS\nT", "Print the number of positions where S and T differ.", _cons),
        statement("You are given two strings S and T, each of length N.\n"
                  "Find the number of integers i with 1 \\leq i \\leq N "
                  "such that S_i \\neq T_i, where S_i denotes the i-th character of S.",
                  "N\nS\nT", "Print the answer.", _cons),
    )
    solutions = (
        Solution("zip-sum", "1. zip(S, T) pairs the characters position by position.\n"
                            "2. Sum the comparisons a != b (True counts as 1).\n3. Print the sum.",
                 "n = int(input())\ns = input()\nt = input()\nprint(sum(a != b for a, b in zip(s, t)))\n"),
        Solution("index-while", "1. Walk an index i from 0 to N - 1 with a while loop.\n"
                                "2. Add one whenever S[i] and T[i] differ.\n3. Print the total.",
                     "n = int(input())\ns = input()\nt = input()\ni = 0\nbad = 0\nwhile i < n:\n    if s[i] != t[i]:\n"
                     "        bad += 1\n    i += 1\nprint(bad)\n"),
        Solution("map-operator", "1. operator.ne compares two characters.\n"
                                 "2. map applies it to S and T in parallel, yielding bools.\n"
                                 "3. Their sum is the number of differing positions.",
                 "import operator\nn = int(input())\ns = input()\nt = input()\nprint(sum(map(operator.ne, s, t)))\n"),
        Solution("complement", "1. Count the positions where the characters are equal.\n"
                               "2. Every other position is a mistake.\n"
                               "3. Print N minus the number of equal positions.",
                     "n = int(input())\ns = input()\nt = input()\nsame = 0\nfor i, c in enumerate(s):\n"
                     "    if c == t[i]:\n        same += 1\nprint(n - same)\n"),
        Solution("divide-conquer", "1. Define diff(lo, hi) as the number of mismatches in positions lo..hi-1.\n"
                                   "2. A single position is 1 if the characters differ, else 0.\n"
                                   "3. Otherwise split the range in half and add both halves (depth only log N).\n"
                                   "4. Print diff(0, N).",
                     "n = int(input())\ns = input()\nt = input()\n\n\ndef diff(lo, hi):\n    if hi - lo == 1:\n"
                     "        return int(s[lo] != t[lo])\n    mid = (lo + hi) // 2\n"
                     "    return diff(lo, mid) + diff(mid, hi)\n\n\nprint(diff(0, n))\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        desc, alphabet = rng.choice(_ALPHABETS)
        return {"person": rng.choice(PEOPLE), "medium": rng.choice(["whiteboard", "notebook", "blackboard", "scroll"]),
                "n_max": rng.choice([10, 50, 100, 1000]), "alpha_desc": desc, "alphabet": alphabet}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        al, n_max = params["alphabet"], params["n_max"]
        if edge == 0:
            s = t = al[0]
        elif edge == 1:
            s = "".join(rng.choice(al) for _ in range(min(n_max, 300)))
            t = "".join(al[(al.index(c) + 1) % len(al)] for c in s)
        elif edge == 2:
            s = t = "".join(rng.choice(al) for _ in range(min(n_max, 300)))
        else:
            s = "".join(rng.choice(al) for _ in range(rand_len(rng, 1, n_max)))
            rate = rng.random()
            t = "".join(rng.choice(al) if rng.random() < rate else c for c in s)
        return f"{len(s)}\n{s}\n{t}\n"

    def reference(self, params: dict, stdin: str) -> str:
        _, s, t = stdin.split()
        return f"{sum(a != b for a, b in zip(s, t))}\n"
