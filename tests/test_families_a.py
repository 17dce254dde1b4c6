"""The a_* families (counting, simulation, sorting, min/max, prefix sums): every solution of
every family agrees with the family's reference on edge and random inputs, statements fill
and keep the AtCoder layout, and parameters vary enough to make hundreds of distinct problems."""

from __future__ import annotations

import random
import string

import pytest
from family_checks import (
    assert_names_prefix_free,
    assert_solutions_match_reference,
    distinct_keys,
    families_in,
    lines,
    run_all,
)

MODULE_PREFIX = "codegen_study.synth.families.a_"
EXPECTED_TOPICS = {"counting": 5, "simulation": 5, "sorting": 4, "minmax": 4, "prefix_sums": 3}


MINE = families_in(MODULE_PREFIX)


def test_family_set_shape():
    topics: dict[str, int] = {}
    for fam in MINE.values():
        topics[fam.topic] = topics.get(fam.topic, 0) + 1
    assert topics == EXPECTED_TOPICS
    held = [n for n, f in MINE.items() if f.heldout]
    assert len(held) == 4
    assert len({MINE[n].topic for n in held}) == 4  # spread across topics


def test_names_prefix_free_across_registry():
    assert_names_prefix_free(MINE)


@pytest.mark.parametrize("name", sorted(MINE))
def test_statements_and_params(name):
    fam = MINE[name]
    assert distinct_keys(fam, seed=7) >= 300
    assert len(fam.statements) >= 2
    for seed in range(5):
        params = fam.sample_params(random.Random(seed))
        for st in fam.statements:
            text = fam.fill(st, params, samples="Sample Input 1\n\n1\n\nSample Output 1\n\n1")
            for section in ("\nInput\n", "\nOutput\n", "\nConstraints\n", "Sample Input 1"):
                assert section in text
            assert "$" not in text.replace("$$", "")
        fam.fill(fam.title, params)
        for sol in fam.solutions:
            steps = fam.fill(sol.reasoning, params).splitlines()
            assert 2 <= len(steps) <= 5 and all(s.startswith(f"{i}. ") for i, s in enumerate(steps, 1))
            compile(fam.fill(sol.code, params), f"{name}/{sol.name}", "exec")


def test_solutions_are_distinct_programs():
    for name, fam in MINE.items():
        params = fam.sample_params(random.Random(1))
        norm = {"".join(fam.fill(s.code, params).split()) for s in fam.solutions}
        assert len(norm) == len(fam.solutions), name


def test_every_solution_matches_reference():
    def check_input(stdin: str) -> None:
        assert len(stdin) < 4000 and set(stdin) <= set(string.printable)

    # two parameter draws: all edge cases + a few random inputs each
    assert_solutions_match_reference(MINE, "a", (2, 1), check_input)


def test_make_input_is_deterministic():
    for name, fam in MINE.items():
        params = fam.sample_params(random.Random(3))
        a = [fam.make_input(params, random.Random(5), e) for e in [*range(fam.n_edges), None]]
        b = [fam.make_input(params, random.Random(5), e) for e in [*range(fam.n_edges), None]]
        assert a == b, name


def test_comparison_catches_a_wrong_program():
    """The harness above is not vacuous: an off-by-one program is caught on the edge cases."""
    fam = MINE["count_multiples_in_range"]
    params = fam.sample_params(random.Random(0))
    wrong = "l, r, k = map(int, input().split())\nprint(r // k - l // k)\n"
    inputs = [fam.make_input(params, random.Random(0), e) for e in range(fam.n_edges)]
    results = run_all([(wrong, stdin) for stdin in inputs])
    assert all(ok for ok, _ in results)
    assert any(lines(out) != lines(fam.reference(params, stdin)) for (_, out), stdin in zip(results, inputs))
