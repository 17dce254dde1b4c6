"""Topic: sorting.

Families: sort_sequence_order, sort_ranking_by_score (held out), sort_median_value, sort_min_pair_gap.
What varies: two phrasings each; names, items and events; ascending or descending order; the bounds and
whether values may be negative; lists in a row or a column.
Solutions: five per family: builtin sorts, hand-written insertion, merge and counting sorts, heaps,
selection without a full sort, comparators, brute force over pairs.
"""

from __future__ import annotations

import random
import statistics
from itertools import combinations

from codegen_study.synth.families.common import ITEMS, PEOPLE, format_list, layout_params, rand_len, statement
from codegen_study.synth.family import Family, Solution, register


@register
class SortSequenceOrder(Family):
    name = "sort_sequence_order"
    topic = "sorting"
    title = "Sorting $item"
    n_edges = 3
    _cons = [r"1 \leq N \leq $n_max", r"0 \leq A_i \leq $a_max", "All input values are integers."]
    statements = (
        statement("$person has N $item with labels A_1, A_2, \\ldots, A_N written on them (labels may repeat).\n"
                      "$person wants to line them up so that the labels are in $order order.\n"
                      "Print the labels in that arrangement.",
                  "N\n$a_format", "Print the N labels in $order order, separated by spaces.", _cons),
        statement("Given a sequence of N integers A = (A_1, \\ldots, A_N), sort it in $order order.",
                  "N\n$a_format", "Print the sorted sequence on one line, with spaces between the elements.", _cons),
    )
    solutions = (
        Solution("builtin", "1. Read the sequence.\n2. sorted(..., reverse=$reverse) returns it in $order order.\n"
                            "3. Print it with spaces.",
                 "n = int(input())\na = $read_a\nprint(*sorted(a, reverse=$reverse))\n"),
        Solution("insertion-sort", "1. Build the ascending order by insertion sort: take each element and shift "
                                   "larger ones right until its place is found.\n"
                                   "2. N is at most $n_max, so the quadratic time is fine.\n"
                                   "3. Print the list with slice step $step, which gives $order order.",
                     "n = int(input())\na = $read_a\nfor i in range(1, n):\n    key = a[i]\n    j = i - 1\n"
                     "    while j >= 0 and a[j] > key:\n        a[j + 1] = a[j]\n        j -= 1\n"
                     "    a[j + 1] = key\nprint(*a[::$step])\n"),
        Solution("merge-sort", "1. Split the list in halves, sort each recursively.\n"
                               "2. Merge the two sorted halves by repeatedly taking the smaller front element.\n"
                               "3. Print the merged list with slice step $step, which gives $order order.",
                     "def merge_sort(xs):\n    if len(xs) <= 1:\n        return xs\n    mid = len(xs) // 2\n"
                     "    left, right = merge_sort(xs[:mid]), merge_sort(xs[mid:])\n    out = []\n    i = j = 0\n"
                     "    while i < len(left) and j < len(right):\n        if left[i] <= right[j]:\n"
                     "            out.append(left[i])\n            i += 1\n        else:\n"
                     "            out.append(right[j])\n            j += 1\n    return out + left[i:] + right[j:]\n"
                     "\n\nn = int(input())\na = $read_a\nprint(*merge_sort(a)[::$step])\n"),
        Solution("heap", "1. heapify turns the list into a min-heap in O(N).\n"
                         "2. Popping N times yields the elements in ascending order.\n"
                         "3. Print them with slice step $step for $order order.",
                     "import heapq\nn = int(input())\nheap = $read_a\nheapq.heapify(heap)\n"
                     "out = [heapq.heappop(heap) for _ in range(n)]\nprint(*out[::$step])\n"),
        Solution("counting-sort", "1. Every value lies in 0..$a_max, so count how often each occurs.\n"
                                  "2. Emit each value as many times as it occurs, from 0 upward.\n"
                                  "3. Print that list with slice step $step for $order order.",
                     "import sys\ndata = list(map(int, sys.stdin.read().split()))\nn = data[0]\ncount = {}\n"
                     "for x in data[1:1 + n]:\n    count[x] = count.get(x, 0) + 1\nout = []\n"
                     "for v in range($a_max + 1):\n    out.extend([v] * count.get(v, 0))\nprint(*out[::$step])\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        desc = rng.random() < 0.5
        return {"person": rng.choice(PEOPLE), "item": rng.choice(ITEMS), "order": "descending" if desc else "ascending",
                "reverse": desc, "step": -1 if desc else 1, "n_max": rng.choice([10, 100, 1000]),
                "a_max": rng.choice([100, 1000, 10000]), **layout_params(rng)}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        n_max, a_max = params["n_max"], params["a_max"]
        n = min(n_max, 200)
        if edge == 0:
            a = [a_max]
        elif edge == 1:
            a = [0] * n
        elif edge == 2:
            a = [max(0, a_max - i) for i in range(n)]
        else:
            hi = rng.choice([5, a_max])
            a = [rng.randint(0, hi) for _ in range(rand_len(rng, 1, n_max))]
        return f"{len(a)}\n" + format_list(params, a)

    def reference(self, params: dict, stdin: str) -> str:
        t = list(map(int, stdin.split()))
        return " ".join(map(str, sorted(t[1:1 + t[0]], reverse=params["reverse"]))) + "\n"


@register
class SortRankingByScore(Family):
    name = "sort_ranking_by_score"
    topic = "sorting"
    title = "Final Standings"
    n_edges = 3
    heldout = True
    _cons = [r"1 \leq N \leq $n_max",
         "S_i is a string of length between 1 and 8, inclusive, consisting of lowercase English letters.",
             r"S_i \neq S_j if i \neq j.", r"0 \leq P_i \leq $p_max", "P_i is an integer."]
    statements = (
        statement(
            "N people took part in $event organised by $person. Participant i is named S_i and scored P_i points.\n"
                      "Rank the participants: a higher score ranks higher, and among equal scores the name that comes "
                      "first in lexicographical order ranks higher.\n"
                  "Print the names in rank order.",
                  "N\nS_1 P_1\nS_2 P_2\n\\vdots\nS_N P_N",
                       "Print N lines; the i-th line should contain the name of the participant ranked i-th.", _cons),
        statement("You are given N pairs (S_i, P_i) of a name and a score from $event.\n"
                      "Sort the names in descending order of score, breaking ties by the names in ascending "
                      "lexicographical order.",
                  "N\nS_1 P_1\nS_2 P_2\n\\vdots\nS_N P_N", "Print the sorted names, one per line.", _cons),
    )
    solutions = (
        Solution("key-tuple", "1. Read the (name, score) pairs.\n"
                              "2. Sort with key (-score, name): higher score first, then smaller name.\n"
                              "3. Print the names line by line.",
                     "n = int(input())\nrows = []\nfor _ in range(n):\n    s, p = input().split()\n"
                     "    rows.append((s, int(p)))\nrows.sort(key=lambda r: (-r[1], r[0]))\nfor s, _ in rows:\n"
                     "    print(s)\n"),
        Solution("two-stable-sorts", "1. Python's sort is stable, so sort by the secondary key first.\n"
                                     "2. Sort by name, then sort by score with reverse=True; equal scores keep "
                                     "name order.\n3. Print the names.",
                     "import sys\ndata = sys.stdin.read().split()\nn = int(data[0])\n"
                     "rows = [(data[1 + 2 * i], int(data[2 + 2 * i])) for i in range(n)]\n"
                     "rows.sort(key=lambda r: r[0])\nrows.sort(key=lambda r: r[1], reverse=True)\n"
                     "print('\\n'.join(s for s, _ in rows))\n"),
        Solution("comparator", "1. Write a comparison function: the larger score goes first; on equal scores, the "
                               "smaller name.\n2. functools.cmp_to_key turns it into a sort key.\n"
                               "3. Sort and print the names.",
                     "from functools import cmp_to_key\n\n\ndef compare(x, y):\n    if x[1] != y[1]:\n"
                     "        return -1 if x[1] > y[1] else 1\n    if x[0] != y[0]:\n"
                     "        return -1 if x[0] < y[0] else 1\n    return 0\n\n\nn = int(input())\n"
                     "rows = [input().split() for _ in range(n)]\nrows = [(s, int(p)) for s, p in rows]\n"
                     "for s, _ in sorted(rows, key=cmp_to_key(compare)):\n    print(s)\n"),
        Solution("heap", "1. Push (-score, name) for every participant onto a heap.\n"
                         "2. The heap pops the smallest tuple first: the highest score, then the smallest name.\n"
                         "3. Pop N times, printing the names.",
                     "import heapq\nn = int(input())\nheap = []\nfor _ in range(n):\n    s, p = input().split()\n"
                     "    heapq.heappush(heap, (-int(p), s))\nwhile heap:\n    print(heapq.heappop(heap)[1])\n"),
        Solution("score-buckets", "1. Group the names by score in a dict.\n"
                                  "2. Visit the distinct scores from highest to lowest.\n"
                                  "3. Inside each group print the names in sorted order.",
                     "n = int(input())\nbuckets = {}\nfor _ in range(n):\n    s, p = input().split()\n"
                     "    buckets.setdefault(int(p), []).append(s)\nfor score in sorted(buckets, reverse=True):\n"
                     "    for s in sorted(buckets[score]):\n        print(s)\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        return {"person": rng.choice(PEOPLE),
                "event": rng.choice(["a quiz contest", "a marathon", "a baking contest", "a chess tournament",
                     "a spelling bee"]),
                "n_max": rng.choice([10, 50, 100]), "p_max": rng.choice([100, 1000, 10**9])}

    @staticmethod
    def _names(rng: random.Random, n: int) -> list[str]:
        letters = rng.choice(["ab", "abc", "abcdefghijklmnopqrstuvwxyz"])
        names: set[str] = set()
        while len(names) < n:
            names.add("".join(rng.choice(letters) for _ in range(rng.randint(1, 8))))
        out = sorted(names)
        rng.shuffle(out)
        return out

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        n_max, p_max = params["n_max"], params["p_max"]
        if edge == 0:
            rows = [("a", 0)]
        elif edge == 1:
            rows = [(s, p_max) for s in self._names(rng, n_max)]
        elif edge == 2:
            rows = [(s, min(p_max, i)) for i, s in enumerate(self._names(rng, n_max))]
        else:
            n = rand_len(rng, 1, n_max)
            hi = rng.choice([3, p_max])
            rows = [(s, rng.randint(0, hi)) for s in self._names(rng, n)]
        return f"{len(rows)}\n" + "".join(f"{s} {p}\n" for s, p in rows)

    def reference(self, params: dict, stdin: str) -> str:
        t = stdin.split()
        rows = [(t[1 + 2 * i], int(t[2 + 2 * i])) for i in range(int(t[0]))]
        return "".join(s + "\n" for s, _ in sorted(rows, key=lambda r: (-r[1], r[0])))


@register
class SortMedianValue(Family):
    name = "sort_median_value"
    topic = "sorting"
    title = "Middle $thing"
    n_edges = 3
    _cons = [r"1 \leq N \leq $n_max", "N is odd.", r"$a_lo \leq A_i \leq $a_max", "All input values are integers."]
    statements = (
        statement("$person recorded the $thing of N days: A_1, A_2, \\ldots, A_N, where N is odd.\n"
                      "The median is the value in the middle when the records are arranged in ascending order, that "
                      "is, the ((N+1)/2)-th smallest.\n"
                  "Find the median.",
                  "N\n$a_format", "Print the median.", _cons),
        statement("You are given an odd number N of integers A_1, \\ldots, A_N.\n"
                  "Print the integer that is in the ((N+1)/2)-th position after sorting them in non-decreasing order.",
                  "N\n$a_format", "Print the answer.", _cons),
    )
    solutions = (
        Solution("sort-index",
             "1. Sort the values.\n2. The median of an odd count is at 0-based index N // 2.\n3. Print it.",
                 "n = int(input())\na = sorted($read_a)\nprint(a[n // 2])\n"),
        Solution("statistics", "1. statistics.median_low returns the lower middle element, which for odd N is the "
                               "median itself.\n2. It returns one of the inputs, so the result stays an integer.\n"
                               "3. Print it.",
                 "import statistics\nn = int(input())\nprint(statistics.median_low($read_a))\n"),
        Solution("nsmallest", "1. The median is the (N // 2 + 1)-th smallest value.\n"
                              "2. heapq.nsmallest(N // 2 + 1, A) returns the smallest values in ascending order.\n"
                              "3. Its last element is the median.",
                 "import heapq\nn = int(input())\na = $read_a\nprint(heapq.nsmallest(n // 2 + 1, a)[-1])\n"),
        Solution("quickselect", "1. Pick a pivot and split the values into less, equal and greater parts.\n"
                                "2. The rank N // 2 lies in exactly one part; recurse only into that part.\n"
                                "3. Print the value found (expected linear time).",
                     "def select(xs, k):\n    pivot = xs[len(xs) // 2]\n    less = [x for x in xs if x < pivot]\n"
                     "    equal = [x for x in xs if x == pivot]\n    if k < len(less):\n"
                     "        return select(less, k)\n    if k < len(less) + len(equal):\n        return pivot\n"
                     "    return select([x for x in xs if x > pivot], k - len(less) - len(equal))\n\n\n"
                     "n = int(input())\na = $read_a\nprint(select(a, n // 2))\n"),
        Solution("rank-count", "1. A value x is the median exactly when fewer than N // 2 + 1 values are below it "
                               "and at least N // 2 + 1 values are at most x.\n"
                               "2. Test every x by counting (N is small).\n3. Print the first x that passes.",
                     "import sys\nvals = list(map(int, sys.stdin.read().split()))\nn, a = vals[0], vals[1:]\n"
                     "need = n // 2 + 1\nfor x in a:\n    below = sum(1 for y in a if y < x)\n"
                     "    upto = sum(1 for y in a if y <= x)\n    if below < need <= upto:\n        print(x)\n"
                     "        break\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        a_max = rng.choice([100, 10**4, 10**9])
        return {"person": rng.choice(PEOPLE), "thing": rng.choice(["temperature", "rainfall", "sales", "step count",
             "water level"]),
                "n_max": rng.choice([9, 99, 199]), "a_max": a_max, "a_lo": rng.choice([0, -a_max]),
                    **layout_params(rng)}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        n_max, lo, hi = params["n_max"], params["a_lo"], params["a_max"]
        if edge == 0:
            a = [lo]
        elif edge == 1:
            a = [hi] * n_max
        elif edge == 2:
            a = [lo] * (n_max // 2) + [hi] * (n_max // 2 + 1)
            rng.shuffle(a)
        else:
            top = rng.choice([lo + 3, hi])
            a = [rng.randint(lo, top) for _ in range(2 * (rand_len(rng, 1, n_max) // 2) + 1)]
        return f"{len(a)}\n" + format_list(params, a)

    def reference(self, params: dict, stdin: str) -> str:
        t = list(map(int, stdin.split()))
        return f"{statistics.median_low(t[1:1 + t[0]])}\n"


@register
class SortMinPairGap(Family):
    name = "sort_min_pair_gap"
    topic = "sorting"
    title = "Closest $things"
    n_edges = 3
    _cons = [r"2 \leq N \leq $n_max", r"0 \leq A_i \leq $a_max", "All input values are integers."]
    statements = (
        statement("Along a straight road in which $person lives there are N $things; the i-th stands at coordinate "
                  "A_i (several may share a coordinate).\n"
                  "Find the smallest distance between two different $things.",
                  "N\n$a_format", "Print the smallest distance as an integer.", _cons),
        statement("You are given N integers A_1, A_2, \\ldots, A_N.\n"
                  "Find the minimum of |A_i - A_j| over all pairs of indices with 1 \\leq i < j \\leq N.",
                  "N\n$a_format", "Print the minimum value.", _cons),
    )
    solutions = (
        Solution("sort-zip", "1. After sorting, the closest pair is always adjacent.\n"
                             "2. zip the sorted list with itself shifted by one to get the adjacent differences.\n"
                             "3. Print the smallest difference.",
                 "n = int(input())\na = sorted($read_a)\nprint(min(y - x for x, y in zip(a, a[1:])))\n"),
        Solution("brute-force",
             "1. N is at most $n_max, so try every pair i < j.\n2. Keep the smallest |A_i - A_j|.\n3. Print it.",
                     "n = int(input())\na = $read_a\nbest = None\nfor i in range(n):\n    for j in range(i + 1, n):\n"
                     "        d = abs(a[i] - a[j])\n        if best is None or d < best:\n            best = d\n"
                     "print(best)\n"),
        Solution("combinations", "1. itertools.combinations(A, 2) enumerates all pairs.\n"
                                 "2. Take the minimum absolute difference with min().\n3. Print it.",
                     "from itertools import combinations\nn = int(input())\na = $read_a\n"
                     "print(min(abs(x - y) for x, y in combinations(a, 2)))\n"),
        Solution("pairwise", "1. Sort the values; only neighbours can be closest.\n"
                             "2. itertools.pairwise yields the neighbouring pairs.\n"
                             "3. If a value repeats the answer is 0, which the differences already show; print the "
                             "minimum difference.",
                     "import sys\nfrom itertools import pairwise\nvals = list(map(int, sys.stdin.read().split()))\n"
                     "a = sorted(vals[1:1 + vals[0]])\nprint(min(y - x for x, y in pairwise(a)))\n"),
        Solution("heap-pops", "1. Heapify the values; popping returns them in ascending order.\n"
                              "2. Compare each popped value with the previous one.\n"
                              "3. The smallest such step is the answer.",
                     "import heapq\nn = int(input())\nheap = $read_a\nheapq.heapify(heap)\nprev = heapq.heappop(heap)\n"
                     "best = float('inf')\nwhile heap:\n    cur = heapq.heappop(heap)\n"
                     "    best = min(best, cur - prev)\n    prev = cur\nprint(best)\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        return {"person": rng.choice(PEOPLE), "things": rng.choice(["trees", "houses", "bus stops", "street lights",
             "vending machines"]),
                "n_max": rng.choice([10, 100, 200]), "a_max": rng.choice([100, 10**5, 10**9]), **layout_params(rng)}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        n_max, a_max = params["n_max"], params["a_max"]
        if edge == 0:
            a = [0, a_max]
        elif edge == 1:
            a = [a_max] * n_max
        elif edge == 2:
            step = a_max // (n_max - 1)
            a = [i * step for i in range(n_max)]
            rng.shuffle(a)
        else:
            a = [rng.randint(0, a_max) for _ in range(rand_len(rng, 2, n_max))]
        return f"{len(a)}\n" + format_list(params, a)

    def reference(self, params: dict, stdin: str) -> str:
        t = list(map(int, stdin.split()))
        return f"{min(abs(x - y) for x, y in combinations(t[1:1 + t[0]], 2))}\n"
