"""The `score` and `export` stages: completions -> extracted programs -> sandboxed verdicts per test,
the reference harnesses, scoring runs written into the store, resumable journals, sample file layouts
and the statistics over verdicts. CLI: `scoring.cli` (score) and `scoring.export` (export)."""
