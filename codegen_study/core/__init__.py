"""What every stage shares: one-line user errors, atomic files, TOML configs, the command line's flag
grammar, progress lines, the environment record of a stage, the torchrun process group, experiment
trackers and the CPU plan. Imports nothing else of the package, so any stage may use it."""
