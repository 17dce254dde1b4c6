"""Which families each output of a seed may use: the Deep-vs-Diverse contrast in number of tasks.

The original study contrasts few distinct tasks (Deep: 1,000 problems x 5 solutions) with many
(Diverse: 5,000 problems x 1 solution). In the synthetic world a task is a family, so a seed
splits the registered families into three disjoint groups:

* ``both``: about a fifth of the training families, chosen from the seed -- the only families
  Deep draws from (Diverse draws from them too);
* ``diverse_only``: the other training families -- only Diverse draws from them;
* ``unseen``: the families marked ``heldout`` -- neither corpus ever draws from them.

The held-out benchmark takes problems from all three groups and labels each with its group.
A ``both`` family must hold enough distinct problems for its share of Deep plus some slack for
verification drops, so the choice is restricted to families whose "deep" stream (the very
stream the Deep builder draws from) does not run dry first.

Equal size means equal rows *and* tokens: Deep repeats each statement five times, so a Deep
family set with long statements would make Deep the bigger corpus. Among seeded draws of Deep
families the first whose estimated row length is within `BALANCE_TOLERANCE` of the mean over
all training families is taken (the closest, if none is). The estimate counts digits, letter
runs and punctuation marks of a few probe problems per family -- within a few per cent of
SmolLM2 token counts per family, and no tokenizer is needed to build a corpus.

Each family's first `RESERVE_POOL` keys of its "heldout" stream are reserved: no corpus of the
seed uses them and the benchmark's ``both`` / ``diverse_only`` problems come only from them, so
each output can be built alone and the three still agree. Does not cover building (corpus.py).
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from itertools import islice

from codegen_study.synth.family import Family, families
from codegen_study.synth.world import draw_keys, fenced_output, instantiate

GROUPS = ("both", "diverse_only", "unseen")
DEEP_SHARE = 5  # one family in five trains Deep (the original's 1,000 vs 5,000 distinct problems)
DEEP_PROBLEMS = 1000  # the Deep size the family capacity check plans for
CAPACITY_SLACK = 1.25  # extra distinct problems a Deep family must hold (verification drops)
RESERVE_POOL = 8  # reserved held-out keys per training family (>= benchmark problems per family)
BALANCE_TOLERANCE = 0.015  # |Deep families' estimated row length / all training families' - 1|
BALANCE_DRAWS = 400  # seeded Deep family sets tried before taking the closest
PROBES = 6  # problems per family behind its row-length estimate
_TOKENS = re.compile(r"\d|[^\W\d]+|[^\w\s]")


@dataclass(frozen=True)
class Assignment:
    """Family names per group (sorted); the groups are disjoint and cover the families."""

    seed: int
    both: tuple[str, ...]
    diverse_only: tuple[str, ...]
    unseen: tuple[str, ...]

    @property
    def deep(self) -> tuple[str, ...]:
        """Families the Deep corpus draws from."""
        return self.both

    @property
    def diverse(self) -> tuple[str, ...]:
        """Families the Diverse corpus draws from: every training family."""
        return tuple(sorted(self.both + self.diverse_only))

    def group_of(self, family: str) -> str:
        for group in GROUPS:
            if family in getattr(self, group):
                return group
        raise KeyError(f"family {family!r} is in no group of this assignment")

    def as_dict(self) -> dict[str, list[str]]:
        return {g: list(getattr(self, g)) for g in GROUPS}


_CACHE: dict[tuple, Assignment] = {}


def training_families(fams: dict[str, Family] | None = None) -> list[Family]:
    return [f for f in (fams or families()).values() if not f.heldout]


def heldout_families(fams: dict[str, Family] | None = None) -> list[Family]:
    return [f for f in (fams or families()).values() if f.heldout]


def reserved_keys(fams: list[Family], seed: int) -> dict[str, list[dict]]:
    """family -> its reserved held-out parameter dicts (in draw order)."""
    return {fam.name: list(islice(draw_keys(fam, seed, "heldout"), RESERVE_POOL)) for fam in fams}


def excluded_keys(fams: list[Family], seed: int) -> frozenset[str]:
    """Keys no corpus of `seed` may use: the reserve pool of every family in `fams`."""
    byfam = {f.name: f for f in fams}
    return frozenset(byfam[n].key(p) for n, ps in reserved_keys(fams, seed).items() for p in ps)


def deep_family_count(n_training: int) -> int:
    return max(1, round(n_training / DEEP_SHARE))


def has_capacity(fam: Family, seed: int, need: int, exclude: frozenset[str]) -> bool:
    """Whether the family's "deep" stream yields `need` distinct, unreserved problems before
    `draw_keys` gives up on an exhausted parameter space."""
    return sum(1 for _ in islice(draw_keys(fam, seed, "deep", exclude), need)) == need


def assign_families(seed: int, fams: dict[str, Family] | None = None,
                    deep_problems: int = DEEP_PROBLEMS) -> Assignment:
    """The seed's family groups: a seeded choice of `deep_family_count` Deep families among the
    training families with room for their share of `deep_problems`; the rest of the training
    families are Diverse-only; the held-out families are unseen. Same seed, same families ->
    same assignment, whichever output is being built."""
    fams = fams if fams is not None else families()
    train = sorted(training_families(fams), key=lambda f: f.name)
    unseen = tuple(sorted(f.name for f in heldout_families(fams)))
    if not train:
        raise ValueError("no training family (every family is marked heldout)")
    n_deep = deep_family_count(len(train))
    need = math.ceil(math.ceil(deep_problems / n_deep) * CAPACITY_SLACK)
    cache_key = (seed, deep_problems, tuple((f.name, id(f)) for f in train), unseen)
    if cache_key in _CACHE:
        return _CACHE[cache_key]
    exclude = excluded_keys(train, seed)
    eligible = [f.name for f in train if has_capacity(f, seed, need, exclude)]
    if len(eligible) < n_deep:
        raise ValueError(f"only {len(eligible)} of {len(train)} training families hold {need} distinct problems; "
                         f"Deep needs {n_deep} such families for {deep_problems} problems")
    weight = {f.name: row_weight(f, seed) for f in train}
    both = balanced_choice(eligible, n_deep, weight, seed)
    rest = tuple(f.name for f in train if f.name not in both)
    _CACHE[cache_key] = Assignment(seed=seed, both=both, diverse_only=rest, unseen=unseen)
    return _CACHE[cache_key]


def row_weight(fam: Family, seed: int) -> float:
    """Estimated tokens of one training row of `fam` (statement + one reasoning-and-code answer),
    averaged over `PROBES` problems of a probe stream that no output uses."""
    total = 0.0
    probes = list(islice(draw_keys(fam, seed, "probe"), PROBES))
    for params in probes:
        prob = instantiate(fam, params, seed)
        answers = [len(_TOKENS.findall(fenced_output(s.reasoning, s.code))) for s in prob.solutions]
        total += len(_TOKENS.findall(prob.statement)) + sum(answers) / len(answers)
    return total / max(1, len(probes))


def balanced_choice(eligible: list[str], k: int, weight: dict[str, float], seed: int) -> tuple[str, ...]:
    """`k` of `eligible`: the first seeded draw whose mean weight is within `BALANCE_TOLERANCE`
    of the mean over all of `weight` (Diverse's families), else the closest of the draws."""
    target = sum(weight.values()) / len(weight)
    rng = random.Random(f"{seed}:assignment")
    best: tuple[float, tuple[str, ...]] | None = None
    for _ in range(BALANCE_DRAWS):
        pick = tuple(sorted(rng.sample(sorted(eligible), k)))
        off = abs(sum(weight[n] for n in pick) / k / target - 1)
        if off <= BALANCE_TOLERANCE:
            return pick
        if best is None or off < best[0]:
            best = (off, pick)
    return best[1]


def spread(total: int, names: tuple[str, ...], seed: int, group: str) -> dict[str, int]:
    """`total` problems over `names` as evenly as possible; which families take one more is a
    seeded choice (so no family is favoured by its name)."""
    if not names:
        return {}
    base, extra = divmod(total, len(names))
    lucky = set(random.Random(f"{seed}:spread:{group}").sample(sorted(names), extra))
    return {n: base + (n in lucky) for n in names}
