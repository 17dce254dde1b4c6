"""Metrics against hand-computed values."""

import math

import pytest

from codegen_study.scoring.metrics import (
    bootstrap_ci,
    cluster_bootstrap_ci,
    detectable_difference,
    holm,
    mcnemar_exact,
    mcnemar_min_discordant,
    paired_bootstrap_diff,
    paired_bootstrap_p,
    pass_at_k,
    pass_at_k_table,
    rule_of_three,
    seed_summary,
    wilson_interval,
)


def test_pass_at_k_hand_values():
    assert pass_at_k(5, 2, 1) == pytest.approx(0.4)
    # 1 - C(3,2)/C(5,2) = 1 - 3/10
    assert pass_at_k(5, 2, 2) == pytest.approx(0.7)
    # 1 - C(7,3)/C(10,3) = 1 - 35/120
    assert pass_at_k(10, 3, 3) == pytest.approx(1 - 35 / 120)
    assert pass_at_k(10, 0, 5) == 0.0
    assert pass_at_k(4, 3, 2) == 1.0  # fewer than k failures: a correct one is always drawn


def test_pass_at_k_matches_binomial_formula_for_large_n():
    n, c, k = 200, 17, 10
    assert pass_at_k(n, c, k) == pytest.approx(1 - math.comb(n - c, k) / math.comb(n, k), rel=1e-12)


def test_pass_at_k_rejects_bad_arguments():
    with pytest.raises(ValueError):
        pass_at_k(3, 4, 1)
    with pytest.raises(ValueError):
        pass_at_k(3, 1, 5)


def test_pass_at_k_table_drops_k_above_n():
    table = pass_at_k_table({"a": (5, 2), "b": (3, 3)}, ks=(1, 2, 5))
    assert set(table) == {1, 2}
    assert table[1] == pytest.approx((0.4 + 1.0) / 2)
    assert table[2] == pytest.approx((0.7 + 1.0) / 2)
    assert pass_at_k_table([], ks=(1,)) == {}


def test_wilson_hand_values():
    lo, hi = wilson_interval(5, 10)
    assert lo == pytest.approx(0.2366, abs=1e-4)
    assert hi == pytest.approx(0.7634, abs=1e-4)
    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0
    assert hi == pytest.approx(0.2775, abs=1e-4)
    lo, hi = wilson_interval(41, 41)
    assert hi == 1.0 and lo == pytest.approx(0.9143, abs=1e-4)


def test_mcnemar_exact_hand_values():
    assert mcnemar_exact(0, 5) == pytest.approx(2 / 32)
    assert mcnemar_exact(1, 5) == pytest.approx(2 * 7 / 64)
    assert mcnemar_exact(5, 1) == mcnemar_exact(1, 5)
    assert mcnemar_exact(3, 3) == 1.0
    assert mcnemar_exact(0, 0) == 1.0


def test_bootstrap_two_point_hand_quantiles():
    # resampling [0, 1]: the mean is 0, .5, 1 with probability 1/4, 1/2, 1/4
    lo, hi = bootstrap_ci([0, 1], None, n_boot=4000, seed=1)
    assert (lo, hi) == (0.0, 1.0)
    lo, hi = bootstrap_ci([0, 1], None, n_boot=4000, seed=1, alpha=0.6)  # 30% and 70% quantiles
    assert (lo, hi) == (0.5, 0.5)


def test_bootstrap_constant_and_deterministic():
    assert bootstrap_ci([0.25] * 10, None, n_boot=200) == (0.25, 0.25)
    vals = [1, 0, 1, 1, 0, 1, 0, 0, 1, 1]
    assert bootstrap_ci(vals, None, n_boot=500, seed=3) == bootstrap_ci(vals, None, n_boot=500, seed=3)
    lo, hi = bootstrap_ci(vals, None, n_boot=2000)
    assert lo < 0.6 < hi


def test_bootstrap_custom_stat_on_pairs():
    # per problem (base passed, tuned passed); stat = difference in pass rate
    pairs = {"p1": (0, 1), "p2": (0, 1), "p3": (1, 1), "p4": (1, 0)}

    def diff(items):
        return sum(t - b for b, t in items) / len(items)

    lo, hi = bootstrap_ci(pairs, diff, n_boot=2000, seed=0)
    assert -1.0 <= lo <= 0.25 <= hi <= 1.0


