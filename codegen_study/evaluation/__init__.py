"""The `evaluate` stage: the base and every checkpoint of a run -> completions (one engine, per-row
adapters) -> scored samples in the store. Reads training's checkpoints; CLI: `evaluation.cli`."""
