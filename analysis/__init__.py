"""Analysis of a results store: pure functions from tables to frames, tables and charts.

Modules: `study` (the only reader of files: `load_study`), `scores` (Pass@1 per run, checkpoint
roles, per-model headline), `arms` (per arm over training seeds, per group, family and contest
date), `significance` (paired McNemar and bootstrap with Holm, power), `answer` (the generated
answer), `checkpoints` (Pass@1 vs step with the seed band), `problems` (per-problem matrix),
`errors` (exception taxonomy), `probe` (a training probe beside a capped study), `sensitivity`
(prompt, grader/extraction, public-vs-all tests), `cases` (automatic case studies), `context` (what
was run, cost, prompts, corpus card, the original study's reported numbers), `design` (arm -> shape
and coverage, the contrasts, the 2 x 2 headline), `family_tests` (paired tests over task families,
Holm, detectable differences), `humaneval_breakdown` (what the adapters' HumanEval answers do
instead), `blocks` (Markdown blocks for Quarto), `summary` (wiring + prose), `render` (the report
without Quarto). Never imports torch or the training stack; the library (`codegen_study`) never
imports this.
"""
