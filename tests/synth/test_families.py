"""Every registered family, one case per family: statements fill and keep the AtCoder layout,
parameter draws vary enough to make hundreds of distinct problems, inputs are well formed and
deterministic, and every solution prints the reference's output on all edge cases and on random
inputs. The registry as a whole is pinned too: families and held-out families per topic, names
that never prefix one another, and each module's header naming its topic and its families."""

from __future__ import annotations

import importlib
import random
import re
import string

import pytest

from codegen_study.synth.family import Family, families

FAMS = families()
NAMES = sorted(FAMS)
MODULES = sorted({type(f).__module__ for f in FAMS.values()})
FAKE_SAMPLES = "Sample Input 1\n\n1\n\nSample Output 1\n\n1"
SECTIONS = ("\nInput\n", "\nOutput\n", "\nConstraints\n",
            "The input is given from Standard Input in the following format:")
HEADER = re.compile(r"Topic: (\w+)\. Families: (.+?)\. What varies: .+\. Solutions: .+\.")

# topic -> (families, held-out families). Every held-out family is unseen by both training
# corpora, so the benchmark's unseen half spreads over topics rather than sitting in a few.
INVENTORY = {
    "arithmetic": (5, 1), "brute_force": (5, 1), "counting": (5, 1), "dates": (4, 1), "greedy": (5, 1),
    "grids": (5, 1), "minmax": (4, 1), "number_theory": (3, 0), "parity": (4, 1), "prefix_sums": (3, 0),
    "sets_maps": (3, 0), "simulation": (5, 1), "sorting": (4, 1), "strings": (8, 2),
}


def lines(text: str) -> list[str]:
    """Output lines as the checks compare them (stripped, outer blank lines dropped)."""
    return [line.strip() for line in text.strip().splitlines()]


def distinct_keys(fam: Family, seed: int, draws: int = 3000) -> int:
    """How many distinct problems `draws` parameter draws give (the parameter space's breadth)."""
    rng = random.Random(seed)
    return len({fam.key(fam.sample_params(rng)) for _ in range(draws)})


@pytest.fixture(scope="module")
def sandbox():
    from codegen_study.sandbox import Sandbox

    with Sandbox() as sb:
        yield sb


def run_all(sb, jobs: list[tuple[str, str]]) -> list[tuple[bool, str]]:
    """Run (code, stdin) pairs in the project's sandbox: (ok, stdout) per job."""
    from codegen_study.sandbox import Job, Limits

    outs = sb.run_many([Job(code, stdin, Limits(timeout_s=5)) for code, stdin in jobs])
    return [(o.status == "ok", o.stdout) for o in outs]


def test_inventory_per_topic():
    found: dict[str, tuple[int, int]] = {}
    for fam in FAMS.values():
        n, held = found.get(fam.topic, (0, 0))
        found[fam.topic] = (n + 1, held + bool(fam.heldout))
    assert found == INVENTORY


def test_names_are_snake_case_and_prefix_free():
    for a in NAMES:
        assert a.replace("_", "").isalnum() and a == a.lower(), a
        for b in NAMES:
            assert a == b or not (b.startswith(a) or a.startswith(b)), (a, b)


@pytest.mark.parametrize("module", MODULES)
def test_module_header_names_its_topic_and_families(module):
    """A module holds one topic, is named after it, and its header lists exactly its families."""
    mine = {n: f for n, f in FAMS.items() if type(f).__module__ == module}
    match = HEADER.fullmatch(" ".join(importlib.import_module(module).__doc__.split()))
    assert match, f"{module}: header is not 'Topic: ... Families: ... What varies: ... Solutions: ...'"
    topic, listed = match.group(1), [n.strip() for n in match.group(2).split(",")]
    assert {f.topic for f in mine.values()} == {topic}
    assert module.rsplit(".", 1)[1].startswith(topic.rstrip("s"))
    assert sorted(n.removesuffix(" (held out)") for n in listed) == sorted(mine)
    assert {n.removesuffix(" (held out)") for n in listed if n.endswith(" (held out)")} == {
        n for n, f in mine.items() if f.heldout}


