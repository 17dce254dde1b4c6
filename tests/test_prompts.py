"""prompts: one conversation for training and evaluation, and the prompt styles that differ from it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("transformers")

from tiny_lm import make_tokenizer  # noqa: E402

from codegen_study.problems import Problem, load_humaneval, load_lcb  # noqa: E402
from codegen_study.prompts import (  # noqa: E402
    STDIN_INSTRUCTION,
    SYSTEM_PROMPT,
    prompt_ids,
    prompt_text,
    user_message,
)
from codegen_study.training_data import IGNORE, DataConfig, encode_example  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def tok():
    return make_tokenizer()


def corpus_rows() -> list[dict]:
    return [json.loads(line) for line in (FIXTURES / "synth_deep.jsonl").read_text().splitlines()[:5]]


def as_problem(row: dict) -> Problem:
    """The row's statement as a benchmark problem (how the held-out benchmark carries statements)."""
    return Problem(id=row["problem_id"], title=row.get("title", ""), statement=row["input"], platform="synthetic",
                   date="", difficulty="easy")


def prompt_part(example: dict) -> list[int]:
    n = next(i for i, label in enumerate(example["labels"]) if label != IGNORE)
    return example["input_ids"][:n]


@pytest.mark.parametrize("prompt_format", ["chat", "seed"])
def test_train_style_evaluation_prompt_is_the_prompt_part_of_the_training_example(tok, prompt_format):
    cfg = DataConfig(path="x.jsonl", max_length=100_000, prompt_format=prompt_format)
    for row in corpus_rows():
        example = encode_example(tok, row, cfg)
        ids = prompt_ids(tok, as_problem(row), style="train", prompt_format=prompt_format)
        if prompt_format == "chat":
            assert ids == prompt_part(example)
        else:  # seed format trains on every token: the prompt is the example's prefix
            assert example["input_ids"][: len(ids)] == ids and len(example["input_ids"]) > len(ids)


def test_the_lcb_style_adds_only_the_instruction(tok):
    problem = load_lcb(FIXTURES / "gen_tiny_lcb.jsonl")[0]
    train = prompt_text(tok, user_message(problem, "train"))
    lcb = prompt_text(tok, user_message(problem, "lcb"))
    assert train == (f"<|im_start|>system\n{SYSTEM_PROMPT}<|im_end|>\n<|im_start|>user\n"
                     f"{problem.statement.rstrip()}<|im_end|>\n<|im_start|>assistant\n")
    assert lcb == train.replace(f"{problem.statement.rstrip()}<|im_end|>",
                                f"{problem.statement.rstrip()}\n\n{STDIN_INSTRUCTION}<|im_end|>")
    assert prompt_ids(tok, problem, style="lcb") != prompt_ids(tok, problem, style="train")


def test_seed_format_is_the_plain_text_recipe(tok):
    problem = load_lcb(FIXTURES / "gen_tiny_lcb.jsonl")[0]
    text = prompt_text(tok, user_message(problem, "train"), prompt_format="seed")
    assert text == f"{SYSTEM_PROMPT}\n\n{problem.statement.rstrip()}\n# Solution:\n"


def test_humaneval_shows_the_function_in_both_styles():
    problem = load_humaneval()[0]
    for style in ("train", "lcb"):
        msg = user_message(problem, style)
        assert problem.statement.rstrip() in msg and "```python" in msg
    assert user_message(problem, "lcb").startswith("Complete the following Python function")


def test_unknown_style_is_rejected():
    problem = load_humaneval()[0]
    with pytest.raises(ValueError, match="unknown prompt style 'chatty'"):
        user_message(problem, "chatty")
