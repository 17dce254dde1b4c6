"""Topic: strings.

Families: palindrome_min_changes, palindrome_longest_substring (held out), run_length_encoding.
What varies: two phrasings each; names and things; lowercase or uppercase letters; character-first or
count-first encoding; the bounds.
Solutions: five per family: half loops, two pointers and slices, all substrings, expanding centres, a DP
table, Manacher; scans, groupby and a regex for runs.
"""

from __future__ import annotations

import random

from codegen_study.synth.families.common import ALPHABETS, PEOPLE_ALT, word
from codegen_study.synth.family import Family, Solution, register

# Left out on purpose: palindromes of special characters and doubled-letter patterns, which would paraphrase
# evaluation problems.


@register
class PalindromeMinChanges(Family):
    name = "palindrome_min_changes"
    topic = "strings"
    title = "Make the $thing a Palindrome"
    n_edges = 3
    statements = (
        r"""$person has written a $thing, which is a string S consisting of $alphabet.
$person likes palindromes, that is, strings that read the same forwards and backwards. In one operation, $person can """
        r"""replace one character of S with any character (of the same kind).
Find the minimum number of operations needed to make S a palindrome.

Input

The input is given from Standard Input in the following format:
S

Output

Print the minimum number of operations.

Constraints

- S is a string of length between 1 and $n_max, inclusive, consisting of $alphabet.

$samples""",
        r"""You are given a string S of length N made of $alphabet (it is $person's $thing).
You may change characters of S one at a time. What is the smallest number of changes after which S_i = S_{N+1-i} """
        r"""holds for every 1 \leq i \leq N?

Input

The input is given from Standard Input in the following format:
S

Output

Print the answer.

Constraints

- 1 \leq |S| \leq $n_max
- S consists of $alphabet.

$samples""",
    )
    solutions = (
        Solution("half-loop", "1. Position i must match its mirror position N-1-i, and each mismatched pair can be "
                              "fixed with one change (and needs at least one).\n"
                              "2. Loop i over the first half and count mismatched pairs.\n3. Print the count.",
                     "s = input()\nn = len(s)\ncnt = 0\nfor i in range(n // 2):\n    if s[i] != s[n - 1 - i]:\n"
                     "        cnt += 1\nprint(cnt)\n"),
        Solution("zip-reversed", "1. Pair S with its reverse using zip; every mismatched mirror pair then shows up "
                                 "twice (once from each side).\n2. Count the mismatches over the whole string.\n"
                                 "3. Halve the count and print.",
                 "s = input().strip()\nprint(sum(a != b for a, b in zip(s, reversed(s))) // 2)\n"),
        Solution("two-pointers", "1. Put one pointer at each end of S.\n"
                                 "2. Move them towards each other; whenever the characters differ, one change is "
                                 "needed.\n3. Stop when they meet and print the number of changes.",
                     "s = input()\ni, j = 0, len(s) - 1\nops = 0\nwhile i < j:\n    if s[i] != s[j]:\n"
                     "        ops += 1\n    i += 1\n    j -= 1\nprint(ops)\n"),
        Solution("half-slices", "1. Compare the first half of S with the reversed second half (the middle "
                                "character of an odd length needs no change).\n"
                                "2. Count positions where they differ, using a generator over the two halves.\n"
                                "3. Print it.",
                     "import sys\ns = sys.stdin.readline().strip()\nh = len(s) // 2\nfront = s[:h]\n"
                     "back = s[::-1][:h]\nprint(sum(1 for k in range(h) if front[k] != back[k]))\n"),
        Solution("recursion", "1. Define f(t): 0 when |t| <= 1; otherwise (1 if the outer characters differ) + f(t "
                              "without its ends).\n2. The recursion depth is at most |S| / 2, so raise the "
                              "recursion limit.\n3. Print f(S).",
                     "import sys\nsys.setrecursionlimit(10000)\n\ndef f(t, lo, hi):\n    if lo >= hi:\n"
                     "        return 0\n    return (t[lo] != t[hi]) + f(t, lo + 1, hi - 1)\n\ns = input()\n"
                     "print(f(s, 0, len(s) - 1))\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        return {"person": rng.choice(PEOPLE_ALT), "thing": rng.choice(["banner", "password", "poem", "necklace label",
             "name tag"]),
                "alphabet": rng.choice(sorted(ALPHABETS)), "n_max": rng.choice([10, 100, 200, 1000])}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        letters, nm = ALPHABETS[params["alphabet"]], min(params["n_max"], 500)
        if edge == 0:
            return rng.choice(letters) + "\n"
        if edge == 1:  # every mirror pair differs
            half = word(rng, nm // 2, letters[:2])
            flipped = "".join(letters[1] if c == letters[0] else letters[0] for c in half)
            return half + ("" if nm % 2 == 0 else letters[2]) + flipped + "\n"
        if edge == 2:  # already a palindrome of maximal length
            half = word(rng, nm // 2, letters)
            return half + ("" if nm % 2 == 0 else letters[0]) + half[::-1] + "\n"
        n = rng.randint(1, nm)
        base = word(rng, (n + 1) // 2, letters[:rng.choice([2, 3, 26])])
        s = list(base + base[: n // 2][::-1])
        for _ in range(rng.randint(0, n)):
            s[rng.randrange(n)] = rng.choice(letters[:3])
        return "".join(s) + "\n"

    def reference(self, params: dict, stdin: str) -> str:
        s = stdin.strip()
        return f"{sum(s[i] != s[-1 - i] for i in range(len(s) // 2))}\n"


@register
class LongestPalindromicSubstring(Family):
    name = "palindrome_longest_substring"
    topic = "strings"
    title = "Longest Palindromic $part"
    n_edges = 3
    heldout = True
    statements = (
        r"""$person found a $source, written as a string S consisting of $alphabet.
Find the maximum length of a contiguous substring of S that is a palindrome (reads the same forwards and backwards).
Note that every string of length 1 is a palindrome, so the answer is at least 1.

Input

The input is given from Standard Input in the following format:
S

Output

Print the answer.

Constraints

- S is a string of length between 1 and $n_max, inclusive, consisting of $alphabet.

$samples""",
        r"""You are given a string S of $alphabet ($person's $source). A $part of S is a non-empty string obtained """
        r"""by deleting zero or more characters from the beginning and zero or more characters from the end of S.
Among the ${part}s of S that are palindromes, print the length of the longest one.

Input

The input is given from Standard Input in the following format:
S

Output

Print the length.

Constraints

- 1 \leq |S| \leq $n_max
- S consists of $alphabet.

$samples""",
    )
    solutions = (
        Solution("all-substrings", "1. |S| <= $n_max, so every substring S[i:j] can be checked.\n"
                                   "2. A substring is a palindrome when it equals its reverse t[::-1].\n"
                                   "3. Print the largest length found.",
                     "s = input()\nn = len(s)\nbest = 0\nfor i in range(n):\n    for j in range(i + 1, n + 1):\n"
                     "        t = s[i:j]\n        if t == t[::-1]:\n            best = max(best, j - i)\n"
                     "print(best)\n"),
        Solution("expand-centers", "1. Every palindrome has a center: a character (odd length) or a gap between "
                                   "two characters (even length).\n"
                                   "2. From each of the 2N - 1 centers, expand outwards while the two ends match.\n"
                                   "3. Print the longest expansion.",
                     "s = input()\nn = len(s)\nbest = 1\nfor c in range(2 * n - 1):\n"
                     "    lo, hi = c // 2, (c + 1) // 2\n    while lo >= 0 and hi < n and s[lo] == s[hi]:\n"
                     "        lo -= 1\n        hi += 1\n    best = max(best, hi - lo - 1)\nprint(best)\n"),
        Solution("dp-table", "1. Let pal[i][j] say whether S[i..j] is a palindrome: true when S[i] = S[j] and the "
                             "inside S[i+1..j-1] is a palindrome (or empty).\n"
                             "2. Fill the table by increasing length.\n"
                             "3. Print the largest length with a true entry.",
                     "s = input()\nn = len(s)\npal = [[False] * n for _ in range(n)]\nbest = 1\n"
                     "for length in range(1, n + 1):\n    for i in range(n - length + 1):\n"
                     "        j = i + length - 1\n        if s[i] == s[j] and (length <= 2 or pal[i + 1][j - 1]):\n"
                     "            pal[i][j] = True\n            best = length\nprint(best)\n"),
        Solution("longest-first", "1. Try lengths from |S| down to 1.\n"
                                  "2. For each length, test every window with any(); the first length with a "
                                  "palindromic window is the answer.\n3. Print it and stop.",
                     "import sys\ns = sys.stdin.readline().strip()\nn = len(s)\nfor length in range(n, 0, -1):\n"
                     "    if any(s[i:i + length] == s[i:i + length][::-1] for i in range(n - length + 1)):\n"
                     "        print(length)\n        break\n"),
        Solution("manacher", "1. Interleave S with separators ('#a#b#...') so every palindrome has odd length.\n"
                             "2. Manacher's algorithm computes the radius p[i] around each position in linear "
                             "time, reusing the mirror position inside the rightmost palindrome found so far.\n"
                             "3. The longest palindrome in S has length max(p); print it.",
                     "s = input()\nt = '#' + '#'.join(s) + '#'\nm = len(t)\np = [0] * m\ncenter = right = 0\n"
                     "for i in range(m):\n    if i < right:\n        p[i] = min(right - i, p[2 * center - i])\n"
                     "    while i - p[i] - 1 >= 0 and i + p[i] + 1 < m and t[i - p[i] - 1] == t[i + p[i] + 1]:\n"
                     "        p[i] += 1\n    if i + p[i] > right:\n        center, right = i, i + p[i]\n"
                     "print(max(p))\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        return {"person": rng.choice(PEOPLE_ALT), "source": rng.choice(["ancient scroll", "DNA-like code", "song lyric",
             "secret message"]),
                "part": rng.choice(["substring", "segment", "piece"]), "alphabet": rng.choice(sorted(ALPHABETS)),
                "n_max": rng.choice([10, 20, 50, 100])}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        letters, nm = ALPHABETS[params["alphabet"]], params["n_max"]
        if edge == 0:
            return rng.choice(letters) + "\n"
        if edge == 1:  # one letter repeated: the whole string
            return letters[rng.randrange(26)] * nm + "\n"
        if edge == 2:  # period-3 pattern: no palindrome longer than 1
            return (letters[:3] * nm)[:nm] + "\n"
        n = rng.randint(1, nm)
        s = word(rng, n, letters[:rng.choice([2, 3, 4, 26])])
        if n >= 4 and rng.random() < 0.5:  # plant a palindrome
            k = rng.randint(2, n)
            i = rng.randint(0, n - k)
            half = s[i:i + (k + 1) // 2]
            s = s[:i] + half + half[: k // 2][::-1] + s[i + k:]
        return s + "\n"

    def reference(self, params: dict, stdin: str) -> str:
        s = stdin.strip()
        n = len(s)
        return f"{max(j - i for i in range(n) for j in range(i + 1, n + 1) if s[i:j] == s[i:j][::-1])}\n"


ORDERS = {  # piece expression in code, description
    "char_first": ("ch + str(cnt)", "the character followed by the length of the run in decimal"),
    "count_first": ("str(cnt) + ch", "the length of the run in decimal followed by the character"),
}


@register
class RunLengthEncode(Family):
    name = "run_length_encoding"
    topic = "strings"
    title = "$tool Compression"
    n_edges = 3
    statements = (
        r"""$person is building $tool, a tool that compresses strings consisting of $alphabet.
The tool splits the string S into runs: maximal blocks of consecutive equal characters. Each run is then written as """
        r"""$order_text, and these pieces are concatenated in order.
Print the compressed form of S.

Input

The input is given from Standard Input in the following format:
S

Output

Print the compressed string.

Constraints

- S is a string of length between 1 and $n_max, inclusive, consisting of $alphabet.

$samples""",
        r"""You are given a string S of $alphabet. Split S from left to right into maximal groups of identical """
        r"""adjacent characters.
Replace each group by $order_text and print the concatenation of these replacements. ($person calls this format $tool.)

Input

The input is given from Standard Input in the following format:
S

Output

Print the encoded string on one line.

Constraints

- 1 \leq |S| \leq $n_max
- S consists of $alphabet.

$samples""",
    )
    solutions = (
        Solution("scan-loop", "1. Walk through S keeping the current character ch and its run length cnt.\n"
                              "2. When the character changes, emit the piece for the finished run and start a new "
                              "one.\n3. Emit the last run and print the joined pieces.",
                     "s = input()\nout = []\nch, cnt = s[0], 1\nfor c in s[1:]:\n    if c == ch:\n        cnt += 1\n"
                     "    else:\n        out.append($piece)\n        ch, cnt = c, 1\nout.append($piece)\n"
                     "print(''.join(out))\n"),
        Solution("groupby", "1. itertools.groupby(S) yields each run as (character, iterator over the run).\n"
                            "2. The run length is the length of that iterator turned into a list.\n"
                            "3. Build the piece for each run and print them joined.",
                     "from itertools import groupby\ns = input()\nout = []\nfor ch, grp in groupby(s):\n"
                     "    cnt = len(list(grp))\n    out.append($piece)\nprint(''.join(out))\n"),
        Solution("regex", "1. The regular expression (.)\\1* matches one whole run: a character followed by copies "
                          "of itself.\n2. re.finditer walks over the runs from left to right; the run length is "
                          "the length of the match.\n3. Build and print the pieces.",
                     "import re\ns = input()\nout = []\nfor m in re.finditer(r'(.)\\1*', s):\n"
                     "    ch, cnt = m.group(1), len(m.group(0))\n    out.append($piece)\nprint(''.join(out))\n"),
        Solution("two-pointers", "1. Let i be the start of the current run; advance j while S[j] equals S[i].\n"
                                 "2. The run is S[i:j] with length j - i; emit its piece and continue from j.\n"
                                 "3. Print the joined pieces.",
                     "import sys\ns = sys.stdin.readline().strip()\nn = len(s)\nout = []\ni = 0\nwhile i < n:\n"
                     "    j = i\n    while j < n and s[j] == s[i]:\n        j += 1\n    ch, cnt = s[i], j - i\n"
                     "    out.append($piece)\n    i = j\nprint(''.join(out))\n"),
        Solution("boundaries", "1. A run starts at position 0 and wherever S[k] differs from S[k-1]; list these "
                               "starts and append len(S) as a sentinel.\n"
                               "2. Consecutive starts a, b give a run of S[a] of length b - a.\n"
                               "3. Build the pieces with zip over consecutive starts and print.",
                     "s = input()\nstarts = [0] + [k for k in range(1, len(s)) if s[k] != s[k - 1]] + [len(s)]\n"
                     "out = []\nfor a, b in zip(starts, starts[1:]):\n    ch, cnt = s[a], b - a\n"
                     "    out.append($piece)\nprint(''.join(out))\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        order = rng.choice(sorted(ORDERS))
        return {"person": rng.choice(PEOPLE_ALT), "tool": rng.choice(["RunPack", "Squeezer", "ShortText", "Zipline",
             "Condenser"]),
                "alphabet": rng.choice(sorted(ALPHABETS)), "n_max": rng.choice([10, 100, 200, 1000]),
                "order": order, "piece": ORDERS[order][0], "order_text": ORDERS[order][1]}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        letters, nm = ALPHABETS[params["alphabet"]], min(params["n_max"], 500)
        if edge == 0:
            return rng.choice(letters) + "\n"
        if edge == 1:  # a single long run (multi-digit count)
            return rng.choice(letters) * nm + "\n"
        if edge == 2:  # alternating: every run has length 1
            return (letters[:2] * nm)[:nm] + "\n"
        runs, s = rng.choice([2, 3, 26]), ""
        target = rng.randint(1, nm)
        while len(s) < target:
            s += rng.choice(letters[:runs]) * rng.randint(1, rng.choice([3, 12]))
        return s[:target] + "\n"

    def reference(self, params: dict, stdin: str) -> str:
        from itertools import groupby

        s = stdin.strip()
        pieces = []
        for ch, grp in groupby(s):
            cnt = len(list(grp))
            pieces.append(ch + str(cnt) if params["order"] == "char_first" else str(cnt) + ch)
        return "".join(pieces) + "\n"
