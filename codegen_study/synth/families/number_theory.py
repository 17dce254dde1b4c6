"""Topic: number_theory.

Families: digits_sum_in_range, gcd_gift_sets, divisor_rectangle_layouts.
What varies: two phrasings each; names, items and things; whether the sum or the count of qualifying
integers is asked; the bounds, written the AtCoder way (10^5).
Solutions: five per family: digit sums by str, divmod, recursion, a table or an odometer; the gcd by
reduce, math.gcd or Euclid; divisors by trial up to sqrt(N), factorisation or isqrt.
"""

from __future__ import annotations

import random

from codegen_study.synth.families.common import PEOPLE_ALT, ints, num_text
from codegen_study.synth.family import Family, Solution, register

# Left out on purpose: digit-pattern checks on a fixed-length number, which sit too close to evaluation problems.

MODES = {  # mode -> (term added per qualifying x, what the statement asks for)
    "sum": ("x", "the sum of all such integers"),
    "count": ("1", "how many such integers there are"),
}


@register
class DigitSumRange(Family):
    name = "digits_sum_in_range"
    topic = "number_theory"
    title = "Digit Sum Between A and B"
    n_edges = 3
    statements = (
        r"""$person is looking at the $things numbered from 1 to N. For an integer x, let f(x) be the sum of its """
        r"""digits in base 10 (for example, f(1234) = 10).
Among the integers x with 1 \leq x \leq N, consider those with A \leq f(x) \leq B. Find $ask.

Input

The input is given from Standard Input in the following format:
N A B

Output

Print the answer.

Constraints

- 1 \leq N \leq $n_max_t
- 1 \leq A \leq B \leq 36
- All input values are integers.

$samples""",
        r"""You are given integers N, A and B. $person has $things numbered 1 to N and calls a positive integer x """
        r"""lucky when the sum of the decimal digits of x is at least A and at most B.
Consider the lucky integers between 1 and N, inclusive, and print $ask.

Input

The input is given from Standard Input in the following format:
N A B

Output

Print the answer as an integer.

Constraints

- All input values are integers.
- 1 \leq N \leq $n_max_t
- 1 \leq A \leq B \leq 36

$samples""",
    )
    solutions = (
        Solution("str-digits", "1. Loop over x = 1..N.\n2. The digit sum is sum(map(int, str(x))).\n"
                               "3. Whenever it lies in [A, B], add $term to the answer; print it.",
                     "n, a, b = map(int, input().split())\nans = 0\nfor x in range(1, n + 1):\n"
                     "    if a <= sum(map(int, str(x))) <= b:\n        ans += $term\nprint(ans)\n"),
        Solution("divmod-loop", "1. Compute the digit sum arithmetically: repeatedly take divmod(x, 10) and add "
                                "the remainder.\n2. Test every x from 1 to N with that helper.\n"
                                "3. Accumulate $term for each qualifying x and print.",
                     "def digit_sum(x):\n    s = 0\n    while x:\n        x, r = divmod(x, 10)\n        s += r\n"
                     "    return s\n\nn, a, b = map(int, input().split())\n"
                     "print(sum($term for x in range(1, n + 1) if a <= digit_sum(x) <= b))\n"),
        Solution("recursion", "1. Define f(x) recursively: f(0) = 0 and f(x) = x % 10 + f(x // 10).\n"
                              "2. Filter 1..N by A <= f(x) <= B.\n"
                              "3. Add $term per qualifying x and print the total.",
                     "def f(x):\n    return 0 if x == 0 else x % 10 + f(x // 10)\n\n"
                     "n, a, b = map(int, input().split())\nans = 0\nfor x in range(1, n + 1):\n"
                     "    if a <= f(x) <= b:\n        ans += $term\nprint(ans)\n"),
        Solution("digit-table", "1. Build a table ds with ds[0] = 0 and ds[x] = ds[x // 10] + x % 10: each entry "
                                "reuses an earlier one.\n2. Scan x = 1..N using the table.\n"
                                "3. Add $term whenever A <= ds[x] <= B; print the result.",
                     "import sys\nn, a, b = map(int, sys.stdin.read().split())\nds = [0] * (n + 1)\n"
                     "for x in range(1, n + 1):\n    ds[x] = ds[x // 10] + x % 10\n"
                     "print(sum($term for x in range(1, n + 1) if a <= ds[x] <= b))\n"),
        Solution("odometer", "1. Keep the digits of the current number in a list, lowest digit first, and its "
                             "digit sum.\n2. Go from 1 to N by incrementing like an odometer: a 9 turns into 0 and "
                             "carries (the sum drops by 9), the first non-9 digit grows by 1 (the sum grows by "
                             "1).\n3. Add $term whenever the running sum is in [A, B]; print the total.",
                     "n, a, b = map(int, input().split())\ndigits = [0]\ns = 0\nans = 0\nfor x in range(1, n + 1):\n"
                     "    i = 0\n    while i < len(digits) and digits[i] == 9:\n        digits[i] = 0\n"
                     "        s -= 9\n        i += 1\n    if i == len(digits):\n        digits.append(0)\n"
                     "    digits[i] += 1\n    s += 1\n    if a <= s <= b:\n        ans += $term\nprint(ans)\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        mode = rng.choice(sorted(MODES))
        n_max = rng.choice([100, 500, 1000, 5000, 10**4])
        return {"person": rng.choice(PEOPLE_ALT), "mode": mode, "term": MODES[mode][0], "ask": MODES[mode][1],
                "things": rng.choice(["tickets", "houses", "pages", "lockers", "seats"]), "n_max": n_max,
                    "n_max_t": num_text(n_max)}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        nm = params["n_max"]
        if edge == 0:
            return "1 1 1\n"
        if edge == 1:
            return f"{nm} 1 36\n"
        if edge == 2:
            return f"{rng.randint(1, min(nm, 9999))} 36 36\n"
        a = rng.randint(1, 20)
        return f"{rng.randint(1, nm)} {a} {rng.randint(a, min(36, a + 10))}\n"

    def reference(self, params: dict, stdin: str) -> str:
        n, a, b = ints(stdin)
        hits = [x for x in range(1, n + 1) if a <= sum(map(int, str(x))) <= b]
        return f"{sum(hits) if params['mode'] == 'sum' else len(hits)}\n"


@register
class GcdGiftSets(Family):
    name = "gcd_gift_sets"
    topic = "number_theory"
    title = "Identical ${bundle}s"
    n_edges = 3
    statements = (
        r"""$person has N kinds of ${item}s: A_i ${item}s of the i-th kind.
$person wants to pack all of them into some number of identical ${bundle}s: every $bundle must contain the same """
        r"""number of ${item}s of each kind, and no $item may be left over.
Find the maximum number of ${bundle}s.

Input

The input is given from Standard Input in the following format:
N
A_1 A_2 \ldots A_N

Output

Print the maximum number of ${bundle}s.

Constraints

- 1 \leq N \leq $n_max
- 1 \leq A_i \leq $a_max_t
- All input values are integers.

$samples""",
        r"""You are given N positive integers A_1, \ldots, A_N, the numbers of ${item}s of each kind that $person owns.
Find the largest positive integer k such that every A_i is a multiple of k (then the ${item}s can be split into k """
        r"""identical ${bundle}s).

Input

The input is given from Standard Input in the following format:
N
A_1 A_2 \ldots A_N

Output

Print k.

Constraints

- All input values are integers.
- 1 \leq N \leq $n_max
- 1 \leq A_i \leq $a_max_t

$samples""",
    )
    solutions = (
        Solution("reduce-gcd", "1. k bundles are possible exactly when k divides every A_i, so the answer is the "
                               "greatest common divisor of all A_i.\n"
                               "2. Fold the list with functools.reduce(math.gcd, ...).\n3. Print the result.",
                     "from functools import reduce\nfrom math import gcd\ninput()\n"
                     "print(reduce(gcd, map(int, input().split())))\n"),
        Solution("gcd-varargs", "1. The answer is gcd(A_1, ..., A_N).\n"
                                "2. Since Python 3.9, math.gcd accepts any number of arguments.\n"
                                "3. Print math.gcd(*A).",
                 "import math\nn = int(input())\na = list(map(int, input().split()))\nprint(math.gcd(*a))\n"),
        Solution("euclid-loop", "1. The answer is the GCD of all values; keep a running GCD g.\n"
                                "2. Combine g with each A_i by Euclid's algorithm written as a loop: while b: a, b "
                                "= b, a % b.\n3. Print g.",
                     "import sys\ndata = list(map(int, sys.stdin.read().split()))\ng = 0\n"
                     "for x in data[1:1 + data[0]]:\n    a, b = g, x\n    while b:\n        a, b = b, a % b\n"
                     "    g = a\nprint(g)\n"),
        Solution("euclid-recursive", "1. Define gcd(a, b) recursively: gcd(a, 0) = a, gcd(a, b) = gcd(b, a mod "
                                     "b).\n2. Apply it to the whole list recursively: gcd of the first element and "
                                     "the gcd of the rest.\n3. Print the value.",
                     "def gcd(a, b):\n    return a if b == 0 else gcd(b, a % b)\n\ndef gcd_list(xs):\n"
                     "    if len(xs) == 1:\n        return xs[0]\n    return gcd(xs[0], gcd_list(xs[1:]))\n\n"
                     "n = int(input())\nprint(gcd_list(list(map(int, input().split()))))\n"),
        Solution("divisors-of-min", "1. The number of bundles must divide the smallest A_i, so list the divisors "
                                    "of min(A) by trial division up to its square root.\n"
                                    "2. Try them from the largest down and stop at the first one that divides "
                                    "every A_i.\n3. Print it (1 always works).",
                     "n = int(input())\na = list(map(int, input().split()))\nm = min(a)\ndivs = set()\ni = 1\n"
                     "while i * i <= m:\n    if m % i == 0:\n        divs.add(i)\n        divs.add(m // i)\n"
                     "    i += 1\nfor d in sorted(divs, reverse=True):\n    if all(x % d == 0 for x in a):\n"
                     "        print(d)\n        break\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        a_max = rng.choice([1000, 10**5, 10**9])
        return {"person": rng.choice(PEOPLE_ALT), "item": rng.choice(["cookie", "marble", "pencil", "sticker", "flower",
             "balloon"]),
                "bundle": rng.choice(["gift set", "party bag", "package", "basket"]), "n_max": rng.choice([10, 100,
                     1000]),
                "a_max": a_max, "a_max_t": num_text(a_max)}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        am, n_cap = params["a_max"], min(params["n_max"], 100)
        if edge == 0:
            a = [rng.randint(1, am)]
        elif edge == 1:
            a = [am] * n_cap
        elif edge == 2:  # two distinct primes: answer 1
            a = [97, 89] if am >= 100 else [7, 5]
        else:
            g = rng.choice([1, 2, 6, rng.randint(1, max(1, am // 100))])
            a = [g * rng.randint(1, am // g) for _ in range(rng.randint(1, n_cap))]
        return f"{len(a)}\n{' '.join(map(str, a))}\n"

    def reference(self, params: dict, stdin: str) -> str:
        import math

        v = ints(stdin)
        return f"{math.gcd(*v[1:1 + v[0]])}\n"


@register
class CountDivisorLayouts(Family):
    name = "divisor_rectangle_layouts"
    topic = "number_theory"
    title = "Arranging $N_word ${thing}s"
    n_edges = 3
    statements = (
        r"""$person has N ${thing}s and wants to arrange all of them in a rectangle with R rows and C columns, one """
        r"""$thing per cell, with no empty cell.
How many pairs of positive integers (R, C) make this possible? Arrangements with R rows and C columns and with C """
        r"""rows and R columns are counted separately when R \neq C.

Input

The input is given from Standard Input in the following format:
N

Output

Print the number of pairs (R, C).

Constraints

- 1 \leq N \leq $n_max_t
- N is an integer.

$samples""",
        r"""You are given a positive integer N (the number of ${thing}s $person owns). Count the ordered pairs of """
        r"""positive integers (R, C) with R \times C = N.

Input

The input is given from Standard Input in the following format:
N

Output

Print the answer.

Constraints

- N is an integer.
- 1 \leq N \leq $n_max_t

$samples""",
    )
    solutions = (
        Solution("sqrt-pairs", "1. Each valid R is a divisor of N (then C = N / R), so the answer is the number of "
                               "divisors.\n2. Divisors come in pairs (i, N / i) with i <= sqrt(N): loop i while i "
                               "* i <= N, adding 2 per divisor, or 1 when i * i = N.\n3. Print the count.",
                     "n = int(input())\ncnt = 0\ni = 1\nwhile i * i <= n:\n    if n % i == 0:\n"
                     "        cnt += 1 if i * i == n else 2\n    i += 1\nprint(cnt)\n"),
        Solution("factorize", "1. The answer is the number of divisors of N.\n"
                              "2. Factorize N by trial division: N = p_1^e_1 ... p_k^e_k.\n"
                              "3. The divisor count is (e_1 + 1)(e_2 + 1)...(e_k + 1); print it.",
                     "n = int(input())\nans = 1\np = 2\nwhile p * p <= n:\n    e = 0\n    while n % p == 0:\n"
                     "        n //= p\n        e += 1\n    ans *= e + 1\n    p += 1\nif n > 1:\n    ans *= 2\n"
                     "print(ans)\n"),
        Solution("divisor-set", "1. Collect the divisors in a set: for every i up to isqrt(N) dividing N, add both "
                                "i and N // i.\n2. The set removes the duplicate when N is a perfect square.\n"
                                "3. Print the size of the set.",
                     "from math import isqrt\nn = int(input())\n"
                     "divs = {d for i in range(1, isqrt(n) + 1) if n % i == 0 for d in (i, n // i)}\n"
                     "print(len(divs))\n"),
        Solution("isqrt-formula", "1. Let r = isqrt(N). Every divisor i <= r pairs with N / i >= r.\n"
                                  "2. So the count is 2 * (number of divisors up to r), minus 1 if r * r = N (that "
                                  "pair is one divisor).\n3. Print the result.",
                     "import sys\nfrom math import isqrt\nn = int(sys.stdin.read())\nr = isqrt(n)\n"
                     "small = sum(1 for i in range(1, r + 1) if n % i == 0)\nprint(2 * small - (r * r == n))\n"),
        Solution("recursive-factor", "1. Write d(n, p) = number of divisors of n, whose prime factors are all >= "
                                     "p.\n2. Find the smallest factor q >= p of n (or n itself if it is prime), "
                                     "strip its whole power q^e, and recurse: d(n, p) = (e + 1) * d(n / q^e, q + "
                                     "1).\n3. d(1, p) = 1; print d(N, 2).",
                     "def d(n, p):\n    if n == 1:\n        return 1\n    q = p\n    while q * q <= n and n % q:\n"
                     "        q += 1\n    if q * q > n:\n        return 2\n    e = 0\n    while n % q == 0:\n"
                     "        n //= q\n        e += 1\n    return (e + 1) * d(n, q + 1)\n\n"
                     "print(d(int(input()), 2))\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        n_max = rng.choice([10**4, 10**6, 10**9])
        return {"person": rng.choice(PEOPLE_ALT), "thing": rng.choice(["tile", "chair", "flower pot", "desk",
             "solar panel", "lantern"]),
                "N_word": rng.choice(["N", "the", "All"]), "n_max": n_max, "n_max_t": num_text(n_max)}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        nm = params["n_max"]
        if edge == 0:
            return "1\n"
        if edge == 1:
            return f"{nm}\n"
        if edge == 2:  # a square and a prime square: 9973^2 or 97^2
            return f"{9973 ** 2 if nm >= 9973 ** 2 else 97 ** 2}\n"
        if rng.random() < 0.5:
            return f"{rng.randint(1, nm)}\n"
        x = 1
        while True:  # a smooth number with many divisors
            p = rng.choice([2, 2, 3, 3, 5, 7, 11])
            if x * p > nm:
                break
            x *= p
        return f"{x}\n"

    def reference(self, params: dict, stdin: str) -> str:
        n = int(stdin)
        return f"{sum(2 - (i * i == n) for i in range(1, int(n ** 0.5) + 2) if i * i <= n and n % i == 0)}\n"
