"""The problems a model is asked to solve: one `Problem` type, one module per benchmark kind
(`livecodebench`: LiveCodeBench rows and the held-out set; `humaneval`) with its loader, wording,
graders and harness, their encoded private tests, the named benchmark sources and their kinds, and
the one prompt conversation that training examples and evaluation prompts are both built from."""
