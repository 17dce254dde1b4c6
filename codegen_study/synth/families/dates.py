"""Topic: dates.

Families: clock_after_minutes, seconds_to_clock, day_number, weekday_later (held out).
What varies: two phrasings each; names and events; the time formats read and printed, the year (leap or
not), day number or days left, the weekday notation; the bounds.
Solutions: five per family: modular arithmetic, the datetime, time and calendar modules, cumulative
month tables, simulation of a reduced count, rotated sequences.
"""

from __future__ import annotations

import random
from datetime import date

from codegen_study.synth.families.common import PEOPLE, statement
from codegen_study.synth.family import Family, Solution, register

EVENTS = ["the train leaves", "the movie starts", "the bakery opens", "the contest begins", "the bus arrives"]


@register
class ClockAfterMinutes(Family):
    name = "clock_after_minutes"
    topic = "dates"
    title = "$Minutes Later"
    n_edges = 3
    statements = (
        statement("A 24-hour clock now shows $in_desc. $person knows that $event exactly K minutes from now.\n"
                  "What time will the clock show at that moment?",
                  "$in_fmt\nK", "Print the time $out_desc.",
                  [r"0 \leq H \leq 23", r"0 \leq M \leq 59", r"0 \leq K \leq $k_max", "H, M and K are integers."]),
        statement("It is now H o'clock and M minutes on a 24-hour clock (shown as $in_desc).\n"
                  "Find the time K minutes later. The clock wraps around: after 23:59 comes 0:00.",
                  "$in_fmt\nK", "Print the time K minutes later $out_desc.",
                  [r"0 \leq H < 24", r"0 \leq M < 60", r"0 \leq K \leq $k_max", "H, M and K are integers."]),
    )
    solutions = (
        Solution("total-minutes", "1. Read H, M and K.\n2. Convert the time to minutes since midnight, add K and "
                                  "reduce modulo 1440 (minutes per day).\n"
                                  "3. divmod by 60 gives the new hour and minute; print them $out_desc.",
                 "$read\nk = int(input())\nh, m = divmod((h * 60 + m + k) % 1440, 60)\nprint($emit)\n"),
        Solution("datetime", "1. Read H, M and K.\n2. Put the time on an arbitrary date with datetime and add "
                             "timedelta(minutes=K % 1440) (whole days do not change the clock).\n"
                             "3. Read hour and minute back and print them $out_desc.",
                     "from datetime import datetime, timedelta\n$read\nk = int(input())\n"
                     "t = datetime(2000, 1, 1, h, m) + timedelta(minutes=k % 1440)\nh, m = t.hour, t.minute\n"
                     "print($emit)\n"),
        Solution("carry", "1. Read H, M and K.\n2. Add K to the minutes, carry whole hours (minutes // 60) into "
                          "the hour and keep minutes % 60.\n3. Reduce the hour modulo 24 and print $out_desc.",
                 "$read\nk = int(input())\nm += k\nh = (h + m // 60) % 24\nm %= 60\nprint($emit)\n"),
        Solution("tick", "1. Read H, M and K; only K % 1440 matters because the clock repeats daily.\n"
                         "2. Advance the clock one minute at a time that many times, rolling minutes into hours "
                         "and hours past 23 to 0.\n3. Print the final time $out_desc.",
                     "$read\nk = int(input()) % 1440\nfor _ in range(k):\n    m += 1\n    if m == 60:\n        m = 0\n"
                     "        h += 1\n        if h == 24:\n            h = 0\nprint($emit)\n"),
        Solution("split-hours-minutes", "1. Read H, M and K, then split K into whole hours K // 60 and leftover "
                                        "minutes K % 60.\n2. Add the leftover minutes; if they pass 59, move one "
                                        "more hour.\n3. Add the hours modulo 24 and print $out_desc.",
                     "$read\nk = int(input())\nm += k % 60\nextra = 1 if m >= 60 else 0\nm -= 60 * extra\n"
                     "h = (h + k // 60 + extra) % 24\nprint($emit)\n"),
    )
    _in = {"colon": ("HH:MM", "h, m = map(int, input().split(\":\"))", "HH:MM"),
           "space": ("H M", "h, m = map(int, input().split())", "H M")}
    _out = {"colon": ("in the format HH:MM (two digits each)", "f\"{h:02d}:{m:02d}\""),
            "space": ("as two integers H and M separated by a space", "h, m"),
            "words": ("as H hours and M minutes in the form \"H h M min\"", "f\"{h} h {m} min\"")}

    def sample_params(self, rng: random.Random) -> dict:
        inp, out = rng.choice(sorted(self._in)), rng.choice(sorted(self._out))
        k_max = rng.choice([1000, 10**4, 10**9])
        return {"person": rng.choice(PEOPLE), "event": rng.choice(EVENTS), "k_max": k_max,
                "Minutes": "K Minutes", "in_style": inp, "out_style": out,
                "in_fmt": self._in[inp][0], "read": self._in[inp][1], "in_desc": self._in[inp][2],
                "out_desc": self._out[out][0], "emit": self._out[out][1]}

    def _text(self, params: dict, h: int, m: int, k: int) -> str:
        t = f"{h:02d}:{m:02d}" if params["in_style"] == "colon" else f"{h} {m}"
        return f"{t}\n{k}\n"

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        if edge == 0:
            return self._text(params, 0, 0, 0)
        if edge == 1:
            return self._text(params, 23, 59, 1)
        if edge == 2:
            return self._text(params, rng.randint(0, 23), rng.randint(0, 59), params["k_max"])
        return self._text(params, rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, params["k_max"]))

    def reference(self, params: dict, stdin: str) -> str:
        first, k = stdin.split("\n")[:2]
        h, m = map(int, first.replace(":", " ").split())
        h, m = divmod((h * 60 + m + int(k)) % 1440, 60)
        style = params["out_style"]
        return (f"{h:02d}:{m:02d}" if style == "colon" else f"{h} {m}" if style == "space" else f"{h} h {m} min") + "\n"


