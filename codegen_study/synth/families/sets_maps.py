"""Topic: sets_maps.

Families: missing_from_second, most_frequent_word, first_repeat.
What varies: two phrasings each; names, items and subjects; listing or counting the missing values, the
tie rule, the repeated value or its position, the word for none; the bounds.
Solutions: five per family: hash sets, dicts, Counter, sorting with two pointers or run scans, boolean
flags, quadratic rescans.
"""

from __future__ import annotations

import random
from collections import Counter

from codegen_study.synth.families.common import ITEMS, PEOPLE, statement, word
from codegen_study.synth.family import Family, Solution, register


@register
class MissingFromSecond(Family):
    name = "missing_from_second"
    topic = "sets_maps"
    title = "Only in $person's Box"
    n_edges = 3
    statements = (
        statement("$person has N $item with numbers A_1, \\ldots, A_N written on them, and $friend has M $item "
                  "with numbers B_1, \\ldots, B_M.\n$question",
                  "N M\nA_1 A_2 \\ldots A_N\nB_1 B_2 \\ldots B_M", "$output",
                  [r"1 \leq N, M \leq $n_max", r"1 \leq A_i, B_j \leq $a_max", "All input values are integers."]),
        statement("You are given two integer sequences A = (A_1, \\ldots, A_N) and B = (B_1, \\ldots, B_M).\n"
                  "Consider the integers that occur in A but do not occur in B (each counted once).\n$question_plain",
                  "N M\nA_1 A_2 \\ldots A_N\nB_1 B_2 \\ldots B_M", "$output",
                  [r"1 \leq N \leq $n_max", r"1 \leq M \leq $n_max", r"1 \leq A_i \leq $a_max",
                       r"1 \leq B_j \leq $a_max",
                   "All input values are integers."]),
    )
    solutions = (
        Solution("set-difference", "1. Read both sequences.\n2. set(A) - set(B) is exactly the distinct values of "
                                   "A missing from B.\n3. $finish_text",
                     "n, m = map(int, input().split())\na = list(map(int, input().split()))\n"
                     "b = list(map(int, input().split()))\nvals = sorted(set(a) - set(b))\n$finish"),
        Solution("membership-loop", "1. Read both sequences and put B in a set for O(1) membership tests.\n"
                                    "2. Walk through A and keep each value not in B and not kept yet.\n"
                                    "3. Sort what was kept. $finish_text",
                     "n, m = map(int, input().split())\na = list(map(int, input().split()))\n"
                     "in_b = set(map(int, input().split()))\nkept = []\nseen = set()\nfor x in a:\n"
                     "    if x not in in_b and x not in seen:\n        seen.add(x)\n        kept.append(x)\n"
                     "vals = sorted(kept)\n$finish"),
        Solution("two-pointers", "1. Read both sequences and sort their distinct values.\n"
                                 "2. Sweep both sorted lists together: advance in B while its value is smaller; a "
                                 "value of A is missing when B's current value differs.\n"
                                 "3. The kept values come out in increasing order. $finish_text",
                     "n, m = map(int, input().split())\na = sorted(set(map(int, input().split())))\n"
                     "b = sorted(set(map(int, input().split())))\nvals = []\nj = 0\nfor x in a:\n"
                     "    while j < len(b) and b[j] < x:\n        j += 1\n    if j == len(b) or b[j] != x:\n"
                     "        vals.append(x)\n$finish"),
        Solution("counter-subtract", "1. Read both sequences and count them with collections.Counter.\n"
                                     "2. Deleting every key of B's counter from A's leaves the values only in A.\n"
                                     "3. Sort the remaining keys. $finish_text",
                     "from collections import Counter\nn, m = map(int, input().split())\n"
                     "ca = Counter(input().split())\nfor key in input().split():\n    ca.pop(key, None)\n"
                     "vals = sorted(map(int, ca))\n$finish"),
        Solution("dict-flags", "1. Read both sequences.\n2. Make a dict from each value of A to True, then set the "
                               "flag to False for every value of B that is a key.\n"
                               "3. Keep the keys still flagged, sorted. $finish_text",
                     "n, m = map(int, input().split())\na = list(map(int, input().split()))\n"
                     "b = list(map(int, input().split()))\nflag = dict.fromkeys(a, True)\nfor x in b:\n"
                     "    if x in flag:\n        flag[x] = False\n"
                     "vals = sorted(x for x, keep in flag.items() if keep)\n$finish"),
    )
    _targets = {
        "list": ("Print these integers in ascending order, separated by spaces. If there is none, print $none.",
                 "print(\" \".join(map(str, vals)) if vals else \"$none\")\n",
                 "Print them in ascending order separated by spaces, or $none when the list is empty."),
        "count": ("Print how many such integers there are.", "print(len(vals))\n", "Print how many there are."),
    }

    def sample_params(self, rng: random.Random) -> dict:
        person, friend = rng.sample(PEOPLE, 2)
        target = rng.choice(sorted(self._targets))
        none = rng.choice(["-1", "None", "0", "Empty"])
        out, finish, text = (t.replace("$none", none) for t in self._targets[target])
        question = ("Which numbers appear on $person's $item but on none of $friend's $item?" if target == "list"
                    else "How many distinct numbers appear on $person's $item but on none of $friend's $item?")
        question_plain = "Find all of them." if target == "list" else "How many such integers are there?"
        item = rng.choice(ITEMS)
        question = question.replace("$person", person).replace("$friend", friend).replace("$item", item)
        return {"person": person, "friend": friend, "item": item, "n_max": rng.choice([10, 100, 1000]),
                "a_max": rng.choice([10, 100, 10**9]), "target": target, "none": none if target == "list" else "",
                "output": out, "finish": finish, "finish_text": text, "question": question,
                "question_plain": question_plain}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        n_max, a_max = params["n_max"], params["a_max"]
        if edge == 0:
            x = rng.randint(1, a_max)
            a, b = [x], [x]
        elif edge == 1:
            a = [rng.randint(1, a_max) for _ in range(min(n_max, 100))]
            b = [max(1, a_max - 1)] if a_max > 1 else [1]
        elif edge == 2:
            a = [rng.randint(1, a_max) for _ in range(min(n_max, 8))]
            b = list(a)
            rng.shuffle(b)
        else:
            pool = [rng.randint(1, a_max) for _ in range(12)]
            a = [rng.choice(pool) for _ in range(rng.randint(1, min(n_max, 12)))]
            b = [rng.choice(pool) for _ in range(rng.randint(1, min(n_max, 12)))]
        return f"{len(a)} {len(b)}\n{' '.join(map(str, a))}\n{' '.join(map(str, b))}\n"

    def reference(self, params: dict, stdin: str) -> str:
        lines = stdin.split("\n")
        vals = sorted(set(map(int, lines[1].split())) - set(map(int, lines[2].split())))
        if params["target"] == "count":
            return f"{len(vals)}\n"
        return (" ".join(map(str, vals)) if vals else params["none"]) + "\n"


