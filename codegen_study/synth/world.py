"""Instantiating problems from task families: (family, params, seed) -> a concrete `SynthProblem`.

Covers: drawing parameter dicts with fresh problem keys, building tests (edge cases + random
inputs with reference outputs), choosing a statement phrasing, filling the AtCoder-layout
sample blocks, and filling every solution's code and reasoning. Everything is a pure function of
its arguments: randomness comes from `random.Random(f"{seed}:{...}")` streams keyed by strings
(never `hash()`, whose value changes per process), so the same seed gives the same bytes.

Does not cover: running solutions (verify.py), assembling corpora (corpus.py).
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from codegen_study.synth.family import Family

N_PUBLIC = 3  # sample tests shown in the statement (public tests)
N_RANDOM = 8  # random tests besides the family's edge cases
_SAMPLE_RE = re.compile(r"Sample Input (\d+)\n\n(.*?)\n\nSample Output \1\n\n(.*?)(?=\n\nSample Input |\Z)", re.S)


@dataclass(frozen=True)
class SynthTest:
    input: str
    output: str
    public: bool


@dataclass(frozen=True)
class SynthSolution:
    name: str
    code: str
    reasoning: str


@dataclass(frozen=True)
class SynthProblem:
    key: str  # family.key(params): the problem's identity
    family: str
    topic: str
    heldout_family: bool
    params: dict[str, Any] = field(hash=False, compare=False)
    title: str = ""
    statement: str = ""
    phrasing: int = 0
    tests: tuple[SynthTest, ...] = ()
    solutions: tuple[SynthSolution, ...] = ()

    @property
    def problem_id(self) -> str:
        """Short, stable, filename-safe id: family + 10 hex digits of the key's SHA-1."""
        return f"{self.family}-{key_digest(self.key)[:10]}"

    @property
    def public_tests(self) -> tuple[SynthTest, ...]:
        return tuple(t for t in self.tests if t.public)


def key_digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def format_samples(tests: tuple[SynthTest, ...] | list[SynthTest]) -> str:
    """AtCoder-layout sample blocks: 'Sample Input i', blank line, input, blank, output ..."""
    blocks = []
    for i, t in enumerate(tests, 1):
        blocks.append(
            f"Sample Input {i}\n\n{t.input.rstrip(chr(10))}\n\nSample Output {i}\n\n{t.output.rstrip(chr(10))}"
        )
    return "\n\n".join(blocks)


def fenced_output(reasoning: str, code: str) -> str:
    """A training row's target: the reasoning, then the code in a ```python fence."""
    return f"{reasoning.strip()}\n\n```python\n{code.rstrip()}\n```"


def parse_samples(statement: str) -> list[tuple[str, str]]:
    """(input, output) pairs read back from a statement's sample blocks."""
    return [(m.group(2), m.group(3).rstrip()) for m in _SAMPLE_RE.finditer(statement)]


def make_tests(family: Family, params: dict, seed: int | str, n_public: int = N_PUBLIC,
               n_random: int = N_RANDOM) -> tuple[SynthTest, ...]:
    """Edge cases + random inputs (distinct), outputs from the family's oracle.

    Order: the two shortest random inputs and edge case 0 (usually the smallest input) form the
    public samples -- a realistic mix that keeps statements short enough for a 512-token
    training context; the remaining edge cases and random inputs are private.
    """
    key = family.key(params)
    rng = random.Random(f"{seed}:{key}:tests")
    randoms: list[str] = []
    edges = [family.make_input(params, rng, e) for e in range(family.n_edges)]
    seen = set(edges)
    tries = 0
    while len(randoms) < n_random and tries < n_random * 8:
        tries += 1
        text = family.make_input(params, rng, None)
        if text not in seen:
            seen.add(text)
            randoms.append(text)
    randoms.sort(key=lambda t: (len(t), t))  # stable, deterministic: shortest become samples
    ordered = randoms[:2] + edges[:1] + randoms[2:] + edges[1:]
    uniq: list[str] = []
    for text in ordered:  # an edge case may coincide with another edge case
        if text not in uniq:
            uniq.append(text)
    return tuple(SynthTest(t, family.reference(params, t), i < n_public) for i, t in enumerate(uniq))


def instantiate(family: Family, params: dict, seed: int | str) -> SynthProblem:
    """The concrete problem for (family, params) under `seed`: statement, tests, solutions."""
    key = family.key(params)
    rng = random.Random(f"{seed}:{key}:statement")
    phrasing = rng.randrange(len(family.statements))
    tests = make_tests(family, params, seed)
    samples = format_samples([t for t in tests if t.public])
    statement = family.fill(family.statements[phrasing], params, samples=samples).strip()
    solutions = tuple(
        SynthSolution(s.name, family.fill(s.code, params), family.fill(s.reasoning, params).strip())
        for s in family.solutions
    )
    return SynthProblem(
        key=key, family=family.name, topic=family.topic, heldout_family=bool(family.heldout),
        params=params, title=family.fill(family.title, params), statement=statement,
        phrasing=phrasing, tests=tests, solutions=solutions,
    )


def draw_keys(family: Family, seed: int | str, stream: str, exclude: set[str] | frozenset[str] = frozenset(),
              max_misses: int = 200) -> Iterator[dict]:
    """Parameter dicts of `family` with keys new to this stream and not in `exclude`.

    Stops when `max_misses` draws in a row give no new key (the parameter space is exhausted
    or nearly so), so a small family cannot stall a corpus.
    """
    rng = random.Random(f"{seed}:{stream}:{family.name}:params")
    seen: set[str] = set()
    misses = 0
    while misses < max_misses:
        params = family.sample_params(rng)
        key = family.key(params)
        if key in seen or key in exclude:
            misses += 1
            continue
        misses = 0
        seen.add(key)
        yield params


def round_robin(families: list[Family], seed: int | str, stream: str,
                exclude: set[str] | frozenset[str] = frozenset()) -> Iterator[tuple[Family, dict]]:
    """(family, params) pairs taking one fresh problem from each family in turn, forever
    (until every family is exhausted). Families are visited in name order."""
    gens = [(f, draw_keys(f, seed, stream, exclude)) for f in sorted(families, key=lambda f: f.name)]
    while gens:
        alive = []
        for fam, gen in gens:
            params = next(gen, None)
            if params is None:
                continue
            alive.append((fam, gen))
            yield fam, params
        gens = alive


def _instantiate_registered(job: tuple[str, dict, int | str]) -> SynthProblem:
    from codegen_study.synth.family import REGISTRY

    name, params, seed = job
    return instantiate(REGISTRY[name], params, seed)


def instantiate_many(pairs: list[tuple[Family, dict]], seed: int | str,
                     workers: int | None = None) -> list[SynthProblem]:
    """`instantiate` over many (family, params), in worker processes when that pays off.

    Why: a few families' oracles are slow (brute force over ranges), and a 5,000-problem
    corpus is otherwise dominated by them. Results are identical to the serial path (each
    problem is a pure function of its arguments). Families that are not registered (e.g. test
    doubles) and small batches run in-process.
    """
    import os

    from codegen_study.synth.family import REGISTRY

    workers = workers or os.cpu_count() or 1
    registered = all(REGISTRY.get(f.name) is f for f, _ in pairs)
    if workers < 2 or len(pairs) < 400 or not registered:
        return [instantiate(f, p, seed) for f, p in pairs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as ex:
        jobs = [(f.name, p, seed) for f, p in pairs]
        return list(ex.map(_instantiate_registered, jobs, chunksize=max(1, len(jobs) // (workers * 8))))
