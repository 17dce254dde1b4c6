"""Which families each output of a seed may use: shape (solutions per problem) crossed with coverage.

The original study contrasts few distinct tasks (Deep: 1,000 problems x 5 solutions) with many
(Diverse: 5,000 problems x 1 solution), which mixes two factors: the *shape* of the corpus
(solutions per problem) and its *coverage* (which task families it trains). Four arms of equal
size (5,000 rows) cross them (`ARMS`):

* ``deep-narrow``: 1,000 x 5 from the narrow families (the original Deep);
* ``deep-wide``: 1,000 x 5 from every training family (the analogue of CodeGen-Deep-5K);
* ``diverse-wide``: 5,000 x 1 from every training family (the original Diverse);
* ``diverse-narrow``: 5,000 x 1 from the narrow families only.

In the synthetic world a task is a family, so a seed splits the registered families into groups
named by which arms train on them (`core.vocabulary.HELDOUT_GROUPS`):

* ``narrow``: about a fifth of the training families, chosen from the seed -- every arm trains
  on them;
* ``wide_only``: the other training families -- only the wide arms train on them;
* ``unseen``: the families marked ``heldout`` -- no arm trains on them -- except one:
* the ``shots`` family: the held-out family with the shortest rows, reserved for the solved
  example of the one-shot format control; neither any arm nor the benchmark uses it, so the
  example cannot leak a benchmark problem or family.

The held-out benchmark takes problems from the three groups and labels each with its group.

Capacity: a narrow family must hold, in the stream each narrow arm draws from, its share of that
arm plus slack for verification drops: ``deep-narrow`` needs 1,000 / n_narrow problems from the
"deep" stream, ``diverse-narrow`` 5,000 / n_narrow from the "diverse" stream (500 per family at 10
narrow families, 625 with the slack). Families whose parameter space runs dry first are never
narrow -- which rules out some families the two-arm design could pick (e.g. ``swap_case``, about
390 distinct problems).

Equal size means equal rows *and* tokens: a Deep arm repeats each statement five times, so a
narrow set with long statements would make the narrow arms the bigger corpora. Among seeded draws
of narrow sets the first whose estimated row length is within `BALANCE_TOLERANCE` of the mean over
all training families is taken (the closest, if none is). The estimate (`estimate_tokens`) counts
digits, letter runs and punctuation marks -- within a few per cent of SmolLM2 token counts per
family, and no tokenizer is needed to build a corpus.

Reserved keys, excluded from every arm's streams, so each output can be built alone and all agree:
the first `RESERVE_POOL` keys of each training family's "heldout" stream (the benchmark's
``narrow`` / ``wide_only`` problems come only from them) and the first `VALID_POOL` keys of its
"valid_shared" stream (the shared validation set, one loss every arm is measured on).
Does not cover building (corpus.py).
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from itertools import islice

from codegen_study.core.vocabulary import HELDOUT_GROUPS
from codegen_study.synth.family import Family, families
from codegen_study.synth.world import draw_keys, fenced_output, instantiate

#: arm -> (shape, coverage); shape names the stream an arm draws from and its size (`SHAPES`)
ARMS = {"deep-narrow": ("deep", "narrow"), "deep-wide": ("deep", "wide"),
        "diverse-wide": ("diverse", "wide"), "diverse-narrow": ("diverse", "narrow")}
SHAPES = {"deep": (1000, 5), "diverse": (5000, 1)}  # shape -> (problems, solutions per problem)
NARROW_SHARE = 5  # one training family in five is narrow (the original's 1,000 vs 5,000 distinct problems)
CAPACITY_SLACK = 1.25  # extra distinct problems a narrow family must hold (verification drops)
RESERVE_POOL = 8  # reserved held-out keys per training family (>= benchmark problems per family)
VALID_POOL = 6  # reserved shared-validation keys per training family
BALANCE_TOLERANCE = 0.005  # |narrow families' estimated row length / all training families' - 1|
BALANCE_DRAWS = 400  # seeded narrow family sets tried before taking the closest
PROBES = 30  # problems per family behind its row-length estimate (6 left the arms 4% apart)
_TOKENS = re.compile(r"\d|[^\W\d]+|[^\w\s]")


@dataclass(frozen=True)
class Assignment:
    """Family names per group (sorted); the groups and `shots` are disjoint and cover the families."""

    seed: int
    narrow: tuple[str, ...]
    wide_only: tuple[str, ...]
    unseen: tuple[str, ...]
    shots: tuple[str, ...] = field(default=())

    @property
    def wide(self) -> tuple[str, ...]:
        """Families the wide arms draw from: every training family."""
        return tuple(sorted(self.narrow + self.wide_only))

    def families_of(self, arm: str) -> tuple[str, ...]:
        """Families arm `arm` (a key of `ARMS`) draws from."""
        return self.narrow if ARMS[arm][1] == "narrow" else self.wide

    def group_of(self, family: str) -> str:
        for group in (*HELDOUT_GROUPS, "shots"):
            if family in getattr(self, group):
                return group
        raise KeyError(f"family {family!r} is in no group of this assignment")

    def as_dict(self) -> dict[str, list[str]]:
        return {g: list(getattr(self, g)) for g in (*HELDOUT_GROUPS, "shots")}


_CACHE: dict[tuple, Assignment] = {}


def training_families(fams: dict[str, Family] | None = None) -> list[Family]:
    return [f for f in (fams or families()).values() if not f.heldout]


def heldout_families(fams: dict[str, Family] | None = None) -> list[Family]:
    return [f for f in (fams or families()).values() if f.heldout]


def reserved_keys(fams: list[Family], seed: int) -> dict[str, list[dict]]:
    """family -> its reserved held-out parameter dicts (in draw order)."""
    return {fam.name: list(islice(draw_keys(fam, seed, "heldout"), RESERVE_POOL)) for fam in fams}


def valid_keys(fams: list[Family], seed: int) -> dict[str, list[dict]]:
    """family -> its reserved shared-validation parameter dicts (in draw order; never a held-out key)."""
    out = {}
    for fam, held in zip(fams, reserved_keys(fams, seed).values()):
        taken = frozenset(fam.key(p) for p in held)
        out[fam.name] = list(islice(draw_keys(fam, seed, "valid_shared", taken), VALID_POOL))
    return out


def excluded_keys(fams: list[Family], seed: int) -> frozenset[str]:
    """Keys no arm of `seed` may use: the held-out and shared-validation reserves of every family in `fams`."""
    byfam = {f.name: f for f in fams}
    pools = (reserved_keys(fams, seed), valid_keys(fams, seed))
    return frozenset(byfam[n].key(p) for pool in pools for n, ps in pool.items() for p in ps)


def narrow_family_count(n_training: int) -> int:
    return max(1, round(n_training / NARROW_SHARE))


def narrow_needs(n_narrow: int) -> dict[str, int]:
    """stream -> distinct problems a narrow family must hold in it (its share of that shape's arm, with slack)."""
    return {shape: math.ceil(math.ceil(problems / n_narrow) * CAPACITY_SLACK)
            for shape, (problems, _) in SHAPES.items()}


def has_capacity(fam: Family, seed: int, needs: dict[str, int], exclude: frozenset[str]) -> bool:
    """Whether each stream named in `needs` yields that many distinct, unreserved problems of the family
    before `draw_keys` gives up on an exhausted parameter space."""
    return all(sum(1 for _ in islice(draw_keys(fam, seed, stream, exclude), need)) == need
               for stream, need in needs.items())


def assign_families(seed: int, fams: dict[str, Family] | None = None) -> Assignment:
    """The seed's family groups: a seeded, length-balanced choice of `narrow_family_count` narrow
    families among the training families with room for their share of both narrow arms; the rest of
    the training families are wide-only; the held-out families are unseen, but for the shots family.
    Same seed, same families -> same assignment, whichever output is being built."""
    fams = fams if fams is not None else families()
    train = sorted(training_families(fams), key=lambda f: f.name)
    held = sorted(heldout_families(fams), key=lambda f: f.name)
    if not train:
        raise ValueError("no training family (every family is marked heldout)")
    n_narrow = narrow_family_count(len(train))
    needs = narrow_needs(n_narrow)
    cache_key = (seed, tuple((f.name, id(f)) for f in train + held))
    if cache_key in _CACHE:
        return _CACHE[cache_key]
    exclude = excluded_keys(train, seed)
    eligible = [f.name for f in train if has_capacity(f, seed, needs, exclude)]
    if len(eligible) < n_narrow:
        raise ValueError(f"only {len(eligible)} of {len(train)} training families hold "
                         f"{max(needs.values())} distinct problems; the narrow arms need {n_narrow} such families")
    weight = {f.name: row_weight(f, seed) for f in train}
    narrow = balanced_choice(eligible, n_narrow, weight, seed)
    rest = tuple(f.name for f in train if f.name not in narrow)
    shots = shots_family(held, seed)
    unseen = tuple(f.name for f in held if f.name not in shots)
    _CACHE[cache_key] = Assignment(seed=seed, narrow=narrow, wide_only=rest, unseen=unseen, shots=shots)
    return _CACHE[cache_key]


def shots_family(held: list[Family], seed: int) -> tuple[str, ...]:
    """The held-out family reserved for the one-shot example: the one with the shortest estimated
    rows (the example lengthens every evaluation prompt), or none when fewer than two held-out
    families exist (the benchmark's unseen group keeps at least one)."""
    if len(held) < 2:
        return ()
    return (min(held, key=lambda f: (row_weight(f, seed), f.name)).name,)


def estimate_tokens(text: str) -> int:
    """Tokens of `text` as the balance check counts them: digits, letter runs, punctuation marks."""
    return len(_TOKENS.findall(text))


def row_weight(fam: Family, seed: int) -> float:
    """Estimated tokens of one training row of `fam` (statement + one reasoning-and-code answer),
    averaged over `PROBES` problems of a probe stream that no output uses."""
    total = 0.0
    probes = list(islice(draw_keys(fam, seed, "probe"), PROBES))
    for params in probes:
        prob = instantiate(fam, params, seed)
        answers = [estimate_tokens(fenced_output(s.reasoning, s.code)) for s in prob.solutions]
        total += estimate_tokens(prob.statement) + sum(answers) / len(answers)
    return total / max(1, len(probes))


def balanced_choice(eligible: list[str], k: int, weight: dict[str, float], seed: int) -> tuple[str, ...]:
    """`k` of `eligible`: the first seeded draw whose mean weight is within `BALANCE_TOLERANCE`
    of the mean over all of `weight` (the wide arms' families), else the closest of the draws."""
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
