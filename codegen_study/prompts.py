"""Benchmark problems -> the prompt text and token ids a model sees at evaluation.

Why here and not in `benchmarks`: the prompt must be exactly the conversation the model was
trained on (`datasets.chat_messages`: same system prompt, same chat template, generation
prompt appended), plus an instruction saying what kind of answer is graded. The wording
follows LiveCodeBench's own code-generation prompt (read stdin, write stdout, one fenced
Python block), so the `lcb` extraction policy finds the code where it looks for it.

* stdin problems (LiveCodeBench AtCoder/Codeforces, the synthetic held-out set): statement,
  then the instruction to write a complete program in one ```python block.
* call-based problems (LeetCode-style, with starter code): statement, the starter code, and
  the instruction to complete it.
* HumanEval: the function prompt (signature + docstring) in a fenced block and the
  instruction to complete the function; the humaneval grader accepts either the whole
  function or a body that continues the prompt.

With `prompt_format = "seed"` (the original plain-text recipe) the prompt is the seed's text
up to its `# Solution:` separator and the instruction is not added: the model was trained to
continue that text with code.

Covers: prompt text and ids. Does not cover: generation or grading.
"""

from __future__ import annotations

from codegen_study.benchmarks import Problem

STDIN_INSTRUCTION = (
    "Read the inputs from standard input, solve the problem and write the answer to standard "
    "output (do not just test on the sample inputs). Write a complete Python program and enclose "
    "it in a single ```python code block."
)
STARTER_INSTRUCTION = (
    "Use the following starter code to write the solution and enclose your code in a single "
    "```python code block."
)
HUMANEVAL_INSTRUCTION = (
    "Complete the following Python function. Write the whole function, including its signature, "
    "in a single ```python code block."
)


def user_message(problem: Problem) -> str:
    """The user turn for `problem` (statement + what kind of answer is expected)."""
    if problem.kind == "humaneval":
        return f"{HUMANEVAL_INSTRUCTION}\n\n```python\n{problem.statement.rstrip()}\n```"
    if problem.starter_code.strip():
        return (f"{problem.statement.rstrip()}\n\n{STARTER_INSTRUCTION}\n\n"
                f"```python\n{problem.starter_code.rstrip()}\n```")
    return f"{problem.statement.rstrip()}\n\n{STDIN_INSTRUCTION}"


def prompt_text(tokenizer, problem: Problem, *, prompt_format: str = "chat", system_prompt: str | None = None) -> str:
    """The full prompt string, ending where the model's answer starts."""
    from codegen_study.datasets import SEED_SEPARATOR, SYSTEM_PROMPT, chat_messages

    system = SYSTEM_PROMPT if system_prompt is None else system_prompt
    if prompt_format == "seed":
        return f"{system}\n\n{problem.statement}{SEED_SEPARATOR}"
    if prompt_format != "chat":
        raise ValueError(f"unknown prompt_format {prompt_format!r} (chat or seed)")
    messages = chat_messages(user_message(problem), system=system)
    return tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)


def prompt_ids(tokenizer, problem: Problem, **kwargs) -> list[int]:
    """Token ids of `prompt_text`, tokenized the way training tokenized its prompts."""
    return list(tokenizer(prompt_text(tokenizer, problem, **kwargs), add_special_tokens=False)["input_ids"])


def stop_ids(tokenizer, model=None) -> list[int]:
    """Tokens that end an answer: the chat template's end of turn, eos, and the model's eos list."""
    from codegen_study.datasets import end_of_turn_id

    ids = [end_of_turn_id(tokenizer), tokenizer.eos_token_id]
    gen = getattr(model, "generation_config", None)
    extra = getattr(gen, "eos_token_id", None)
    ids += [extra] if isinstance(extra, int) else list(extra or [])
    out: list[int] = []
    for i in ids:
        if i is not None and i not in out and i != tokenizer.pad_token_id:
            out.append(int(i))
    return out
