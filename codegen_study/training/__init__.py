"""The `train` stage: CodeGen rows -> chat examples -> LoRA adapters, one run at a time (`train`) or
several on one frozen base (`cohort`), resumable, checkpoints written atomically. CLI: `training.cli`."""
