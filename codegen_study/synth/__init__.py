"""The synthetic problem world: task families -> verified Deep / Diverse corpora + held-out benchmark.

Modules: `family` (the family contract and registry), `families/` (the families themselves),
`world` (family + params + seed -> problem with tests and solutions), `verify` (sandboxed
verification), `assignment` (which families Deep, Diverse and each held-out group use),
`corpus` (the three outputs of one seed), `contamination` (n-gram overlap with the
evaluation problems), `stats` (the corpus card), `cli` (`codegen-study synth`).
Importing this package imports nothing heavy and registers no family (`family.families()` does).
"""
