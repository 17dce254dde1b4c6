"""Topic: simulation.

Families: simulate_score_commands, simulate_rejected_withdrawals, simulate_toggled_lamps (held out).
What varies: two phrasings each; names, places, games and units; the command characters or words; the
bounds.
Solutions: five per family: replay the operations (loop, dict of changes, dispatch table, reduce,
accumulate, recursion, a class) or shortcut them (counting formula, difference array, bit mask, set
XOR).
"""

from __future__ import annotations

import random

from codegen_study.synth.families.common import PEOPLE, PLACES, rand_len, statement
from codegen_study.synth.family import Family, Solution, register

_COMMAND_CHARS = [["o", "x"], ["+", "-"], ["U", "D"], ["W", "L"], ["A", "B"]]


@register
class SimulateScoreCommands(Family):
    name = "simulate_score_commands"
    topic = "simulation"
    title = "$game Score"
    n_edges = 3
    _cons = [r"0 \leq X \leq $x_max", r"1 \leq P, Q \leq $pq_max", "X, P and Q are integers.",
             r"S is a string of length between 1 and $n_max, inclusive, consisting of $up and $down."]
    statements = (
        statement("$person plays $game. The score starts at X.\n"
                  "The game has |S| rounds, and the result of the i-th round is the i-th character of S:\n"
                  "- if it is $up, the score increases by P;\n- if it is $down, the score decreases by Q.\n"
                  "The score may become negative. Find the score after all rounds.",
                  "X P Q\nS", "Print the final score.", _cons),
        statement("There is a counter showing the integer X. You are given a string S.\n"
                  "For i = 1, 2, \\ldots, |S| in this order, "
                  "add P to the counter if the i-th character of S is $up, and subtract Q from it if it is $down.\n"
                  "What does the counter show at the end?",
                  "X P Q\nS", "Print the final value of the counter.", _cons),
    )
    solutions = (
        Solution("loop", "1. Start from X.\n2. For each character, add P on $up and subtract Q on $down.\n"
                         "3. Print the final value.",
                     'x, p, q = map(int, input().split())\ns = input()\nfor c in s:\n    if c == "$up":\n'
                     '        x += p\n    else:\n        x -= q\nprint(x)\n'),
        Solution("count-formula", "1. The order of the rounds does not matter, only how many of each kind there "
                                  "are.\n2. The answer is X + P * (number of $up) - Q * (number of $down).\n"
                                  "3. Print it.",
                     'x, p, q = map(int, input().split())\ns = input()\n'
                     'print(x + p * s.count("$up") - q * s.count("$down"))\n'),
        Solution("dict-sum", "1. Map each character to its change: $up to +P, $down to -Q.\n"
                             "2. Sum the changes over S and add X.\n3. Print the result.",
                     'x, p, q = map(int, input().split())\ndelta = {"$up": p, "$down": -q}\n'
                     'print(x + sum(delta[c] for c in input()))\n'),
        Solution("reduce", "1. The process is a fold: value = step(value, character).\n"
                           "2. functools.reduce applies the step to every character, starting from X.\n"
                           "3. Print the folded value.",
                     'from functools import reduce\nx, p, q = map(int, input().split())\ns = input()\n'
                     'print(reduce(lambda v, c: v + p if c == "$up" else v - q, s, x))\n'),
        Solution("accumulate", "1. Turn S into the list of changes (+P or -Q).\n"
                               "2. itertools.accumulate with initial X gives the score after every round.\n"
                               "3. The last entry is the final score.",
                     'from itertools import accumulate\nx, p, q = map(int, input().split())\n'
                     'changes = [p if c == "$up" else -q for c in input()]\n'
                     'scores = list(accumulate(changes, initial=x))\nprint(scores[-1])\n'),
    )

    def sample_params(self, rng: random.Random) -> dict:
        up, down = rng.choice(_COMMAND_CHARS)
        return {"person": rng.choice(PEOPLE), "game": rng.choice(["Quiz Battle", "Rock Climbing", "Card Duel", "Darts",
             "Bingo Race"]),
                "up": up, "down": down, "x_max": rng.choice([0, 100, 10**9]), "pq_max": rng.choice([1, 100, 1000]),
                "n_max": rng.choice([10, 100, 200])}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        up, down, n_max, pq = params["up"], params["down"], params["n_max"], params["pq_max"]
        if edge == 0:
            x, p, q, s = 0, 1, 1, up
        elif edge == 1:
            x, p, q, s = 0, pq, pq, down * n_max
        elif edge == 2:
            x, p, q, s = params["x_max"], pq, pq, up * n_max
        else:
            x, p, q = rng.randint(0, params["x_max"]), rng.randint(1, pq), rng.randint(1, pq)
            s = "".join(rng.choice(up + down) for _ in range(rand_len(rng, 1, n_max)))
        return f"{x} {p} {q}\n{s}\n"

    def reference(self, params: dict, stdin: str) -> str:
        head, s = stdin.split("\n")[:2]
        x, p, q = map(int, head.split())
        for c in s:
            x += p if c == params["up"] else -q
        return f"{x}\n"