# -- paired tests, corrections and power: hand-checked numbers ------------------------------
def test_mcnemar_two_vs_eight():
    # 2 * (C(10,0) + C(10,1) + C(10,2)) / 2**10 = 2 * 56 / 1024
    assert mcnemar_exact(2, 8) == pytest.approx(0.109375)
    assert round(mcnemar_exact(8, 2), 3) == 0.109


def test_holm_on_a_known_list():
    # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 -> 0.02, 0.03, 0.06, max(0.06, 0.04)
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # the smallest of nine tests: 0.015625 * 9
    assert holm([0.015625] + [1.0] * 8)[0] == pytest.approx(0.140625)
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert holm([]) == []
    with pytest.raises(ValueError):
        holm([1.5])


def test_minimum_discordant_problems_for_exact_mcnemar():
    assert mcnemar_exact(0, 5) > 0.05 and mcnemar_exact(0, 6) < 0.05
    assert mcnemar_min_discordant(0.05) == 6
    assert mcnemar_min_discordant(0.01) == 8  # 2/256 < 0.01 <= 2/128
    assert mcnemar_min_discordant(0.05, tests=9) == 9  # 2/512 < 0.05/9 <= 2/256
    assert detectable_difference(41) == pytest.approx(6 / 41)
    assert detectable_difference(5) is None
    # the original study's +4/41 (4 discordant problems at best) cannot reach significance
    assert mcnemar_exact(0, 4) > 0.05


def test_rule_of_three():
    assert rule_of_three(41) == pytest.approx((0.0, 3 / 41))
    assert rule_of_three(2) == (0.0, 1.0)
    with pytest.raises(ValueError):
        rule_of_three(0)


def test_paired_bootstrap_hand_values():
    assert paired_bootstrap_diff([1, 1, 1, 1], [0, 0, 0, 0], n_boot=200) == (1.0, 1.0, 1.0)
    assert paired_bootstrap_diff([0.3, 0.2], [0.3, 0.2], n_boot=200) == (0.0, 0.0, 0.0)
    # per-problem differences [1, 0]: resampled means 0, .5, 1 with probability 1/4, 1/2, 1/4
    mean, lo, hi = paired_bootstrap_diff([1, 0.5], [0, 0.5], n_boot=4000, seed=1)
    assert (mean, lo, hi) == (0.5, 0.0, 1.0)
    with pytest.raises(ValueError):
        paired_bootstrap_diff([1], [1, 0])


def test_cluster_bootstrap_is_wider_than_treating_problems_as_independent():
    values, families = [1, 1, 1, 0, 0, 0], ["a", "a", "a", "b", "b", "b"]
    # two clusters: resampled means 0, .5, 1 with probability 1/4, 1/2, 1/4
    assert cluster_bootstrap_ci(values, families, n_boot=4000, seed=1) == (0.0, 1.0)
    lo, hi = bootstrap_ci(values, None, n_boot=4000, seed=1)
    assert 0.0 < lo and hi < 1.0
    # singleton clusters are the plain bootstrap over problems
    assert cluster_bootstrap_ci([0, 1], ["x", "y"], n_boot=4000, seed=1) == (0.0, 1.0)
    _, clo, chi = paired_bootstrap_diff(values, [0] * 6, n_boot=4000, seed=1, clusters=families)
    assert (clo, chi) == (0.0, 1.0)


def test_seed_summary():
    assert seed_summary([0.25, 0.5, 0.75]) == (0.5, 0.25, 0.75)
    with pytest.raises(ValueError):
        seed_summary([])


def test_paired_bootstrap_p_value():
    assert paired_bootstrap_p([0.5, 0.2], [0.5, 0.2], n_boot=100) == 1.0
    # every problem better by the same amount: no resample reaches zero
    assert paired_bootstrap_p([1, 1, 1], [0, 0, 0], n_boot=500) == 0.0
    # differences [1, 0]: resampled means 0 (1/4), .5 (1/2), 1 (1/4); zero ties count half -> p ~ 2 * 1/8
    assert paired_bootstrap_p([1, 0.5], [0, 0.5], n_boot=8000, seed=2) == pytest.approx(0.25, abs=0.02)
    # two families, one better, one equal: the clustered p is as large as that two-point case
    p = paired_bootstrap_p([1, 1, 0, 0], [0, 0, 0, 0], n_boot=8000, seed=2, clusters=["a", "a", "b", "b"])
    assert p == pytest.approx(0.25, abs=0.02)
