"""Helpers shared by the per-author family test files (test_families_a.py, test_families_b.py)."""

from __future__ import annotations

from codegen_study.synth.family import Family, families


def families_in(module_prefix: str) -> dict[str, Family]:
    """The registered families defined in modules whose name starts with `module_prefix`."""
    return {n: f for n, f in families().items() if type(f).__module__.startswith(module_prefix)}


def run_all(jobs: list[tuple[str, str]]) -> list[tuple[bool, str]]:
    """Run (code, stdin) pairs in the project's sandbox: (ok, stdout) per job."""
    from codegen_study.sandbox import Job, Limits, Sandbox

    with Sandbox() as sb:
        outs = sb.run_many([Job(code, stdin, Limits(timeout_s=5)) for code, stdin in jobs])
    return [(o.status == "ok", o.stdout) for o in outs]


def lines(text: str) -> list[str]:
    """Output lines as the family tests compare them (stripped, outer blank lines dropped)."""
    return [line.strip() for line in text.strip().splitlines()]


def assert_names_prefix_free(mine: dict[str, Family]) -> None:
    """Each of `mine` is snake_case and neither a prefix of nor prefixed by another registered name."""
    names = sorted(families())
    for a in mine:
        assert a.replace("_", "").isalnum() and a == a.lower()
        for b in names:
            assert a == b or not (b.startswith(a) or a.startswith(b)), (a, b)


def distinct_keys(fam: Family, seed: int, draws: int = 3000) -> int:
    """How many distinct problems `draws` parameter draws give (the parameter space's breadth)."""
    import random

    rng = random.Random(seed)
    return len({fam.key(fam.sample_params(rng)) for _ in range(draws)})


def assert_solutions_match_reference(mine: dict[str, Family], seed_prefix: str, randoms_per_draw: tuple[int, ...],
                                     check_input) -> None:
    """Every solution of every family prints the reference's lines on every edge case and on
    `randoms_per_draw[i]` random inputs of parameter draw i; `check_input(stdin)` asserts the
    input's shape. All runs go through the sandbox in one batch."""
    import random

    jobs: list[tuple[str, str]] = []
    expected: list[tuple[str, str, str, str]] = []
    for name, fam in mine.items():
        rng = random.Random(f"{seed_prefix}-{name}")
        for n_random in randoms_per_draw:
            params = fam.sample_params(rng)
            inputs = [fam.make_input(params, rng, e) for e in range(fam.n_edges)]
            inputs += [fam.make_input(params, rng, None) for _ in range(n_random)]
            for stdin in inputs:
                check_input(stdin)
                want = fam.reference(params, stdin)
                assert want.endswith("\n") and want.strip()
                for sol in fam.solutions:
                    jobs.append((fam.fill(sol.code, params), stdin))
                    expected.append((name, sol.name, stdin, want))
    results = run_all(jobs)
    failures = [(n, s, stdin, want, out) for (n, s, stdin, want), (ok, out) in zip(expected, results)
                if not ok or lines(out) != lines(want)]
    assert not failures, failures[:3]
