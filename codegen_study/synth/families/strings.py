"""Topic: strings.

Families: count_letter_set, caesar_shift, swap_case, reverse_word_order, acronym (held out).
What varies: two phrasings each; names and things; the letter set, shift direction, input order,
separator, alphabet (with or without digits) and acronym style; the bounds.
Solutions: five per family (six for count_letter_set) in different idioms: loops, builtins, translation
tables, regular expressions, itertools, deques.
"""

from __future__ import annotations

import random
import string

from codegen_study.synth.families.common import PEOPLE, and_list, statement, word
from codegen_study.synth.family import Family, Solution, register

THINGS = ["string", "word", "message", "password", "note"]
N_MAXES = [10, 50, 100, 1000]


@register
class CountLetterSet(Family):
    name = "count_letter_set"
    topic = "strings"
    title = "Special Letters"
    statements = (
        statement("$person wrote a $thing S consisting of lowercase English letters.\n"
                  "The letters $letters_disp are special for $person.\n"
                  "How many characters of S are special letters?",
                  "S", "Print the number of characters of S that are special letters.",
                  [r"S is a string of length between 1 and $n_max, inclusive, consisting of lowercase English "
                   r"letters."]),
        statement("You are given a $thing S of lowercase English letters.\n"
                      "Count the positions i (1 \\leq i \\leq |S|) such that the i-th character of S is one of "
                      "$letters_disp.",
                  "S", "Print the count as an integer.",
                  [r"1 \leq |S| \leq $n_max", "S consists of lowercase English letters."]),
    )
    solutions = (
        Solution("loop", "1. Read S.\n2. Walk over its characters and add 1 whenever the character is in "
                         "\"$letters\".\n3. Print the counter.",
                     "s = input().strip()\ncount = 0\nfor c in s:\n    if c in \"$letters\":\n        count += 1\n"
                     "print(count)\n"),
        Solution("sum-bool", "1. Read S.\n2. A membership test is a bool, and True counts as 1.\n"
                             "3. Sum the tests over all characters and print.",
                 "s = input().strip()\nprint(sum(c in \"$letters\" for c in s))\n"),
        Solution("str-count", "1. Read S.\n2. For each special letter, str.count gives how often it occurs.\n"
                              "3. The letters are distinct, so the counts add up to the answer.",
                 "s = input().strip()\nprint(sum(s.count(ch) for ch in \"$letters\"))\n"),
        Solution("regex", "1. Read S.\n2. The character class [$letters] matches exactly one special letter.\n"
                          "3. re.findall returns every match; print how many there are.",
                 "import re\ns = input().strip()\nprint(len(re.findall(\"[$letters]\", s)))\n"),
        Solution("delete-and-compare", "1. Read S.\n2. str.translate with a deletion table removes every special "
                                       "letter.\n3. The length lost by deleting them is the number of special "
                                       "letters.",
                     "s = input().strip()\nrest = s.translate(str.maketrans(\"\", \"\", \"$letters\"))\n"
                     "print(len(s) - len(rest))\n"),
        Solution("counter", "1. Read S and tally its letters with collections.Counter.\n"
                            "2. Look up each special letter's tally (0 when absent).\n3. Print the sum.",
                     "from collections import Counter\nfreq = Counter(input().strip())\n"
                     "print(sum(freq[ch] for ch in \"$letters\"))\n"),
    )
    _sets = ["aeiou", "xyz", "abc", "mnop", "qrst", "aeiouy", "klm"]

    def sample_params(self, rng: random.Random) -> dict:
        letters = rng.choice(self._sets)
        return {"person": rng.choice(PEOPLE), "thing": rng.choice(THINGS), "n_max": rng.choice(N_MAXES),
                "letters": letters, "letters_disp": and_list(letters)}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        letters = params["letters"]
        others = "".join(c for c in string.ascii_lowercase if c not in letters)
        if edge == 0:
            return rng.choice(letters) + "\n"
        if edge == 1:
            return word(rng, min(params["n_max"], 200), others) + "\n"
        n = rng.randint(1, min(params["n_max"], 40))
        return "".join(rng.choice(letters) if rng.random() < 0.35 else rng.choice(others) for _ in range(n)) + "\n"

    def reference(self, params: dict, stdin: str) -> str:
        return f"{sum(c in params['letters'] for c in stdin.strip())}\n"