@register
class SecondsToClock(Family):
    name = "seconds_to_clock"
    topic = "dates"
    title = "$event_title Timer"
    n_edges = 3
    statements = (
        statement("$person measured how long $event_short took: S seconds in total.\n"
                  "Express this duration in hours, minutes and seconds.",
                  "S", "Print the duration $out_desc.",
                  [r"0 \leq S \leq $s_max", "S is an integer."]),
        statement("You are given a duration of S seconds, shorter than one day.\n"
                  "Write it as H hours, M minutes and X seconds, where 0 \\leq M < 60 and 0 \\leq X < 60.",
                  "S", "Print H, M and X $out_desc.",
                  [r"0 \leq S \leq $s_max", "S is an integer."]),
    )
    solutions = (
        Solution("divmod-chain", "1. Read S.\n2. divmod(S, 3600) gives the hours and the remaining seconds; divmod "
                                 "of those by 60 gives minutes and seconds.\n3. Print them $out_desc.",
                 "s = int(input())\nh, rest = divmod(s, 3600)\nm, x = divmod(rest, 60)\nprint($emit)\n"),
        Solution("floor-mod", "1. Read S.\n2. Hours are S // 3600, minutes are S // 60 % 60 and seconds are S % "
                              "60.\n3. Print them $out_desc.",
                 "s = int(input())\nh = s // 3600\nm = s // 60 % 60\nx = s % 60\nprint($emit)\n"),
        Solution("timedelta", "1. Read S.\n2. str(timedelta(seconds=S)) writes a duration under one day as "
                              "H:MM:SS.\n3. Split that text at the colons into integers and print them $out_desc.",
                     "from datetime import timedelta\ns = int(input())\n"
                     "h, m, x = map(int, str(timedelta(seconds=s)).split(\":\"))\nprint($emit)\n"),
        Solution("gmtime", "1. Read S.\n2. time.gmtime(S) is the clock S seconds after midnight of 1970-01-01; "
                           "since S is below one day, its hour, minute and second are the answer.\n"
                           "3. Print them $out_desc.",
                 "import time\nt = time.gmtime(int(input()))\nh, m, x = t.tm_hour, t.tm_min, t.tm_sec\nprint($emit)\n"),
        Solution("subtract-loop", "1. Read S.\n2. Repeatedly take away 3600 seconds while possible, counting "
                                  "hours; then 60 at a time, counting minutes.\n"
                                  "3. What remains are the seconds; print $out_desc.",
                     "s = int(input())\nh = m = 0\nwhile s >= 3600:\n    s -= 3600\n    h += 1\nwhile s >= 60:\n"
                     "    s -= 60\n    m += 1\nx = s\nprint($emit)\n"),
    )
    _out = {"colon": ("in the format H:MM:SS (minutes and seconds with two digits)", "f\"{h}:{m:02d}:{x:02d}\""),
            "padded": ("in the format HH:MM:SS (two digits each)", "f\"{h:02d}:{m:02d}:{x:02d}\""),
            "space": ("as three integers separated by spaces", "h, m, x")}
    _events = [("the race", "Race"), ("the exam", "Exam"), ("the movie", "Movie"), ("the hike", "Hike"),
        ("the meeting", "Meeting")]

    def sample_params(self, rng: random.Random) -> dict:
        out = rng.choice(sorted(self._out))
        short, title = rng.choice(self._events)
        return {"person": rng.choice(PEOPLE), "event_short": short, "event_title": title,
                "s_max": rng.choice([3599, 36000, 86399]), "out_style": out,
                "out_desc": self._out[out][0], "emit": self._out[out][1]}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        s = {0: 0, 1: params["s_max"], 2: 3600 * rng.randint(0, params["s_max"] // 3600)}.get(edge)
        return f"{rng.randint(0, params['s_max']) if s is None else s}\n"

    def reference(self, params: dict, stdin: str) -> str:
        s = int(stdin)
        h, m, x = s // 3600, s // 60 % 60, s % 60
        style = params["out_style"]
        return (f"{h}:{m:02d}:{x:02d}" if style == "colon" else f"{h:02d}:{m:02d}:{x:02d}" if style == "padded"
                else f"{h} {m} {x}") + "\n"


@register
class DayNumber(Family):
    name = "day_number"
    topic = "dates"
    title = "Day $what"
    n_edges = 3
    statements = (
        statement(
            "In the year $year, $person marks the date of the $occasion, $date_desc, on the calendar ($leap_note).\n"
                  "$question",
                  "$in_fmt", "Print the answer as an integer.",
                  [r"1 \leq M \leq 12", "D is a valid day of month M in the year $year.",
                       "All input values are integers."]),
        statement(
            "You are given a date of the year $year: month M, day D ($leap_note). January 1 is day 1 of the year.\n"
                  "$question",
                  "$in_fmt", "Print the answer.",
                  [r"1 \leq M \leq 12", r"1 \leq D \leq 31", "The date exists in the year $year.",
                       "All input values are integers."]),
    )
    solutions = (
        Solution("month-table", "1. Read M and D and list the month lengths of $year (February has $feb days).\n"
                                "2. The day number is the sum of the lengths of months 1..M-1 plus D.\n"
                                "3. Print $answer_text.",
                     "$read\ndays = [31, $feb, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]\nday = sum(days[:m - 1]) + d\n"
                     "print($answer)\n"),
        Solution("date-diff", "1. Read M and D.\n2. Subtract date($year, 1, 1) from date($year, M, D); the "
                              "difference in days plus 1 is the day number.\n3. Print $answer_text.",
                     "from datetime import date\n$read\nday = (date($year, m, d) - date($year, 1, 1)).days + 1\n"
                     "print($answer)\n"),
        Solution("timetuple", "1. Read M and D.\n2. date($year, M, D).timetuple().tm_yday is the day of the year "
                              "directly.\n3. Print $answer_text.",
                 "import datetime\n$read\nday = datetime.date($year, m, d).timetuple().tm_yday\nprint($answer)\n"),
        Solution("calendar-loop", "1. Read M and D.\n2. calendar.monthrange($year, i)[1] is the length of month i; "
                                  "add it for every month before M.\n3. Add D and print $answer_text.",
                     "import calendar\n$read\nday = d\nfor i in range(1, m):\n"
                     "    day += calendar.monthrange($year, i)[1]\nprint($answer)\n"),
        Solution("accumulate", "1. Precompute with itertools.accumulate how many days precede each month of "
                               "$year.\n2. Read M and D; the day number is before[M - 1] + D.\n"
                               "3. Print $answer_text.",
                     "from itertools import accumulate\n"
                     "before = [0] + list(accumulate([31, $feb, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]))\n$read\n"
                     "day = before[m - 1] + d\nprint($answer)\n"),
    )
    _formats = {"space": ("M D", "m, d = map(int, input().split())"), "slash": ("M/D",
         "m, d = map(int, input().split(\"/\"))"),
                "lines": ("M\nD", "m = int(input())\nd = int(input())")}

    def sample_params(self, rng: random.Random) -> dict:
        year = rng.choice([2023, 2025, 2026, 2024, 2028])
        leap = year % 4 == 0
        fmt = rng.choice(sorted(self._formats))
        left = rng.random() < 0.5
        total = 366 if leap else 365
        return {"person": rng.choice(PEOPLE), "year": year, "feb": 29 if leap else 28,
                "occasion": rng.choice(["festival", "school trip", "final exam", "concert", "sports day"]),
                "leap_note": f"February has {29 if leap else 28} days and the year has {total} days",
                "in_style": fmt, "in_fmt": self._formats[fmt][0], "read": self._formats[fmt][1],
                "date_desc": "M/D" if fmt == "slash" else "month M, day D",
                "target": "left" if left else "number", "what": "Countdown" if left else "Number",
                "question": ("How many days of the year come after that date?" if left
                             else "Which day of the year is it, counting January 1 as day 1?"),
                "answer": f"{total} - day" if left else "day",
                "answer_text": f"the days after it, {total} minus that number" if left else "it"}

    def _text(self, params: dict, m: int, d: int) -> str:
        return {"space": f"{m} {d}\n", "slash": f"{m}/{d}\n", "lines": f"{m}\n{d}\n"}[params["in_style"]]

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        if edge == 0:
            return self._text(params, 1, 1)
        if edge == 1:
            return self._text(params, 12, 31)
        if edge == 2:
            return self._text(params, 3, 1)
        start = date(params["year"], 1, 1).toordinal()
        day = date.fromordinal(start + rng.randint(0, 364))
        return self._text(params, day.month, day.day)

    def reference(self, params: dict, stdin: str) -> str:
        m, d = map(int, stdin.replace("/", " ").split())
        year = params["year"]
        day = date(year, m, d).timetuple().tm_yday
        total = 366 if year % 4 == 0 else 365
        return f"{total - day if params['target'] == 'left' else day}\n"


@register
class WeekdayLater(Family):
    name = "weekday_later"
    topic = "dates"
    title = "$Days Days Later"
    heldout = True
    n_edges = 3
    statements = (
        statement("Today is $today_desc. $person's $event is exactly N days from today.\n"
                  "On which day of the week is it?",
                  "S\nN", "Print the day of the week $names_desc.",
                  [r"S is one of $names_list.", r"0 \leq N \leq $n_max", "N is an integer."]),
        statement("The days of the week repeat in the order $names_list.\n"
                  "Given today's day of the week S and an integer N, find the day of the week N days after today.",
                  "S\nN", "Print the answer $names_desc.",
                  [r"S is one of $names_list.", r"0 \leq N \leq $n_max", "N is an integer."]),
    )
    solutions = (
        Solution("index-mod", "1. Read S and N and list the seven names in order.\n"
                              "2. Find S's position, add N and reduce modulo 7.\n"
                              "3. Print the name at that position.",
                 "days = $names_py\ns = input().strip()\nn = int(input())\nprint(days[(days.index(s) + n) % 7])\n"),
        Solution("dict-position", "1. Build a dict from each name to its position 0..6.\n"
                                  "2. Read S and N; the answer's position is (position of S + N) % 7.\n"
                                  "3. Print the name there.",
                     "days = $names_py\npos = {name: i for i, name in enumerate(days)}\ns = input().strip()\n"
                     "n = int(input())\nprint(days[(pos[s] + n) % 7])\n"),
        Solution("deque-rotate", "1. Read S and N and put the names in a deque.\n"
                                 "2. Rotate until S is in front, then rotate left by N % 7 more.\n"
                                 "3. The front of the deque is the answer.",
                     "from collections import deque\nd = deque($names_py)\ns = input().strip()\nn = int(input())\n"
                     "d.rotate(-d.index(s))\nd.rotate(-(n % 7))\nprint(d[0])\n"),
        Solution("step-reduced", "1. Read S and N; a week repeats every 7 days, so only N % 7 steps matter.\n"
                                 "2. Build the next-day mapping by zipping the list with itself shifted by one.\n"
                                 "3. Follow it N % 7 times and print.",
                     "days = $names_py\nnxt = dict(zip(days, days[1:] + days[:1]))\ns = input().strip()\n"
                     "n = int(input())\nfor _ in range(n % 7):\n    s = nxt[s]\nprint(s)\n"),
        Solution("calendar-date", "1. Pick a real date that falls on S: 2024-01-01 was a Monday, so 2024-01-(1 + "
                                  "position of S) is S.\n2. Add N % 7 days with timedelta and read the weekday() "
                                  "(0 = Monday).\n3. Print the name of that weekday.",
                     "from datetime import date, timedelta\ndays = $names_py\ns = input().strip()\nn = int(input())\n"
                     "start = date(2024, 1, 1 + days.index(s))\n"
                     "print(days[(start + timedelta(days=n % 7)).weekday()])\n"),
    )
    _styles = {
        "full": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
        "upper": ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"],
        "short": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    }

    def sample_params(self, rng: random.Random) -> dict:
        style = rng.choice(sorted(self._styles))
        names = self._styles[style]
        return {"person": rng.choice(PEOPLE), "event": rng.choice(["birthday", "concert", "trip", "exam", "party"]),
                "n_max": rng.choice([100, 10**5, 10**9, 10**18]), "style": style, "Days": "N",
                "names_py": repr(names), "names_list": ", ".join(names),
                "names_desc": "using the same notation as the input",
                "today_desc": f"S (one of {', '.join(names)})"}

    def make_input(self, params: dict, rng: random.Random, edge: int | None) -> str:
        names = self._styles[params["style"]]
        n = {0: 0, 1: params["n_max"], 2: 7}.get(edge, None)
        if n is None:
            n = rng.randint(0, params["n_max"] if rng.random() < 0.5 else 30)
        return f"{rng.choice(names)}\n{n}\n"

    def reference(self, params: dict, stdin: str) -> str:
        names = self._styles[params["style"]]
        s, n = stdin.split()
        return names[(names.index(s) + int(n)) % 7] + "\n"
