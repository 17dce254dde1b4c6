"""The b_* families (grids, greedy, brute force, digits / number theory, string patterns):
every solution of every family agrees with the family's reference on all edge cases and on
random inputs, statements fill and keep the AtCoder layout, and parameter draws vary enough to
make hundreds of distinct problems."""

from __future__ import annotations

import random

import pytest
from family_checks import assert_names_prefix_free, assert_solutions_match_reference, distinct_keys, families_in

MODULE_PREFIX = "codegen_study.synth.families.b_"
EXPECTED_TOPICS = {"grids": 5, "greedy": 5, "brute_force": 5, "number_theory": 3, "strings": 3}
FAKE_SAMPLES = "Sample Input 1\n\n1\n\nSample Output 1\n\n1"


MINE = families_in(MODULE_PREFIX)


def test_family_set_shape():
    topics: dict[str, int] = {}
    for fam in MINE.values():
        topics[fam.topic] = topics.get(fam.topic, 0) + 1
    assert topics == EXPECTED_TOPICS
    held = [n for n, f in MINE.items() if f.heldout]
    assert len(held) == 4
    assert len({MINE[n].topic for n in held}) == 4


def test_names_are_snake_case_and_prefix_free():
    assert_names_prefix_free(MINE)


@pytest.mark.parametrize("name", sorted(MINE))
def test_statements_reasoning_and_params(name):
    fam = MINE[name]
    assert distinct_keys(fam, seed=11) >= 300
    assert len(fam.statements) >= 2
    for seed in range(6):
        params = fam.sample_params(random.Random(seed))
        for st in fam.statements:
            text = fam.fill(st, params, samples=FAKE_SAMPLES)  # KeyError on a missing placeholder
            for section in ("\nInput\n", "\nOutput\n", "\nConstraints\n",
                            "The input is given from Standard Input in the following format:"):
                assert section in text
            assert text.rstrip().endswith(FAKE_SAMPLES)
            assert "$" not in text
        assert fam.fill(fam.title, params).strip()
        for sol in fam.solutions:
            steps = fam.fill(sol.reasoning, params).splitlines()
            assert 2 <= len(steps) <= 5 and all(s.startswith(f"{i}. ") for i, s in enumerate(steps, 1))
            compile(fam.fill(sol.code, params), f"{name}/{sol.name}", "exec")


def test_solutions_are_distinct_programs():
    for name, fam in MINE.items():
        params = fam.sample_params(random.Random(1))
        norm = {"".join(fam.fill(s.code, params).split()) for s in fam.solutions}
        assert len(norm) == len(fam.solutions) >= 5, name


def test_every_solution_matches_reference():
    def check_input(stdin: str) -> None:
        assert stdin.endswith("\n") and len(stdin) < 6000

    assert_solutions_match_reference(MINE, "b", (1, 1), check_input)


def test_inputs_are_deterministic():
    for name, fam in MINE.items():
        params = fam.sample_params(random.Random(3))
        a = [fam.make_input(params, random.Random(5), e) for e in [*range(fam.n_edges), None]]
        b = [fam.make_input(params, random.Random(5), e) for e in [*range(fam.n_edges), None]]
        assert a == b, name
        assert fam.reference(params, a[0]) == fam.reference(params, b[0])