@register
class CaesarShift(Family):
    name = "caesar_shift"
    topic = "strings"
    title = "Shifted Letters"
    statements = (
        statement("$person sends secret messages by replacing every letter with the letter K places $direction "
                  "in the alphabet, going around the alphabet cyclically ($wrap_note).\n"
                  "Given K and the original message S, print the encoded message.",
                  "$fmt", "Print the encoded message.",
                  [r"0 \leq K \leq $k_max", r"1 \leq |S| \leq $n_max", "S consists of lowercase English letters.",
                   "K is an integer."]),
        statement("You are given a string S of lowercase English letters and an integer K.\n"
                  "Replace each character of S by the letter that comes K positions $direction in the cyclic order "
                  "abc\\ldots xyz ($wrap_note), and print the resulting string.",
                  "$fmt", "Print the string after the replacement.",
                  [r"1 \leq |S| \leq $n_max", r"0 \leq K \leq $k_max", "S consists of lowercase English letters.",
                   "K is an integer."]),
    )
    solutions = (
        Solution("ord-mod", "1. Read K and S, and reduce the shift to $norm (a full cycle is 26 letters).\n"
                            "2. For each letter, take its offset ord(c) - ord('a'), add the shift and wrap with % "
                            "26.\n3. Convert back with chr and join.",
                 "$read\nk = $norm\nprint(\"\".join(chr((ord(c) - 97 + k) % 26 + 97) for c in s))\n"),
        Solution("maketrans", "1. Read K and S; reduce the shift modulo 26.\n"
                              "2. The rotated alphabet alpha[k:] + alpha[:k] says where each letter goes.\n"
                              "3. Build a translation table from the alphabet to the rotated one and translate S.",
                     "import string\n$read\nk = $norm\nalpha = string.ascii_lowercase\n"
                     "print(s.translate(str.maketrans(alpha, alpha[k:] + alpha[:k])))\n"),
        Solution("index-loop", "1. Read K and S; reduce the shift modulo 26.\n"
                               "2. For each character find its index in the alphabet string and add the shift.\n"
                               "3. Append the letter at the wrapped index to a list and print the joined list.",
                     "$read\nk = $norm\nalpha = \"abcdefghijklmnopqrstuvwxyz\"\nout = []\nfor c in s:\n"
                     "    i = alpha.index(c)\n    out.append(alpha[(i + k) % 26])\nprint(\"\".join(out))\n"),
        Solution("dict-map", "1. Read K and S; reduce the shift modulo 26.\n"
                             "2. Precompute a dict from every letter to its image with a comprehension.\n"
                             "3. Map S through the dict.",
                     "$read\nk = $norm\nimage = {chr(97 + i): chr(97 + (i + k) % 26) for i in range(26)}\n"
                     "print(\"\".join(map(image.get, s)))\n"),
        Solution("deque-rotate", "1. Read K and S; reduce the shift modulo 26.\n"
                                 "2. Put the alphabet in a deque and rotate it left by the shift, so position i "
                                 "holds the image of letter i.\n3. Look every character up by its position.",
                     "from collections import deque\n$read\nk = $norm\nd = deque(\"abcdefghijklmnopqrstuvwxyz\")\n"
                     "d.rotate(-k)\nrot = list(d)\nprint(\"\".join(rot[ord(c) - 97] for c in s))\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        forward = rng.random() < 0.5
        k_first = rng.random() < 0.5
        return {
            "person": rng.choice(PEOPLE), "k_max": rng.choice([25, 100, 1000, 10**9]), "n_max": rng.choice(N_MAXES),
            "direction": "later" if forward else "earlier",
            "wrap_note": "after z comes a" if forward else "before a comes z",
            "norm": "k % 26" if forward else "-k % 26",
            "fmt": "K\nS" if k_first else "S\nK",
            "read": "k = int(input())\ns = input().strip()" if k_first else "s = input().strip()\nk = int(input())",
        }

    def _text(self, params: dict, k: int, s: str) -> str:
        return f"{k}\n{s}\n" if params["fmt"] == "K\nS" else f"{s}\n{k}\n"

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        if edge == 0:
            return self._text(params, 0, word(rng, 1))
        if edge == 1:
            return self._text(params, params["k_max"], "xyz"[: min(3, params["n_max"])] + word(rng,
                min(params["n_max"], 200) - 3))
        return self._text(params, rng.randint(0, params["k_max"]), word(rng, rng.randint(1, min(params["n_max"], 30))))

    def reference(self, params: dict, stdin: str) -> str:
        a, b = stdin.split()
        k, s = (int(a), b) if params["fmt"] == "K\nS" else (int(b), a)
        k = k % 26 if params["direction"] == "later" else -k % 26
        return "".join(chr((ord(c) - 97 + k) % 26 + 97) for c in s) + "\n"


@register
class SwapCase(Family):
    name = "swap_case"
    topic = "strings"
    title = "Caps Lock $person"
    statements = (
        statement("$person typed a $thing S with Caps Lock stuck, so every letter came out in the wrong case.\n"
                      "Fix it: turn every uppercase letter of S into lowercase and every lowercase letter into "
                      "uppercase.$digit_note",
                  "S", "Print the fixed $thing.",
                  [r"1 \leq |S| \leq $n_max", "S consists of $alphabet."]),
        statement("You are given a string S consisting of $alphabet.\n"
                  "Print the string obtained by changing the case of each English letter in S "
                  "(uppercase becomes lowercase and vice versa).$digit_note",
                  "S", "Print the resulting string.",
                  [r"S is a string of length between 1 and $n_max, inclusive.", "S consists of $alphabet."]),
    )
    solutions = (
        Solution("builtin", "1. Read S.\n2. str.swapcase flips the case of every letter and leaves other "
                            "characters alone.\n3. Print the result.",
                 "print(input().strip().swapcase())\n"),
        Solution("loop", "1. Read S.\n2. For each character: if it is uppercase, lower it; if lowercase, upper it; "
                         "otherwise keep it.\n3. Collect the characters and print them joined.",
                     "s = input().strip()\nres = []\nfor c in s:\n    if c.isupper():\n        res.append(c.lower())\n"
                     "    elif c.islower():\n        res.append(c.upper())\n    else:\n        res.append(c)\n"
                     "print(\"\".join(res))\n"),
        Solution("xor-32", "1. Read S.\n2. In ASCII an uppercase letter and its lowercase partner differ only in "
                           "the bit of value 32.\n3. Flip that bit for letters (ord(c) ^ 32), keep other "
                           "characters, and print.",
                 "s = input().strip()\nprint(\"\".join(chr(ord(c) ^ 32) if c.isalpha() else c for c in s))\n"),
        Solution("translate",
             "1. Read S.\n2. Build one translation table mapping a-z to A-Z and A-Z to a-z.\n3. Translate S with it.",
                     "import string\nlow, up = string.ascii_lowercase, string.ascii_uppercase\n"
                     "table = str.maketrans(low + up, up + low)\nprint(input().strip().translate(table))\n"),
        Solution("regex-sub", "1. Read S.\n2. re.sub finds every letter with [A-Za-z].\n"
                              "3. A replacement function returns the letter in the other case.",
                     "import re\ns = input().strip()\nprint(re.sub(\"[A-Za-z]\", lambda m: m.group().lower() if "
                     "m.group().isupper() else m.group().upper(), s))\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        digits = rng.random() < 0.5
        return {"person": rng.choice(PEOPLE), "thing": rng.choice(THINGS), "n_max": rng.choice(N_MAXES),
                "alphabet": "uppercase and lowercase English letters and digits" if digits else
                    "uppercase and lowercase English letters",
                "digit_note": " Digits stay as they are." if digits else ""}

    def _alpha(self, params: dict) -> str:
        return string.ascii_letters + (string.digits if "digits" in params["alphabet"] else "")

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        if edge == 0:
            return rng.choice(string.ascii_uppercase) + "\n"
        if edge == 1:
            return word(rng, min(params["n_max"], 200), self._alpha(params)) + "\n"
        return word(rng, rng.randint(1, min(params["n_max"], 30)), self._alpha(params)) + "\n"

    def reference(self, params: dict, stdin: str) -> str:
        return stdin.strip().swapcase() + "\n"


@register
class ReverseWordOrder(Family):
    name = "reverse_word_order"
    topic = "strings"
    title = "Backwards $thing"
    statements = (
        statement("$person wrote a $thing of N words W_1, W_2, \\ldots, W_N, but in the wrong order.\n"
                  "Print the words from the last one to the first one.",
                  "N\nW_1 W_2 \\ldots W_N", "Print W_N, W_{N-1}, \\ldots, W_1 in this order, $out_note.",
                  [r"1 \leq N \leq $n_max",
                       r"Each W_i is a string of length between 1 and 10 consisting of lowercase English letters."]),
        statement("You are given N strings W_1, \\ldots, W_N, the words of $person's $thing.\n"
                  "Reverse the order of the words (the letters inside each word stay as they are).",
                  "N\nW_1 W_2 \\ldots W_N", "Print the reversed sequence of words, $out_note.",
                  [r"1 \leq N \leq $n_max", r"1 \leq |W_i| \leq 10", "W_i consists of lowercase English letters."]),
    )
    solutions = (
        Solution("slice", "1. Read N and the words.\n2. The slice words[::-1] is the list in reverse order.\n"
                          "3. Join it with $sep_name and print.",
                 "n = int(input())\nwords = input().split()\nprint($sep.join(words[::-1]))\n"),
        Solution("reversed", "1. Read N and the words.\n2. The builtin reversed iterates from the last word to the "
                             "first.\n3. Print them with print(*..., sep=$sep).",
                 "n = int(input())\nwords = input().split()\nprint(*reversed(words), sep=$sep)\n"),
        Solution("index-loop", "1. Read N and the words.\n2. Loop i from N - 1 down to 0 and collect words[i].\n"
                               "3. Print the collected words joined by $sep_name.",
                     "n = int(input())\nwords = input().split()\nout = []\nfor i in range(n - 1, -1, -1):\n"
                     "    out.append(words[i])\nprint($sep.join(out))\n"),
        Solution("stack", "1. Read N and the words; a list is a stack.\n"
                          "2. Popping from the end returns the words last-in first-out, i.e. reversed.\n"
                          "3. Pop until empty and print the popped words joined by $sep_name.",
                     "n = int(input())\nstack = input().split()\nout = []\nwhile stack:\n    out.append(stack.pop())\n"
                     "print($sep.join(out))\n"),
        Solution("appendleft", "1. Read the tokens with sys.stdin; the first one is N.\n"
                               "2. Push each word on the front of a deque, which builds the reversed order.\n"
                               "3. Print the deque joined by $sep_name.",
                     "import sys\nfrom collections import deque\ntokens = sys.stdin.read().split()\n"
                     "n = int(tokens[0])\nd = deque()\nfor w in tokens[1:1 + n]:\n    d.appendleft(w)\n"
                     "print($sep.join(d))\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        lines = rng.random() < 0.5
        return {"person": rng.choice(PEOPLE), "thing": rng.choice(["sentence", "poem line", "shopping list", "slogan",
             "message"]),
                "n_max": rng.choice([10, 20, 100, 1000]),
                "sep": '"\\n"' if lines else '" "', "sep_name": "newlines" if lines else "spaces",
                "out_note": "one word per line" if lines else "separated by spaces"}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        if edge == 0:
            ws = [word(rng, rng.randint(1, 10))]
        elif edge == 1:
            ws = [word(rng, 10) for _ in range(min(params["n_max"], 100))]
        else:
            ws = [word(rng, rng.randint(1, 8)) for _ in range(rng.randint(2, min(params["n_max"], 12)))]
        return f"{len(ws)}\n{' '.join(ws)}\n"

    def reference(self, params: dict, stdin: str) -> str:
        words = stdin.split()[1:]
        sep = "\n" if params["sep_name"] == "newlines" else " "
        return sep.join(reversed(words)) + "\n"


@register
class Acronym(Family):
    name = "acronym"
    topic = "strings"
    title = "$Club Abbreviation"
    heldout = True
    statements = (
        statement("The $club of $town has a long official name made of N words W_1, W_2, \\ldots, W_N.\n"
                      "$person wants a short name: the first letters of the words, in order, written $case_desc (for "
                      "example, $example).\n"
                  "Print the short name.",
                  "N\nW_1 W_2 \\ldots W_N", "Print the short name.",
                  [r"1 \leq N \leq $n_max",
                       "Each W_i is a string of length between 1 and 10 consisting of lowercase English letters."]),
        statement("You are given N words W_1, \\ldots, W_N of lowercase English letters.\n"
                  "Take the first character of each word, in order, and print these characters written $case_desc "
                  "(for three words starting with a, b and c: $example).",
                  "N\nW_1 W_2 \\ldots W_N", "Print the resulting string.",
                  [r"1 \leq N \leq $n_max", r"1 \leq |W_i| \leq 10", "W_i consists of lowercase English letters."]),
    )
    solutions = (
        Solution("join-comprehension", "1. Read N and the words.\n"
                                       "2. Take w[0] of every word with a comprehension and join the letters.\n"
                                       "3. Write the letters $case_desc and print.",
                     "n = int(input())\nwords = input().split()\nletters = \"\".join(w[0] for w in words)\n"
                     "print($finish)\n"),
        Solution("loop-concat", "1. Read N and the words.\n2. Start from an empty string and append the first "
                                "letter of each word in a loop.\n3. Print it written $case_desc.",
                 "n = int(input())\nletters = \"\"\nfor w in input().split():\n    letters += w[0]\nprint($finish)\n"),
        Solution("itemgetter", "1. Read N and the words.\n2. operator.itemgetter(0) picks a word's first letter; "
                               "map it over the words.\n3. Join and print the letters written $case_desc.",
                     "from operator import itemgetter\nn = int(input())\n"
                     "letters = \"\".join(map(itemgetter(0), input().split()))\nprint($finish)\n"),
        Solution("regex", "1. Read the line of words.\n2. The pattern \\b\\w matches the first letter of every "
                          "word.\n3. Join the matches and print them written $case_desc.",
                     "import re\nn = int(input())\nletters = \"\".join(re.findall(r\"\\b\\w\", input()))\n"
                     "print($finish)\n"),
        Solution("zip-columns", "1. Read the words as tokens from sys.stdin (the first token is N).\n"
                                "2. zip(*words) groups the words' characters by position; its first group is the "
                                "tuple of first letters.\n3. Join that tuple and print it written $case_desc.",
                     "import sys\ntokens = sys.stdin.read().split()\nn = int(tokens[0])\nwords = tokens[1:1 + n]\n"
                     "first = next(zip(*words))\nletters = \"\".join(first)\nprint($finish)\n"),
    )
    _clubs = [("club", "Club"), ("committee", "Committee"), ("company", "Company"), ("orchestra", "Orchestra"),
        ("league", "League")]
    _cases = {"upper": ("in uppercase", "letters.upper()", "ABC"),
              "dotted": ("in uppercase, each letter followed by a period",
                   "\"\".join(c + \".\" for c in letters.upper())", "A.B.C.")}

    def sample_params(self, rng: random.Random) -> dict:
        club, title = rng.choice(self._clubs)
        case = rng.choice(sorted(self._cases))
        desc, finish, example = self._cases[case]
        return {"person": rng.choice(PEOPLE), "club": club, "Club": title,
                "town": rng.choice(["AtCoder Town", "Snuke City", "Ringo Village", "Aoki Port"]),
                "n_max": rng.choice([10, 20, 100]), "case": case, "case_desc": desc, "finish": finish,
                "example": example}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        if edge == 0:
            ws = [word(rng, 1)]
        elif edge == 1:
            ws = [word(rng, 10) for _ in range(params["n_max"])]
        else:
            ws = [word(rng, rng.randint(1, 9)) for _ in range(rng.randint(2, min(params["n_max"], 8)))]
        return f"{len(ws)}\n{' '.join(ws)}\n"

    def reference(self, params: dict, stdin: str) -> str:
        letters = "".join(w[0] for w in stdin.split()[1:])
        letters = letters.upper()
        return (letters if params["case"] == "upper" else "".join(c + "." for c in letters)) + "\n"
