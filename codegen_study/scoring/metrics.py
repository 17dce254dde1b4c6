"""Statistics for pass rates: pass@k, intervals, paired tests, multiple comparisons, power.

Why these: with 41 problems a Pass@1 difference of a few problems is within noise, so every
number the report prints comes with an interval (Wilson for one proportion, bootstrap over
problems for anything averaged per problem) and every model comparison with a paired test
(McNemar on the problems where the two models disagree).

Covers: pure functions on counts and per-problem values (standard library only): Holm's step-down
adjustment (a table of several paired tests), the smallest McNemar split that can reach
significance (what a null result could have detected), rule-of-three bounds (0 of n is not
certainty), bootstraps paired over problems and clustered by task family, seed mean and range.
Does not cover: reading results tables (see `analysis/`).
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


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm step-down adjusted p-values, in the input order.

    Why Holm: a table of several paired tests at alpha each finds a "significant" pair by
    chance far more often than alpha; Holm controls the family-wise error and is never less
    powerful than Bonferroni. The i-th smallest p (0-based) is multiplied by (m - i), then
    made monotone (an adjusted p is at least the one before it) and capped at 1.
    """
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        if not 0.0 <= p_values[i] <= 1.0:
            raise ValueError(f"p-values must lie in [0, 1], got {p_values[i]}")
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def mcnemar_min_discordant(alpha: float = 0.05, tests: int = 1) -> int:
    """Fewest discordant problems, all one way, for which exact McNemar gives p < alpha / tests.

    Why: it is the best case for a difference, so a comparison with fewer discordant problems
    could never be significant whatever the data; `tests` > 1 is the Holm threshold of the
    smallest p-value in a table of that many tests. At alpha 0.05 and one test this is 6
    (p = 2 / 2**6 = 0.031; 5 gives 0.0625).
    """
    if not 0 < alpha < 1 or tests < 1:
        raise ValueError(f"need 0 < alpha < 1 and tests >= 1, got alpha={alpha}, tests={tests}")
    m = 1
    while mcnemar_exact(0, m) >= alpha / tests:
        m += 1
    return m


def detectable_difference(problems: int, alpha: float = 0.05, tests: int = 1) -> float | None:
    """Smallest Pass@1 difference a paired exact McNemar on `problems` problems can detect.

    That is `mcnemar_min_discordant / problems`: the models differ on that many problems and
    all of them go one way. None when the benchmark has fewer problems than that.
    """
    if problems <= 0:
        raise ValueError("problems must be positive")
    m = mcnemar_min_discordant(alpha, tests)
    return None if m > problems else m / problems


def rule_of_three(n: int) -> tuple[float, float]:
    """Approximate 95% interval [0, 3/n] for a rate observed as 0 of n.

    Why: a bootstrap of all-zero values collapses to [0, 0], which claims certainty; no
    success in n trials is consistent with a true rate up to about 3/n.
    """
    if n <= 0:
        raise ValueError("n must be positive")
    return 0.0, min(1.0, 3.0 / n)


def paired_bootstrap_diff(
    a: Sequence[float],
    b: Sequence[float],
    n_boot: int = 10000,
    seed: int = 0,
    alpha: float = 0.05,
    clusters: Sequence | None = None,
) -> tuple[float, float, float]:
    """(mean(a) - mean(b), low, high): percentile bootstrap of a paired difference.

    `a[i]` and `b[i]` are the same problem's scores under two models (e.g. sampled pass@1);
    resampling problems keeps the pairs together, so problem difficulty cancels. With
    `clusters` (one label per problem, e.g. the task family) whole clusters are resampled.
    """
    diffs = _diffs(a, b)
    draws = _mean_draws(diffs, clusters, n_boot, seed)
    return _mean(diffs), _quantile(draws, alpha / 2), _quantile(draws, 1 - alpha / 2)


def paired_bootstrap_p(
    a: Sequence[float],
    b: Sequence[float],
    n_boot: int = 10000,
    seed: int = 0,
    clusters: Sequence | None = None,
) -> float:
    """Two-sided bootstrap p-value of "mean(a) - mean(b) = 0", matching `paired_bootstrap_diff`.

    Twice the share of resampled differences on the far side of zero (ties count half), capped
    at 1: the smallest alpha at which the percentile interval would exclude zero. A difference
    that is exactly zero in every problem has p = 1.
    """
    diffs = _diffs(a, b)
    if not any(diffs):
        return 1.0
    draws = _mean_draws(diffs, clusters, n_boot, seed)
    below = sum(d < 0 for d in draws) + 0.5 * sum(d == 0 for d in draws)
    above = len(draws) - below
    return min(1.0, 2.0 * min(below, above) / len(draws))


def _diffs(a: Sequence[float], b: Sequence[float]) -> list[float]:
    if len(a) != len(b) or not a:
        raise ValueError(f"need two equally long, non-empty lists, got {len(a)} and {len(b)}")
    return [float(x) - float(y) for x, y in zip(a, b)]


def _mean_draws(values: list[float], clusters: Sequence | None, n_boot: int, seed: int) -> list[float]:
    """Sorted bootstrap means of `values`, resampling items or (with `clusters`) whole clusters."""
    if clusters is None:
        clusters = range(len(values))
    if len(values) != len(clusters) or not values:
        raise ValueError(f"need one cluster label per value, got {len(values)} values, {len(clusters)} labels")
    groups: dict = {}
    for v, c in zip(values, clusters):
        groups.setdefault(c, []).append(float(v))
    sums = [(sum(g), len(g)) for g in groups.values()]
    rng = random.Random(seed)
    k = len(sums)
    draws = []
    for _ in range(n_boot):
        total = count = 0.0
        for _ in range(k):
            s, n = sums[rng.randrange(k)]
            total += s
            count += n
        draws.append(total / count)
    draws.sort()
    return draws


def cluster_bootstrap_ci(
    values: Sequence[float],
    clusters: Sequence,
    n_boot: int = 10000,
    seed: int = 0,
    alpha: float = 0.05,
) -> tuple[float, float]:
    """Percentile interval of the mean, resampling whole clusters (e.g. task families).

    Why: problems generated from one family share a template, so they are not independent;
    treating them as independent makes an interval too narrow. The mean of a resample is over
    all problems of the drawn clusters.
    """
    draws = _mean_draws(list(values), clusters, n_boot, seed)
    return _quantile(draws, alpha / 2), _quantile(draws, 1 - alpha / 2)


def seed_summary(values: Sequence[float]) -> tuple[float, float, float]:
    """(mean, min, max) over training seeds: the spread a single seed would hide."""
    values = [float(v) for v in values]
    if not values:
        raise ValueError("no values")
    return _mean(values), min(values), max(values)