@pytest.mark.parametrize("name", NAMES)
def test_statements_reasoning_and_params(name):
    fam = FAMS[name]
    assert distinct_keys(fam, seed=7) >= 300
    assert len(fam.statements) >= 2
    for seed in range(6):
        params = fam.sample_params(random.Random(seed))
        for st in fam.statements:
            text = fam.fill(st, params, samples=FAKE_SAMPLES)  # KeyError on a missing placeholder
            for section in SECTIONS:
                assert section in text
            assert text.rstrip().endswith(FAKE_SAMPLES)
            assert "$" not in text
        assert fam.fill(fam.title, params).strip()
        for sol in fam.solutions:
            steps = fam.fill(sol.reasoning, params).splitlines()
            assert 2 <= len(steps) <= 5 and all(s.startswith(f"{i}. ") for i, s in enumerate(steps, 1))
            compile(fam.fill(sol.code, params), f"{name}/{sol.name}", "exec")


@pytest.mark.parametrize("name", NAMES)
def test_solutions_are_distinct_programs(name):
    fam = FAMS[name]
    params = fam.sample_params(random.Random(1))
    norm = {"".join(fam.fill(s.code, params).split()) for s in fam.solutions}
    assert len(norm) == len(fam.solutions) >= 5


@pytest.mark.parametrize("name", NAMES)
def test_inputs_and_reference_are_deterministic(name):
    fam = FAMS[name]
    params = fam.sample_params(random.Random(3))
    a = [fam.make_input(params, random.Random(5), e) for e in [*range(fam.n_edges), None]]
    b = [fam.make_input(params, random.Random(5), e) for e in [*range(fam.n_edges), None]]
    assert a == b
    assert fam.reference(params, a[0]) == fam.reference(params, b[0])


@pytest.mark.parametrize("name", NAMES)
def test_every_solution_matches_reference(name, sandbox):
    """Two parameter draws: every edge case plus two, then one, random inputs; every solution must
    print the reference's lines on each."""
    fam = FAMS[name]
    rng = random.Random(f"family-{name}")
    jobs: list[tuple[str, str]] = []
    expected: list[tuple[str, str, str]] = []
    for n_random in (2, 1):
        params = fam.sample_params(rng)
        inputs = [fam.make_input(params, rng, e) for e in range(fam.n_edges)]
        inputs += [fam.make_input(params, rng, None) for _ in range(n_random)]
        for stdin in inputs:
            assert stdin.endswith("\n") and len(stdin) < 4000 and set(stdin) <= set(string.printable)
            want = fam.reference(params, stdin)
            assert want.endswith("\n") and want.strip()
            for sol in fam.solutions:
                jobs.append((fam.fill(sol.code, params), stdin))
                expected.append((sol.name, stdin, want))
    results = run_all(sandbox, jobs)
    failures = [(s, stdin, want, out) for (s, stdin, want), (ok, out) in zip(expected, results)
                if not ok or lines(out) != lines(want)]
    assert not failures, failures[:3]


def test_comparison_catches_a_wrong_program(sandbox):
    """The reference check above is not vacuous: an off-by-one program is caught on the edge cases."""
    fam = FAMS["count_multiples_in_range"]
    params = fam.sample_params(random.Random(0))
    wrong = "l, r, k = map(int, input().split())\nprint(r // k - l // k)\n"
    inputs = [fam.make_input(params, random.Random(0), e) for e in range(fam.n_edges)]
    results = run_all(sandbox, [(wrong, stdin) for stdin in inputs])
    assert all(ok for ok, _ in results)
    assert any(lines(out) != lines(fam.reference(params, stdin)) for (_, out), stdin in zip(results, inputs))
