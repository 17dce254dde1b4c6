"""Progress of long work: a bar with rate and ETA on a terminal, plain periodic lines in logs.

Why both: scoring and generation take minutes to hours. On a terminal a tqdm bar (rate and time
left) is what people expect; redirected to a file or a CI log, a bar's carriage returns make an
unreadable single line, so there a plain line is printed every `every_s` seconds instead, plus
one at the end (and, with `first_line`, one after the first update: the ETA from the first batch of
a slow job). Either way it goes to stderr, leaving stdout to results and summaries.

Does not cover: what is counted (the caller's unit: samples, tokens, ...).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO


def duration(seconds: float) -> str:
    """`seconds` as 12.3 s, 4m05s or 2h03m."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class Progress:
    """Counts units of work done out of `total` and reports them (see the module docstring)."""

    def __init__(self, total: int, *, desc: str, unit: str, stream: TextIO | None = None, tty: bool | None = None,
                 every_s: float = 30.0, clock: Callable[[], float] = time.monotonic, first_line: bool = False):
        self.total, self.desc, self.unit = total, desc, unit
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.every_s, self.clock, self.first_line = every_s, clock, first_line
        self.done = 0
        self.start = self.last = clock()
        self.bar = None
        if self.tty:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=desc, unit=unit, file=self.stream, dynamic_ncols=True)

    def update(self, n: int = 1) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif ((self.first_line and self.done == n) or self.clock() - self.last >= self.every_s) \
                and self.done < self.total:  # close() reports the end
            self.last = self.clock()
            print(self.line(), file=self.stream, flush=True)

    def line(self) -> str:
        """The plain report: count, share, rate and time left (or taken, once done)."""
        elapsed = max(self.clock() - self.start, 1e-9)
        rate = self.done / elapsed
        share = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
        if self.done >= self.total:
            when = f"in {duration(elapsed)}"
        else:
            when = f"ETA {duration((self.total - self.done) / rate)}" if rate > 0 else "ETA unknown"
        return f"{self.desc}: {self.done}/{self.total} {self.unit}s{share}, {rate:.1f} {self.unit}s/s, {when}"

    def close(self) -> float:
        """Finish the report; returns the seconds since the start."""
        if self.bar is not None:
            self.bar.close()
        elif self.done:
            print(self.line(), file=self.stream, flush=True)
        return self.clock() - self.start