_OPS = [["deposit", "withdraw"], ["in", "out"], ["add", "take"], ["+", "-"], ["save", "spend"]]


@register
class SimulateRejectedWithdrawals(Family):
    name = "simulate_rejected_withdrawals"
    topic = "simulation"
    title = "$person's Account"
    n_edges = 3
    _cons = [r"1 \leq N \leq $n_max", r"0 \leq B \leq $v_max", r"op_i is $dep or $wd.", r"1 \leq x_i \leq $v_max",
             "B and x_i are integers."]
    statements = (
        statement("$person's account holds B $unit. Then N requests arrive in order; the i-th is (op_i, x_i).\n"
                  "- If op_i is $dep, x_i $unit are added to the account.\n"
                      "- If op_i is $wd, x_i $unit are taken out, but only if the account holds at least x_i $unit; "
                      "otherwise the request is rejected and nothing changes.\n"
                  "Find the final amount in the account and the number of rejected requests.",
                  "N B\nop_1 x_1\nop_2 x_2\n\\vdots\nop_N x_N",
                  "Print the final amount and the number of rejected requests, in this order, separated by a space.",
                       _cons),
        statement("A wallet in $place starts with B $unit. Process N operations: \"$dep x\" puts x $unit in, and "
                  "\"$wd x\" removes x $unit "
                  "when the wallet has at least x $unit (if it has less, the operation fails and is skipped).\n"
                  "Report how much the wallet holds after all operations, and how many operations failed.",
                  "N B\nop_1 x_1\nop_2 x_2\n\\vdots\nop_N x_N",
                  "Print two integers separated by a space: the final amount and the number of failed operations.",
                       _cons),
    )
    solutions = (
        Solution("loop", "1. Keep the balance and a rejection counter.\n"
                         "2. For $dep add x; for $wd subtract x if x <= balance, else count a rejection.\n"
                         "3. Print both numbers.",
                     'n, b = map(int, input().split())\nrejected = 0\nfor _ in range(n):\n    op, v = input().split()\n'
                     '    v = int(v)\n    if op == "$dep":\n        b += v\n    elif v <= b:\n        b -= v\n'
                     '    else:\n        rejected += 1\nprint(b, rejected)\n'),
        Solution("dispatch-table", "1. Write one function per operation, each mapping (balance, rejected) to the "
                                   "new state.\n2. A dict from the operation word to its function dispatches every "
                                   "request.\n3. Read all tokens with sys.stdin, apply the requests in order, "
                                   "print the state.",
                     'import sys\n\n\ndef put(state, v):\n    return state[0] + v, state[1]\n\n\ndef take(state, v):\n'
                     '    if v <= state[0]:\n        return state[0] - v, state[1]\n'
                     '    return state[0], state[1] + 1\n\n\nactions = {"$dep": put, "$wd": take}\n'
                     'data = sys.stdin.read().split()\nn = int(data[0])\nstate = (int(data[1]), 0)\n'
                     'for i in range(n):\n    state = actions[data[2 + 2 * i]](state, int(data[3 + 2 * i]))\n'
                     'print(*state)\n'),
        Solution("reduce", "1. Read the requests into a list.\n"
                           "2. Define step((balance, rejected), request) and fold it over the list with "
                           "functools.reduce.\n3. Print the final pair.",
                     'from functools import reduce\nn, b = map(int, input().split())\n'
                     'requests = [input().split() for _ in range(n)]\n\n\ndef step(state, req):\n'
                     '    bal, rej = state\n    v = int(req[1])\n    if req[0] == "$dep":\n'
                     '        return bal + v, rej\n    return (bal - v, rej) if v <= bal else (bal, rej + 1)\n\n\n'
                     'bal, rej = reduce(step, requests, (b, 0))\nprint(bal, rej)\n'),
        Solution("recursion", "1. Let run(i, balance, rejected) process requests i..N-1.\n"
                              "2. Each call handles request i and recurses on i + 1; at i = N it returns the "
                              "state.\n3. N is at most $n_max, so the recursion depth is safe; print run(0, B, 0).",
                     'import sys\nsys.setrecursionlimit(10000)\nn, b = map(int, input().split())\n'
                     'reqs = [input().split() for _ in range(n)]\n\n\ndef run(i, bal, rej):\n    if i == n:\n'
                     '        return bal, rej\n    op, v = reqs[i][0], int(reqs[i][1])\n    if op == "$dep":\n'
                     '        return run(i + 1, bal + v, rej)\n    if v <= bal:\n'
                     '        return run(i + 1, bal - v, rej)\n    return run(i + 1, bal, rej + 1)\n\n\n'
                     'print(*run(0, b, 0))\n'),
        Solution("class", "1. Model the account as a class with a balance, a rejection counter and one method per "
                          "operation.\n2. Call the method named by each request.\n"
                          "3. Print the balance and the counter.",
                     'class Account:\n    def __init__(self, balance):\n        self.balance = balance\n'
                     '        self.rejected = 0\n\n    def put(self, v):\n        self.balance += v\n\n'
                     '    def take(self, v):\n        if v > self.balance:\n            self.rejected += 1\n'
                     '        else:\n            self.balance -= v\n\n\nn, b = map(int, input().split())\n'
                     'acc = Account(b)\nfor _ in range(n):\n    op, v = input().split()\n'
                     '    (acc.put if op == "$dep" else acc.take)(int(v))\nprint(acc.balance, acc.rejected)\n'),
    )

    def sample_params(self, rng: random.Random) -> dict:
        dep, wd = rng.choice(_OPS)
        return {"person": rng.choice(PEOPLE), "place": rng.choice(PLACES), "unit": rng.choice(["yen", "dollars",
             "points", "gold coins"]),
                "dep": dep, "wd": wd, "n_max": rng.choice([10, 100, 200]), "v_max": rng.choice([100, 10000, 10**9])}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        dep, wd, n_max, v_max = params["dep"], params["wd"], params["n_max"], params["v_max"]
        if edge == 0:
            b, reqs = 0, [(wd, 1)]
        elif edge == 1:
            b, reqs = v_max, [(wd, v_max)] * min(n_max, 100)
        elif edge == 2:
            b, reqs = 0, [(dep, v_max)] * min(n_max, 100)
        else:
            b = rng.randint(0, v_max)
            reqs = [(rng.choice([dep, wd]), rng.randint(1, rng.choice([v_max, max(1, b // 3 + 1)])))
                    for _ in range(rand_len(rng, 1, n_max))]
        return f"{len(reqs)} {b}\n" + "".join(f"{op} {v}\n" for op, v in reqs)

    def reference(self, params: dict, stdin: str) -> str:
        lines = stdin.splitlines()
        n, b = map(int, lines[0].split())
        rej = 0
        for line in lines[1:1 + n]:
            op, v = line.split()
            if op == params["dep"]:
                b += int(v)
            elif int(v) <= b:
                b -= int(v)
            else:
                rej += 1
        return f"{b} {rej}\n"


@register
class SimulateToggledLamps(Family):
    name = "simulate_toggled_lamps"
    topic = "simulation"
    title = "Flipping $things"
    n_edges = 3
    heldout = True
    _cons = [r"1 \leq N \leq $n_max", r"1 \leq M \leq $m_max", r"1 \leq L_i \leq R_i \leq N",
         "All input values are integers."]
    statements = (
        statement("In $place there are N $things in a row, numbered 1 to N; all of them are off at first.\n"
                      "$person performs M operations. The i-th operation flips every one of the $things numbered L_i "
                      "through R_i: those that are on turn off, and those that are off turn on.\n"
                  "How many $things are on after all operations?",
                  "N M\nL_1 R_1\nL_2 R_2\n\\vdots\nL_M R_M", "Print the number of $things that are on at the end.",
                       _cons),
        statement("There is a sequence of N bits, all 0. For i = 1, \\ldots, M, invert the bits at positions L_i, "
                  "L_i + 1, \\ldots, R_i.\n"
                  "(The bits stand for the $things of $place.) Find the number of bits equal to 1 at the end.",
                  "N M\nL_1 R_1\nL_2 R_2\n\\vdots\nL_M R_M", "Print the number of 1 bits.", _cons),
    )
    solutions = (
        Solution("direct", "1. Keep one 0/1 state per position.\n"
                           "2. For each operation flip every position from L to R with XOR 1.\n"
                           "3. Print the sum of the states.",
                     "n, m = map(int, input().split())\nstate = [0] * (n + 1)\nfor _ in range(m):\n"
                     "    l, r = map(int, input().split())\n    for i in range(l, r + 1):\n        state[i] ^= 1\n"
                     "print(sum(state))\n"),
        Solution("difference-array", "1. A position ends on iff it is covered by an odd number of operations.\n"
                                     "2. Record +1 at L and -1 at R + 1, then a running sum gives each position's "
                                     "cover count.\n3. Count the positions with an odd count.",
                     "n, m = map(int, input().split())\ndiff = [0] * (n + 2)\nfor _ in range(m):\n"
                     "    l, r = map(int, input().split())\n    diff[l] += 1\n    diff[r + 1] -= 1\ncover = 0\n"
                     "on = 0\nfor i in range(1, n + 1):\n    cover += diff[i]\n    on += cover % 2\nprint(on)\n"),
        Solution("per-position", "1. Read all operations.\n2. For each position count the operations whose range "
                                 "contains it.\n3. The position is on iff that count is odd; print how many are.",
                     "n, m = map(int, input().split())\nops = [tuple(map(int, input().split())) for _ in range(m)]\n"
                     "on = 0\nfor pos in range(1, n + 1):\n    hits = sum(1 for l, r in ops if l <= pos <= r)\n"
                     "    if hits % 2 == 1:\n        on += 1\nprint(on)\n"),
        Solution("bitmask", "1. Store the row as one big integer whose bit i is position i.\n"
                            "2. An operation XORs a block of R - L + 1 ones shifted left by L.\n"
                            "3. Print the number of 1 bits of the final integer.",
                     "n, m = map(int, input().split())\nmask = 0\nfor _ in range(m):\n"
                     "    l, r = map(int, input().split())\n    mask ^= ((1 << (r - l + 1)) - 1) << l\n"
                     "print(bin(mask).count(\"1\"))\n"),
        Solution("set-xor", "1. Keep the set of positions that are on.\n"
                            "2. Flipping a range is the symmetric difference with set(range(L, R + 1)).\n"
                            "3. Print the size of the set.",
                     "import sys\ndata = list(map(int, sys.stdin.read().split()))\nn, m = data[0], data[1]\n"
                     "on = set()\nfor i in range(m):\n    l, r = data[2 + 2 * i], data[3 + 2 * i]\n"
                     "    on ^= set(range(l, r + 1))\nprint(len(on))\n"),
    )

    def sample_params(self, rng: random.Random) -> dict:
        return {"person": rng.choice(PEOPLE), "place": rng.choice(PLACES),
                "things": rng.choice(["lamps", "light bulbs", "lanterns", "switches", "signal lights"]),
                "n_max": rng.choice([10, 100, 1000]), "m_max": rng.choice([10, 100])}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        n_max, m_max = params["n_max"], params["m_max"]
        if edge == 0:
            n, ops = 1, [(1, 1)]
        elif edge == 1:
            n, ops = n_max, [(1, n_max)] * m_max
        elif edge == 2:
            n, ops = n_max, [(n_max, n_max)] * (m_max - 1)
        else:
            n = rng.randint(1, n_max)
            ops = []
            for _ in range(rand_len(rng, 1, m_max)):
                l = rng.randint(1, n)
                ops.append((l, rng.randint(l, n)))
        return f"{n} {len(ops)}\n" + "".join(f"{l} {r}\n" for l, r in ops)

    def reference(self, params: dict, stdin: str) -> str:
        t = list(map(int, stdin.split()))
        n, m = t[0], t[1]
        state = [0] * (n + 1)
        for i in range(m):
            for j in range(t[2 + 2 * i], t[3 + 2 * i] + 1):
                state[j] ^= 1
        return f"{sum(state)}\n"
