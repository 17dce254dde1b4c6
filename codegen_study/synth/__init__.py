"""The synthetic problem world: task families -> four verified training arms (deep / diverse shape x
narrow / wide coverage), a held-out benchmark, a shared validation set and a one-shot example.

Modules: `family` (the family contract and registry), `families/` (the families themselves),
`world` (family + params + seed -> problem with tests and solutions), `verify` (sandboxed
verification), `assignment` (which families each arm, each held-out group and the one-shot example
use), `corpus` (the outputs of one seed), `contamination` (n-gram overlap with the evaluation
problems), `stats` (the corpus card), `cli` (`codegen-study synth`).
Importing this package imports nothing heavy and registers no family (`family.families()` does).
"""
