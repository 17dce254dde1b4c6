"""prompts: one conversation for training and evaluation, the prompt styles that differ from it, and
solved examples (shots) shown before the question."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("transformers")

from tiny_lm import make_tokenizer  # noqa: E402

from codegen_study.core.errors import UserError  # noqa: E402
from codegen_study.tasks.humaneval import load_humaneval  # noqa: E402
from codegen_study.tasks.livecodebench import STDIN_INSTRUCTION, load_lcb  # noqa: E402
from codegen_study.tasks.problems import Problem  # noqa: E402
from codegen_study.tasks.prompts import (  # noqa: E402
    SEED_SEPARATOR,
    SYSTEM_PROMPT,
    Prompt,
    encode,
    load_shots,
    prompt_ids,
    prompt_text,
    statement_message,
    user_message,
)
from codegen_study.training.training_data import IGNORE, DataConfig, encode_example  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


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
        ids = prompt_ids(tok, as_problem(row), Prompt(style="train", format=prompt_format))
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
    assert prompt_ids(tok, problem, Prompt(style="lcb")) != prompt_ids(tok, problem, Prompt(style="train"))


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


SHOT = ("Print the sum of A and B.\n\nInput\n\nA B", "Add them.\n\n```python\na, b = map(int, input().split())\n"
        "print(a + b)\n```")


@pytest.mark.parametrize("prompt_format", ["chat", "seed"])
@pytest.mark.parametrize("style", ["train", "lcb"])
def test_a_shot_comes_before_the_question_and_the_prompt_still_ends_with_the_generation_prompt(
        tok, prompt_format, style):
    problem = as_problem(corpus_rows()[0])
    plain = prompt_ids(tok, problem, Prompt(style=style, format=prompt_format))
    ids = prompt_ids(tok, problem, Prompt(style=style, format=prompt_format, shots=[SHOT]))
    text = tok.decode(ids)
    shot_user = statement_message(SHOT[0], style)
    at_statement, at_answer = text.index(shot_user), text.index(SHOT[1])
    question = text.rindex(user_message(problem, style))
    assert at_statement < at_answer < question
    assert text.startswith(SYSTEM_PROMPT if prompt_format == "seed" else "<|im_start|>system\n" + SYSTEM_PROMPT)
    ending = tok.decode(plain[-6:])  # the last tokens of the question and the generation prompt
    assert text.endswith(ending) and len(ids) > len(plain) + 10
    if prompt_format == "chat":
        assert f"{shot_user}<|im_end|>\n<|im_start|>assistant\n{SHOT[1]}<|im_end|>\n<|im_start|>user\n" in text
        assert text.endswith("<|im_end|>\n<|im_start|>assistant\n")
    else:
        assert f"{shot_user}{SEED_SEPARATOR}{SHOT[1]}\n\n" in text and text.endswith(SEED_SEPARATOR)


def test_no_shots_changes_nothing_and_the_answer_follows_the_shots(tok):
    row = corpus_rows()[1]
    user = statement_message(row["input"], "train")
    assert encode(tok, user, row["output"], shots=()) == encode(tok, user, row["output"])
    prompt, answer = encode(tok, user, row["output"], shots=[SHOT])
    assert answer == encode(tok, user, row["output"])[1]  # the answer is tokenized alike after a shot
    assert prompt[-len(answer):] != answer and len(prompt) > len(encode(tok, user)[0])


def test_load_shots_reads_corpus_rows_and_names_file_and_line(tmp_path):
    good = tmp_path / "shots.jsonl"
    good.write_text(json.dumps({"id": "s", "input": SHOT[0], "output": SHOT[1]}) + "\n")
    assert load_shots(good) == (SHOT,)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"input": SHOT[0], "output": SHOT[1]}) + "\n" + json.dumps({"input": "x"}) + "\n")
    with pytest.raises(UserError, match=r"bad\.jsonl:2: .*'output'"):
        load_shots(bad)
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(UserError, match="empty.jsonl: no shots"):
        load_shots(tmp_path / "empty.jsonl")
    with pytest.raises(UserError, match="missing.jsonl: no such shots file"):
        load_shots(tmp_path / "missing.jsonl")


def test_eval_config_takes_a_shots_file():
    from codegen_study.evaluation.generate import EvalConfig

    assert EvalConfig().shots is None and EvalConfig(shots="corpora/shots.jsonl").shots == "corpora/shots.jsonl"
    with pytest.raises(ValueError, match="shots"):
        EvalConfig(shots="")


def test_a_prompt_is_one_frozen_checked_value():
    import dataclasses

    prompt = Prompt(style="lcb", shots=[list(SHOT)])
    assert prompt.shots == (SHOT,) and prompt.format == "chat" and prompt.system == SYSTEM_PROMPT
    with pytest.raises(dataclasses.FrozenInstanceError):
        prompt.style = "train"
    for bad in (dict(style="chatty"), dict(format="plain"), dict(system=None), dict(shots=[("only a statement",)])):
        with pytest.raises(ValueError):
            Prompt(**bad)
    assert Prompt.from_data({}) == Prompt()
    assert Prompt.from_data({"prompt_format": "seed", "system_prompt": "S"}) == Prompt(format="seed", system="S")
    with pytest.raises(UserError, match=r"run.toml\[data\]: unknown prompt_format 'plain'"):
        Prompt.from_data({"prompt_format": "plain"}, "run.toml[data]")
