"""Metrics against hand-computed values."""

import math

import pytest

from codegen_study.metrics import bootstrap_ci, mcnemar_exact, pass_at_k, pass_at_k_table, wilson_interval


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
