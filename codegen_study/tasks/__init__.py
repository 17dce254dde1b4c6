"""The problems a model is asked to solve: benchmark loading (LiveCodeBench, HumanEval, the held-out
set), their encoded private tests, the named benchmark sources, and the one prompt conversation that
training examples and evaluation prompts are both built from."""
