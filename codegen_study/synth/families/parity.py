"""Topic: parity.

Families: product_parity, sum_of_parity, divisible_by_either, multiple_labels (held out).
What varies: two phrasings each; names and items; the answer and label words, even or odd; the bounds;
lists in a row or a column.
Solutions: five per family: short-circuit tests, bit operations, exact big products, inclusion-exclusion
with the lcm, sieve-style marking, lookup tables, pattern matching.
"""

from __future__ import annotations

import math
import random

from codegen_study.synth.families.common import ITEMS, PEOPLE, format_list, layout_params, statement
from codegen_study.synth.family import Family, Solution, register


@register
class ProductParity(Family):
    name = "product_parity"
    topic = "parity"
    title = "Even Product"
    n_edges = 3
    statements = (
        statement("$person has N $item with integers A_1, A_2, \\ldots, A_N written on them.\n"
                  "Is the product A_1 \\times A_2 \\times \\cdots \\times A_N even or odd?",
                  "N\n$a_format", "If the product is even, print $even; if it is odd, print $odd.",
                  [r"1 \leq N \leq $n_max", r"1 \leq A_i \leq $a_max", "All input values are integers."]),
        statement("You are given N positive integers A_1, \\ldots, A_N.\nDetermine the parity of their product.",
                  "N\n$a_format", "Print $even if the product of all A_i is even, and $odd otherwise.",
                  [r"1 \leq N \leq $n_max", r"1 \leq A_i \leq $a_max", "All input values are integers."]),
    )
    solutions = (
        Solution("any-even", "1. Read the N integers.\n2. A product is even exactly when at least one factor is "
                             "even.\n3. any() checks for an even A_i; print $even or $odd.",
                 "n = int(input())\na = $read_a\nprint(\"$even\" if any(x % 2 == 0 for x in a) else \"$odd\")\n"),
        Solution("all-odd-bits", "1. Read the N integers.\n2. The product is odd only if every factor is odd, i.e. "
                                 "every lowest bit x & 1 is 1.\n3. all() over the bits decides; print the word.",
                 "n = int(input())\na = $read_a\nprint(\"$odd\" if all(x & 1 for x in a) else \"$even\")\n"),
        Solution("product-mod-2", "1. Read the N integers.\n2. Multiply them modulo 2 in a loop, so the running "
                                  "value stays 0 or 1.\n3. A final 0 means the product is even.",
                     "n = int(input())\na = $read_a\np = 1\nfor x in a:\n    p = p * x % 2\n"
                     "print(\"$even\" if p == 0 else \"$odd\")\n"),
        Solution("big-product", "1. Read the N integers.\n2. Python integers are exact, so math.prod computes the "
                                "whole product.\n3. Check its remainder modulo 2 and print the word.",
                     "import math\nn = int(input())\na = $read_a\n"
                     "print(\"$even\" if math.prod(a) % 2 == 0 else \"$odd\")\n"),
        Solution("count-evens", "1. Read the N integers.\n2. Count the even ones with sum over a filter.\n"
                                "3. If the count is positive the product has a factor 2, so it is even.",
                     "n = int(input())\na = $read_a\nevens = sum(1 for x in a if x % 2 == 0)\n"
                     "print(\"$even\" if evens > 0 else \"$odd\")\n"),
    )
    _words = [("Even", "Odd"), ("even", "odd"), ("EVEN", "ODD"), ("Yes", "No")]

    def sample_params(self, rng: random.Random) -> dict:
        even, odd = rng.choice(self._words)
        return {"person": rng.choice(PEOPLE), "item": rng.choice(ITEMS), "n_max": rng.choice([10, 100, 200]),
                "a_max": rng.choice([9, 100, 10**9]), "even": even, "odd": odd, **layout_params(rng)}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        n_max, a_max = params["n_max"], params["a_max"]
        odd = lambda: rng.randrange(1, a_max + 1, 2)  # noqa: E731
        if edge == 0:
            vals = [1]
        elif edge == 1:
            vals = [odd() for _ in range(n_max)]
        elif edge == 2:
            vals = [odd() for _ in range(n_max - 1)] + [2 * rng.randint(1, a_max // 2)]
        else:
            n = rng.randint(1, min(n_max, 15))
            vals = [odd() for _ in range(n)] if rng.random() < 0.5 else [rng.randint(1, a_max) for _ in range(n)]
        return f"{len(vals)}\n" + format_list(params, vals)

    def reference(self, params: dict, stdin: str) -> str:
        vals = list(map(int, stdin.split()[1:]))
        return (params["even"] if any(v % 2 == 0 for v in vals) else params["odd"]) + "\n"


@register
class SumOfParity(Family):
    name = "sum_of_parity"
    topic = "parity"
    title = "$Kind Total"
    n_edges = 2
    statements = (
        statement("$person has N bags; the i-th bag contains A_i $item.\n"
                  "$person takes every bag that contains an $kind number of $item. "
                  "How many $item does $person take in total?",
                  "N\n$a_format", "Print the total number of $item taken (0 if no bag is taken).",
                  [r"1 \leq N \leq $n_max", r"0 \leq A_i \leq $a_max", "All input values are integers."]),
        statement("You are given a sequence of N integers A_1, \\ldots, A_N.\n"
                  "Find the sum of the elements of A that are $kind.",
                  "N\n$a_format", "Print the sum. If no element is $kind, print 0.",
                  [r"1 \leq N \leq $n_max", r"0 \leq A_i \leq $a_max", "All input values are integers."]),
    )
    solutions = (
        Solution("loop", "1. Read the N integers.\n2. Loop over them and add each one whose remainder modulo 2 is "
                         "$rem.\n3. Print the total.",
                     "n = int(input())\na = $read_a\ntotal = 0\nfor x in a:\n    if x % 2 == $rem:\n"
                     "        total += x\nprint(total)\n"),
        Solution("generator", "1. Read the N integers.\n2. A generator expression keeps the $kind ones (x % 2 == "
                              "$rem).\n3. sum adds them; the sum of nothing is 0.",
                 "n = int(input())\na = $read_a\nprint(sum(x for x in a if x % 2 == $rem))\n"),
        Solution("filter", "1. Read the N integers.\n2. filter with a lambda keeps the values whose lowest bit is "
                           "$rem.\n3. Sum the filtered values.",
                 "n = int(input())\na = $read_a\nprint(sum(filter(lambda x: x & 1 == $rem, a)))\n"),
        Solution("weight", "1. Read the N integers.\n2. Weight every value by 1 if it is $kind and by 0 otherwise "
                           "(a comparison is 0 or 1).\n3. The weighted sum is the answer.",
                 "n = int(input())\na = $read_a\nprint(sum(x * (x % 2 == $rem) for x in a))\n"),
        Solution("complement", "1. Read the N integers and take their total.\n"
                               "2. Subtract the values of the other parity, collected with a list comprehension.\n"
                               "3. What is left is the sum of the $kind values.",
                     "n = int(input())\na = $read_a\nother = [x for x in a if x % 2 != $rem]\n"
                     "print(sum(a) - sum(other))\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        even = rng.random() < 0.5
        return {"person": rng.choice(PEOPLE), "item": rng.choice(ITEMS), "n_max": rng.choice([10, 100, 1000]),
                "a_max": rng.choice([100, 10**4, 10**9]), "kind": "even" if even else "odd",
                "Kind": "Even" if even else "Odd", "rem": 0 if even else 1,
                **layout_params(rng)}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        a_max = params["a_max"]
        if edge == 0:  # one value of the other parity: the answer is 0
            x = rng.randint(0, a_max)
            if x % 2 == params["rem"]:
                x = x + 1 if x < a_max else x - 1
            vals = [x]
        elif edge == 1:
            vals = [a_max - rng.randint(0, 1) for _ in range(min(params["n_max"], 200))]
        else:
            vals = [rng.randint(0, a_max) for _ in range(rng.randint(1, min(params["n_max"], 15)))]
        return f"{len(vals)}\n" + format_list(params, vals)

    def reference(self, params: dict, stdin: str) -> str:
        vals = list(map(int, stdin.split()[1:]))
        return f"{sum(v for v in vals if v % 2 == params['rem'])}\n"


@register
class DivisibleByEither(Family):
    name = "divisible_by_either"
    topic = "parity"
    title = "Multiples of A or B"
    n_edges = 3
    statements = (
        statement("$person writes the integers 1, 2, \\ldots, N on $item, one integer each.\n"
                  "Then $person keeps every $item_one whose integer is a multiple of A or a multiple of B (or both).\n"
                  "How many $item does $person keep?",
                  "N A B", "Print the number of $item kept.",
                  [r"1 \leq N \leq $n_max", r"1 \leq A, B \leq $ab_max", "All input values are integers."]),
        statement("You are given integers N, A and B.\n"
                  "Find how many integers x with 1 \\leq x \\leq N are divisible by at least one of A and B.",
                  "N A B", "Print the answer.",
                  [r"1 \leq N \leq $n_max", r"1 \leq A \leq $ab_max", r"1 \leq B \leq $ab_max",
                       "All input values are integers."]),
    )
    solutions = (
        Solution("inclusion-exclusion", "1. Read N, A and B.\n2. There are N // A multiples of A and N // B of B; "
                                        "the common ones are the multiples of lcm(A, B) = A * B / gcd(A, B), "
                                        "counted twice.\n3. Print N // A + N // B - N // lcm.",
                     "import math\nn, a, b = map(int, input().split())\nl = a * b // math.gcd(a, b)\n"
                     "print(n // a + n // b - n // l)\n"),
        Solution("loop", "1. Read N, A and B (N is at most $n_max).\n"
                         "2. Test every x from 1 to N for x % A == 0 or x % B == 0.\n3. Count and print.",
                     "n, a, b = map(int, input().split())\ncount = 0\nfor x in range(1, n + 1):\n"
                     "    if x % a == 0 or x % b == 0:\n        count += 1\nprint(count)\n"),
        Solution("set-union", "1. Read N, A and B.\n2. range(A, N + 1, A) and range(B, N + 1, B) list the "
                              "multiples of each.\n3. The size of the union of the two sets is the answer.",
                     "n, a, b = map(int, input().split())\n"
                     "print(len(set(range(a, n + 1, a)) | set(range(b, n + 1, b))))\n"),
        Solution("mark-array", "1. Read N, A and B and make a boolean array for 1..N.\n"
                               "2. Step through the multiples of A and of B, marking each.\n"
                               "3. Count the marked entries.",
                     "n, a, b = map(int, input().split())\nmarked = [False] * (n + 1)\nfor step in (a, b):\n"
                     "    for x in range(step, n + 1, step):\n        marked[x] = True\nprint(sum(marked))\n"),
        Solution("math-lcm", "1. Read N, A and B.\n2. Count the complement: numbers divisible by neither, N - N // "
                             "A - N // B + N // lcm, using math.lcm.\n3. Subtract it from N.",
                     "import math\nn, a, b = map(int, input().split())\n"
                     "neither = n - n // a - n // b + n // math.lcm(a, b)\nprint(n - neither)\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        item = rng.choice(ITEMS)
        return {"person": rng.choice(PEOPLE), "item": item, "item_one": item[:-1],
                "n_max": rng.choice([100, 1000, 10000, 100000]), "ab_max": rng.choice([10, 100, 1000])}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        n_max, ab = params["n_max"], params["ab_max"]
        if edge == 0:
            n, a, b = 1, 1, 1
        elif edge == 1:
            n, a, b = n_max, ab, ab
        elif edge == 2:
            a = rng.randint(1, min(ab, 10))
            n, b = n_max, a * rng.randint(1, ab // a)
        else:
            n, a, b = rng.randint(1, n_max), rng.randint(1, ab), rng.randint(1, ab)
        return f"{n} {a} {b}\n"

    def reference(self, params: dict, stdin: str) -> str:
        n, a, b = map(int, stdin.split())
        return f"{n // a + n // b - n // math.lcm(a, b)}\n"


@register
class MultipleLabels(Family):
    name = "multiple_labels"
    topic = "parity"
    title = "$word_a and $word_b"
    heldout = True
    n_edges = 3
    statements = (
        statement("$person plays a counting game: for i = 1, 2, \\ldots, N in order, $person says one line.\n"
                  "- If i is a multiple of both A and B, the line is $both.\n"
                  "- Otherwise, if i is a multiple of A, the line is $word_a.\n"
                  "- Otherwise, if i is a multiple of B, the line is $word_b.\n"
                  "- Otherwise, the line is the integer i itself.\nPrint the N lines.",
                  "N A B", "Print N lines; the i-th line is what $person says for i.",
                  [r"1 \leq N \leq $n_max", r"1 \leq A, B \leq 20", "All input values are integers."]),
        statement("You are given integers N, A and B. For each integer i from 1 to N, print a label: "
                  "$both when A and B both divide i, $word_a when only A divides i, $word_b when only B divides i, "
                  "and the decimal notation of i when neither divides it.",
                  "N A B", "Print the N labels, one per line, in order of i.",
                  [r"1 \leq N \leq $n_max", r"1 \leq A \leq 20", r"1 \leq B \leq 20",
                      "All input values are integers."]),
    )
    solutions = (
        Solution("if-chain", "1. Read N, A and B.\n2. For each i test divisibility by both first, then by A alone, "
                             "then by B alone.\n3. Print the matching label or i.",
                     "n, a, b = map(int, input().split())\nfor i in range(1, n + 1):\n"
                     "    if i % a == 0 and i % b == 0:\n        print(\"$both\")\n    elif i % a == 0:\n"
                     "        print(\"$word_a\")\n    elif i % b == 0:\n        print(\"$word_b\")\n    else:\n"
                     "        print(i)\n"),
        Solution("lookup-table", "1. Read N, A and B.\n2. Encode the two divisibility tests as a number 0..3 (A "
                                 "gives 1, B gives 2).\n3. Index a table of the four labels with it, using i "
                                 "itself for 0.",
                     "n, a, b = map(int, input().split())\nlines = []\nfor i in range(1, n + 1):\n"
                     "    code = (i % a == 0) + 2 * (i % b == 0)\n"
                     "    lines.append((str(i), \"$word_a\", \"$word_b\", \"$both\")[code])\n"
                     "print(\"\\n\".join(lines))\n"),
        Solution("sieve", "1. Read N, A and B and start with every label equal to its number.\n"
                          "2. Step over the multiples of A, then of B, and finally of lcm(A, B) to overwrite the "
                          "labels.\n3. Print the labels in order.",
                     "import math\nn, a, b = map(int, input().split())\nlabel = [str(i) for i in range(n + 1)]\n"
                     "for i in range(a, n + 1, a):\n    label[i] = \"$word_a\"\nfor i in range(b, n + 1, b):\n"
                     "    label[i] = \"$word_b\"\nfor i in range(math.lcm(a, b), n + 1, math.lcm(a, b)):\n"
                     "    label[i] = \"$both\"\nprint(\"\\n\".join(label[1:]))\n"),
        Solution("match", "1. Read N, A and B.\n2. For each i build the pair of remainders (i % A, i % B).\n"
                          "3. A match statement on the pair picks the label: (0, 0), then (0, _), then (_, 0), "
                          "else i.",
                     "n, a, b = map(int, input().split())\nfor i in range(1, n + 1):\n    match (i % a, i % b):\n"
                     "        case (0, 0):\n            print(\"$both\")\n        case (0, _):\n"
                     "            print(\"$word_a\")\n        case (_, 0):\n            print(\"$word_b\")\n"
                     "        case _:\n            print(i)\n"),
        Solution("function-map", "1. Read N, A and B.\n2. Write a function that returns the label of one number "
                                 "with conditional expressions.\n3. map it over 1..N and print one label per line.",
                     "def label(i, a, b):\n    if i % a == 0:\n"
                     "        return \"$both\" if i % b == 0 else \"$word_a\"\n"
                     "    return \"$word_b\" if i % b == 0 else str(i)\n\n\nn, a, b = map(int, input().split())\n"
                     "print(*map(lambda i: label(i, a, b), range(1, n + 1)), sep=\"\\n\")\n"),
    )
    _words = ["Fizz", "Buzz", "Taka", "Hashi", "Snu", "Ke", "Pin", "Pon", "Tic", "Tac", "Ping", "Pong"]

    def sample_params(self, rng: random.Random) -> dict:
        wa, wb = rng.sample(self._words, 2)
        joined = rng.random() < 0.5
        return {"person": rng.choice(PEOPLE), "n_max": rng.choice([20, 50, 100]), "word_a": wa, "word_b": wb,
                "both": wa + wb if joined else wa.upper() + wb.upper()}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        if edge == 0:
            return "1 1 1\n"
        if edge == 1:
            return f"{params['n_max']} {rng.randint(2, 5)} {rng.randint(2, 5)}\n"
        if edge == 2:
            a = rng.randint(2, 6)
            return f"{params['n_max']} {a} {a}\n"
        return f"{rng.randint(1, params['n_max'])} {rng.randint(1, 20)} {rng.randint(1, 20)}\n"

    def reference(self, params: dict, stdin: str) -> str:
        n, a, b = map(int, stdin.split())
        out = []
        for i in range(1, n + 1):
            if i % a == 0 and i % b == 0:
                out.append(params["both"])
            elif i % a == 0:
                out.append(params["word_a"])
            elif i % b == 0:
                out.append(params["word_b"])
            else:
                out.append(str(i))
        return "\n".join(out) + "\n"