@register
class MostFrequentWord(Family):
    name = "most_frequent_word"
    topic = "sets_maps"
    title = "Favorite $subject"
    n_edges = 3
    statements = (
        statement("$person asked N people about their favorite $subject_low. The i-th person answered S_i.\n"
                  "Find the answer given by the largest number of people. "
                  "If several answers are tied, choose the $tie_word one in dictionary order.",
                  "N\nS_1\nS_2\n\\vdots\nS_N", "Print the chosen answer.",
                  [r"1 \leq N \leq $n_max", r"Each S_i is a string of length between 1 and $len_max consisting of "
                                            r"lowercase English letters."]),
        statement("You are given N strings S_1, \\ldots, S_N.\n"
                  "Print the string that occurs most often among them; among strings with the same highest number of "
                  "occurrences, print the lexicographically $tie_word one.",
                  "N\nS_1\nS_2\n\\vdots\nS_N", "Print the answer.",
                  [r"1 \leq N \leq $n_max", r"1 \leq |S_i| \leq $len_max",
                       "S_i consists of lowercase English letters."]),
    )
    solutions = (
        Solution("counter-key", "1. Read the N strings and count them with collections.Counter.\n"
                                "2. The best string has the highest count and, among those, is the $tie_word; "
                                "encode that as a sort key.\n"
                                "3. Take $pick_fn over the counter's items with that key and print the string.",
                     "from collections import Counter\nn = int(input())\n"
                     "cnt = Counter(input().strip() for _ in range(n))\n"
                     "best = $pick_fn(cnt, key=lambda w: $key_expr)\nprint(best)\n"),
        Solution("dict-then-filter", "1. Read the strings and count them in a plain dict with get.\n"
                                     "2. Find the largest count.\n"
                                     "3. Among the strings with that count, print the $tie_word with $pick_fn.",
                     "n = int(input())\ncnt = {}\nfor _ in range(n):\n    w = input().strip()\n"
                     "    cnt[w] = cnt.get(w, 0) + 1\ntop = max(cnt.values())\n"
                     "print($pick_fn(w for w, c in cnt.items() if c == top))\n"),
        Solution("sort-runs", "1. Read the strings and sort them, so equal strings form consecutive runs in "
                              "dictionary order.\n2. Scan the runs, measuring each run's length.\n"
                              "3. Replace the best run when a run is longer$scan_note; print the best string.",
                     "n = int(input())\nws = sorted(input().strip() for _ in range(n))\nbest, best_len = None, 0\n"
                     "i = 0\nwhile i < n:\n    j = i\n    while j < n and ws[j] == ws[i]:\n        j += 1\n"
                     "    if j - i $cmp best_len:\n        best, best_len = ws[i], j - i\n    i = j\nprint(best)\n"),
        Solution("groupby", "1. Read and sort the strings; itertools.groupby yields each distinct string with its "
                            "copies.\n2. Build (count, string) pairs.\n"
                            "3. Sort them so the highest count comes first and, among equal counts, the $tie_word "
                            "string; print the first string.",
                     "from itertools import groupby\nn = int(input())\nws = sorted(input().strip() for _ in range(n))\n"
                     "pairs = [(len(list(g)), w) for w, g in groupby(ws)]\n$pair_sort\nprint(pairs[0][1])\n"),
        Solution("set-count", "1. Read the strings (N is small, so list.count per distinct string is fast "
                              "enough).\n2. Go through the distinct strings in $order_note dictionary order.\n"
                              "3. Keep the first one whose count is strictly higher than the best so far; print it.",
                     "n = int(input())\nws = [input().strip() for _ in range(n)]\nbest, best_c = \"\", 0\n"
                     "for w in sorted(set(ws)$rev):\n    c = ws.count(w)\n    if c > best_c:\n"
                     "        best, best_c = w, c\nprint(best)\n"),
    )
    _subjects = ["Fruit", "Color", "Animal", "Song", "Sport", "Flower"]

    def sample_params(self, rng: random.Random) -> dict:
        subject = rng.choice(self._subjects)
        small = rng.random() < 0.5
        p = {"person": rng.choice(PEOPLE), "subject": subject, "subject_low": subject.lower(),
             "n_max": rng.choice([10, 100, 500]), "len_max": rng.choice([3, 5, 10]),
                 "tie": "smallest" if small else "largest"}
        if small:
            p |= {"tie_word": "smallest", "pick_fn": "min", "key_expr": "(-cnt[w], w)", "cmp": ">",
                  "scan_note": " (ties keep the earlier, smaller string)",
                      "pair_sort": "pairs.sort(key=lambda p: (-p[0], p[1]))",
                  "order_note": "increasing", "rev": ""}
        else:
            p |= {"tie_word": "largest", "pick_fn": "max", "key_expr": "(cnt[w], w)", "cmp": ">=",
                  "scan_note": " or equally long (a later run is a larger string)",
                      "pair_sort": "pairs.sort(reverse=True)",
                  "order_note": "decreasing", "rev": ", reverse=True"}
        return p

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        lm = params["len_max"]
        if edge == 0:
            ws = [word(rng, rng.randint(1, lm))]
        elif edge == 1:  # all tied
            ws = list(dict.fromkeys(word(rng, rng.randint(1, lm), "abcd") for _ in range(6)))
            rng.shuffle(ws)
        elif edge == 2:
            ws = [word(rng, lm, "ab") for _ in range(params["n_max"])]
        else:
            pool = list(dict.fromkeys(word(rng, rng.randint(1, lm), "abc") for _ in range(5)))
            ws = [rng.choice(pool) for _ in range(rng.randint(1, min(params["n_max"], 15)))]
        return f"{len(ws)}\n" + "\n".join(ws) + "\n"

    def reference(self, params: dict, stdin: str) -> str:
        cnt = Counter(stdin.split()[1:])
        top = max(cnt.values())
        tied = [w for w, c in cnt.items() if c == top]
        return (min(tied) if params["tie"] == "smallest" else max(tied)) + "\n"


