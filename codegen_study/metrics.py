"""Statistics for pass rates: unbiased pass@k, Wilson intervals, exact McNemar, bootstrap.

Why these: with 41 problems a Pass@1 difference of a few problems is within noise, so every
number the report prints comes with an interval (Wilson for one proportion, bootstrap over
problems for anything averaged per problem) and every model comparison with a paired test
(McNemar on the problems where the two models disagree).

Covers: pure functions on counts and per-problem values (standard library only).
Does not cover: reading results tables (see `analysis/`), or multiple-comparison corrections.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased estimate of pass@k from `n` samples of which `c` passed (Chen et al. 2021).

    pass@k = 1 - C(n-c, k) / C(n, k): the chance that k samples drawn without replacement from
    the n include at least one correct one. Computed as a running product so large n stays
    exact enough in floating point.
    """
    if not (0 <= c <= n) or k < 1:
        raise ValueError(f"need 0 <= c <= n and k >= 1, got n={n}, c={c}, k={k}")
    if k > n:
        raise ValueError(f"k={k} exceeds the number of samples n={n}")
    if n - c < k:
        return 1.0
    # C(n-c, k) / C(n, k) = prod_{i=n-c+1}^{n} (1 - k / i)
    fail = 1.0
    for i in range(n - c + 1, n + 1):
        fail *= 1.0 - k / i
    return 1.0 - fail


def pass_at_k_table(
    counts: Mapping[str, tuple[int, int]] | Iterable[tuple[int, int]],
    ks: Sequence[int] = (1, 5, 10),
) -> dict[int, float]:
    """Mean pass@k over problems from (n, c) per problem; a k larger than some n is dropped.

    A k is reported only when every problem has at least k samples, because averaging
    estimates over a mix of problems that can and cannot support k would be biased.
    """
    pairs = list(counts.values()) if isinstance(counts, Mapping) else list(counts)
    if not pairs:
        return {}
    min_n = min(n for n, _ in pairs)
    out: dict[int, float] = {}
    for k in ks:
        if k > min_n:
            continue
        out[k] = sum(pass_at_k(n, c, k) for n, c in pairs) / len(pairs)
    return out


def wilson_interval(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a proportion k/n (default 95%).

    Unlike the normal approximation it stays inside [0, 1] and is sensible at 0/n and n/n,
    which happen often with 41 problems.
    """
    if n <= 0:
        raise ValueError("n must be positive")
    if not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    p = k / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts b and c.

    Under the null each discordant problem is a fair coin, so the p-value is the two-sided
    binomial tail: min(1, 2 * P[X <= min(b, c)]) with X ~ Binomial(b + c, 1/2).
    """
    if b < 0 or c < 0:
        raise ValueError("counts must be non-negative")
    n = b + c
    if n == 0:
        return 1.0
    m = min(b, c)
    tail = sum(math.comb(n, i) for i in range(m + 1)) / 2**n
    return min(1.0, 2.0 * tail)


def bootstrap_ci(
    values_per_problem: Sequence | Mapping,
    stat: Callable[[list], float] | None = None,
    n_boot: int = 10000,
    seed: int = 0,
    alpha: float = 0.05,
) -> tuple[float, float]:
    """Percentile bootstrap over problems: the (low, high) interval of `stat`.

    `values_per_problem` holds one item per problem (a number, or anything `stat` accepts,
    e.g. a (base, tuned) pair); problems are resampled with replacement and `stat` (default:
    the mean) is applied to each resample. Resampling problems, not samples, is what makes
    the interval speak about "another set of problems like these".
    """
    items = list(values_per_problem.values()) if isinstance(values_per_problem, Mapping) else list(values_per_problem)
    if not items:
        raise ValueError("no problems to bootstrap over")
    if stat is None:
        stat = _mean
    rng = random.Random(seed)
    n = len(items)
    draws = sorted(float(stat([items[rng.randrange(n)] for _ in range(n)])) for _ in range(n_boot))
    lo = _quantile(draws, alpha / 2)
    hi = _quantile(draws, 1 - alpha / 2)
    return lo, hi


def _mean(xs: list) -> float:
    return sum(xs) / len(xs)


def _quantile(sorted_xs: list[float], q: float) -> float:
    """Linear-interpolated quantile of an already sorted list (numpy's default method)."""
    pos = q * (len(sorted_xs) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_xs) - 1)
    return sorted_xs[lo] + (sorted_xs[hi] - sorted_xs[lo]) * (pos - lo)
