"""Analysis of a results store: pure functions from tables to frames, tables and charts.

Modules: `study` (the only reader of files: `load_study`), `scores` (Pass@1 per run, checkpoint
roles, headline), `checkpoints` (Pass@1 vs step over losses), `problems` (per-problem matrix,
failure taxonomy), `significance` (paired McNemar), `sensitivity` (grader/extraction and
public-vs-all tests), `cases` (automatic case studies), `context` (what was run, corpus card,
the original study's reported numbers), `summary` (wiring + prose), `render` (the report).

Never imports torch or the training stack; the library (`codegen_study`) never imports this.
"""