@register
class FirstRepeat(Family):
    name = "first_repeat"
    topic = "sets_maps"
    title = "Seen Before"
    n_edges = 3
    statements = (
        statement("$person receives N $item one by one; the i-th one has the number A_i.\n"
                      "Find the first moment $person receives a $item_one whose number $person has already received "
                      "before, "
                  "and print $what.",
                  "N\nA_1 A_2 \\ldots A_N", "Print $what. If no number repeats, print $none.",
                  [r"1 \leq N \leq $n_max", r"1 \leq A_i \leq $a_max", "All input values are integers."]),
        statement("You are given a sequence A = (A_1, \\ldots, A_N).\n"
                  "Find the smallest index j such that A_j = A_i for some i < j, and print $what_plain.",
                  "N\nA_1 A_2 \\ldots A_N", "Print $what_plain. If there is no such j, print $none.",
                  [r"1 \leq N \leq $n_max", r"1 \leq A_i \leq $a_max", "All input values are integers."]),
    )
    solutions = (
        Solution("seen-set", "1. Read the sequence.\n2. Walk through it with a set of values seen so far; the "
                             "first value already in the set is the first repeat.\n"
                             "3. Print $what_code_text, or $none if the walk ends.",
                     "n = int(input())\na = list(map(int, input().split()))\nseen = set()\nans = \"$none\"\n"
                     "for j, x in enumerate(a, 1):\n    if x in seen:\n        ans = $answer\n        break\n"
                     "    seen.add(x)\nprint(ans)\n"),
        Solution("first-index-dict", "1. Read the sequence.\n2. Record in a dict the first index of every value; "
                                     "at position j, a value already in the dict is a repeat.\n"
                                     "3. Stop at the first such j and print $what_code_text ($none if none).",
                     "n = int(input())\na = list(map(int, input().split()))\nfirst = {}\nfor j, x in enumerate(a, 1):\n"
                     "    if x in first:\n        print($answer)\n        break\n    first[x] = j\nelse:\n"
                     "    print(\"$none\")\n"),
        Solution("prefix-scan", "1. Read the sequence (N is at most $n_max).\n"
                                "2. For each j, check whether A_j occurs in the prefix A_1..A_{j-1} with the in "
                                "operator on a slice.\n3. The first j that passes is the answer; print "
                                "$what_code_text or $none.",
                     "n = int(input())\na = list(map(int, input().split()))\nans = \"$none\"\n"
                     "for j in range(2, n + 1):\n    x = a[j - 1]\n    if x in a[:j - 1]:\n        ans = $answer\n"
                     "        break\nprint(ans)\n"),
        Solution("index-compare", "1. Read the sequence.\n2. list.index returns a value's first position; at "
                                  "position j the value is a repeat exactly when that first position is earlier.\n"
                                  "3. Print $what_code_text at the first such j, or $none.",
                     "n = int(input())\na = list(map(int, input().split()))\nfor j in range(1, n + 1):\n"
                     "    x = a[j - 1]\n    if a.index(x) < j - 1:\n        print($answer)\n        break\nelse:\n"
                     "    print(\"$none\")\n"),
        Solution("distinct-prefix-length", "1. Read the sequence.\n2. The prefix A_1..A_j has j distinct values "
                                           "until the first repeat; grow a set and compare its size with j.\n"
                                           "3. The first j where the size falls behind is the answer; print "
                                           "$what_code_text or $none.",
                     "import sys\ndata = sys.stdin.read().split()\nn = int(data[0])\n"
                     "a = list(map(int, data[1:1 + n]))\nvals = set()\nfor j in range(1, n + 1):\n"
                     "    x = a[j - 1]\n    vals.add(x)\n    if len(vals) < j:\n        print($answer)\n"
                     "        break\nelse:\n    print(\"$none\")\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        item = rng.choice(ITEMS)
        value = rng.random() < 0.5
        return {"person": rng.choice(PEOPLE), "item": item, "item_one": item[:-1],
                "n_max": rng.choice([10, 100, 1000]), "a_max": rng.choice([10, 100, 10**9]),
                "target": "value" if value else "index", "none": rng.choice(["-1", "0", "None"]),
                "what": "the number on it (the repeated value)" if value else "its position j (1-indexed)",
                "what_plain": "the value A_j" if value else "j",
                "what_code_text": "the value x" if value else "the position j",
                "answer": "x" if value else "j"}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        a_max, n_max = params["a_max"], params["n_max"]
        if edge == 0:
            a = [rng.randint(1, a_max)]
        elif edge == 1:
            n = min(n_max, a_max, 200)
            a = rng.sample(range(1, a_max + 1), n)
        elif edge == 2:
            x = rng.randint(1, a_max)
            a = [x, x]
        else:
            pool = rng.sample(range(1, a_max + 1), min(a_max, rng.randint(3, 9)))
            a = [rng.choice(pool) for _ in range(rng.randint(1, min(n_max, 12)))]
        return f"{len(a)}\n{' '.join(map(str, a))}\n"

    def reference(self, params: dict, stdin: str) -> str:
        a = list(map(int, stdin.split()[1:]))
        seen = set()
        for j, x in enumerate(a, 1):
            if x in seen:
                return f"{x if params['target'] == 'value' else j}\n"
            seen.add(x)
        return params["none"] + "\n"
