"""The task-family contract of the synthetic problem world.

A *family* is a kind of AtCoder-A/B-style task (e.g. "count vowels in a string") with
parameters that vary its constraints, names and formats. A *problem* is a family plus one
concrete parameter dict; its identity is `(family.name, canonical params)` -- two problems with
the same key are the same problem, whatever their tests. Every family carries:

* `statements`: several phrasings (string.Template, `$name` placeholders; `$samples` is filled
  with the AtCoder-layout sample blocks by the framework), each written in the AtCoder layout:
  story, `Input`, `Output`, `Constraints`.
* `sample_params(rng)`: a random parameter dict (JSON-able values only).
* `make_input(params, rng, edge)`: one stdin text; `edge` is 0..n_edges-1 for the edge cases
  (smallest / largest / degenerate inputs), None for a random input.
* `reference(params, stdin) -> str`: the oracle output (trusted Python run in-process).
* `solutions`: at least five `Solution`s -- genuinely different algorithms or idioms -- whose
  `code` is a string.Template of a complete stdin -> stdout Python 3 program, and whose
  `reasoning` is a short step-by-step explanation (also a Template over the params).

Templates use `$name`, never `{}`: program text is full of braces. Subclass `Family`, set the
class attributes and decorate it with `@register`; `heldout = True` keeps a family out of every
training arm (it appears only in the held-out benchmark's "unseen" group, or as the one-shot example).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from string import Template
from typing import Any, ClassVar

REGISTRY: dict[str, "Family"] = {}


@dataclass(frozen=True)
class Solution:
    name: str  # short idiom name, e.g. "loop", "builtin", "counter"
    reasoning: str  # Template: step-by-step explanation
    code: str  # Template: complete Python 3 program reading stdin


class Family:
    name: ClassVar[str]
    topic: ClassVar[str]  # strings, arithmetic, parity, counting, simulation, sorting, minmax,
    # dates, grids, prefix_sums, greedy, brute_force, sets_maps, ...
    title: ClassVar[str]  # Template: short problem title
    statements: ClassVar[tuple[str, ...]]
    solutions: ClassVar[tuple[Solution, ...]]
    n_edges: ClassVar[int] = 2
    heldout: ClassVar[bool] = False

    def sample_params(self, rng: random.Random) -> dict[str, Any]:
        raise NotImplementedError

    def make_input(self, params: dict[str, Any], rng: random.Random, edge: int | None) -> str:
        raise NotImplementedError

    def reference(self, params: dict[str, Any], stdin: str) -> str:
        raise NotImplementedError

    # -- helpers the framework uses ---------------------------------------------------
    def key(self, params: dict[str, Any]) -> str:
        """Identity of a problem: family + canonical JSON of its params."""
        return f"{self.name}:{json.dumps(params, sort_keys=True, separators=(',', ':'))}"

    @staticmethod
    def fill(template: str, params: dict[str, Any], **extra: Any) -> str:
        return Template(template).substitute({**params, **extra})


def register(cls: type[Family]) -> type[Family]:
    inst = cls()
    if inst.name in REGISTRY:
        raise ValueError(f"duplicate family name {inst.name!r}")
    if len(inst.solutions) < 5:
        raise ValueError(f"family {inst.name!r} needs >= 5 solutions, has {len(inst.solutions)}")
    if len({s.name for s in inst.solutions}) != len(inst.solutions):
        raise ValueError(f"family {inst.name!r} has duplicate solution names")
    REGISTRY[inst.name] = inst
    return cls


def families() -> dict[str, Family]:
    """All registered families (imports every module under synth/families)."""
    import importlib
    import pkgutil

    from codegen_study.synth import families as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"{pkg.__name__}.{mod.name}")
    return dict(sorted(REGISTRY.items()))
