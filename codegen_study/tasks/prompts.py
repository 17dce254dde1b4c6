"""The conversation a model sees, built once for training and for evaluation.

Why one module: a prompt that differs from the training conversation by a single sentence can
erase most of what an adapter learned, and nothing downstream would show why. So training
examples (`training_data.encode_example`) and evaluation prompts (`generate`) both call `encode`
here: same system prompt, same user message, same chat template, same generation prompt, same
tokenization. Under the `train` style the evaluation prompt ids are, by construction, the prompt
part of a training example for the same statement (tests/tasks/test_prompts.py checks it).

Prompt styles (a recorded dimension of every evaluation, the `prompt` column of the store):

* `train` -- the user message is the problem statement alone, exactly as training rows carry it
  (for problems with starter code, the starter code follows in a fenced block; HumanEval's user
  message is its function prompt in a fenced block).
* `lcb` -- LiveCodeBench's own code-generation wording: the statement, then the instruction to
  read stdin and write stdout in one ```python block, or to complete the starter code, or, for
  HumanEval, to complete the function.

Each benchmark kind words its own user message, instructions included (`livecodebench`,
`humaneval`); this module asks the problem's kind for it.

Prompt formats (a property of how a model was trained, `[data] prompt_format`):

* `chat` -- system + user (+ assistant) rendered with the tokenizer's chat template; the prompt
  ends with the template's generation prompt. The boundary between prompt and answer is a token
  position: the prompt is rendered with `add_generation_prompt=True` and tokenized on its own,
  the answer is the rest of the full conversation, tokenized on its own.
* `seed` -- the original study's plain text: system text, blank line, user message,
  `"\\n# Solution:\\n"`; the answer follows, then eos.

Shots (the one-shot format control): `shots` are (user message, answer) pairs shown before the
real question -- earlier user/assistant turns of the same conversation (chat) or earlier
"user message + separator + answer" blocks, each followed by a blank line (seed). A `Prompt`
holds (statement, answer) pairs, as `load_shots` reads them from a corpus-format file, and
`prompt_ids` gives each statement the question's prompt style. Without shots every prompt is what
it was without them.

An evaluation prompt travels as one frozen `Prompt` (style, format, system prompt, shots) from the
configs that set it to `prompt_ids`.

Covers: user messages, conversations, prompt and answer token ids, stop tokens, solved examples.
Does not cover generation (`engine`) or grading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codegen_study.core.vocabulary import PROMPT_FORMATS
from codegen_study.tasks.benchmark_kind import check_style
from codegen_study.tasks.livecodebench import statement_message
from codegen_study.tasks.sources import kind_of

if TYPE_CHECKING:
    from codegen_study.tasks.problems import Problem

SYSTEM_PROMPT = "You are an expert Python programmer. Please read the problem carefully before writing any Python code."
SEED_SEPARATOR = "\n# Solution:\n"


def user_message(problem: Problem, style: str = "train") -> str:
    """The user turn for `problem` under prompt style `style`: its benchmark kind words it."""
    return kind_of(problem).user_message(problem, style)


Shots = Sequence[tuple[str, str]]


def chat_messages(user: str, target: str | None = None, system: str = SYSTEM_PROMPT,
                  shots: Shots = ()) -> list[dict[str, str]]:
    """The conversation: always our system prompt (templates would otherwise insert their own),
    then the shots as earlier turns, then the question."""
    messages = [{"role": "system", "content": system}]
    for shot_user, shot_answer in shots:
        messages += [{"role": "user", "content": shot_user}, {"role": "assistant", "content": shot_answer}]
    messages.append({"role": "user", "content": user})
    if target is not None:
        messages.append({"role": "assistant", "content": target})
    return messages


def end_of_turn_id(tokenizer) -> int:
    """Id of the token that closes an assistant turn in the chat template (eos if none is known)."""
    template = getattr(tokenizer, "chat_template", None) or ""
    for token in ("<|im_end|>", "<|eot_id|>", "<end_of_turn>", "<|end|>"):
        if token in template:
            tid = tokenizer.convert_tokens_to_ids(token)
            if tid is not None and tid != tokenizer.unk_token_id:
                return tid
    return tokenizer.eos_token_id


def _ids(tokenizer, text: str) -> list[int]:
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def prompt_text(tokenizer, user: str, *, system: str = SYSTEM_PROMPT, prompt_format: str = "chat",
                shots: Shots = ()) -> str:
    """The full prompt string for user message `user` (after `shots`), ending where the model's answer starts."""
    if prompt_format not in PROMPT_FORMATS:
        raise ValueError(f"unknown prompt_format {prompt_format!r} ({' or '.join(PROMPT_FORMATS)})")
    if prompt_format == "seed":
        solved = "".join(f"{shot_user}{SEED_SEPARATOR}{shot_answer}\n\n" for shot_user, shot_answer in shots)
        return f"{system}\n\n{solved}{user}{SEED_SEPARATOR}"
    return tokenizer.apply_chat_template(chat_messages(user, system=system, shots=shots), add_generation_prompt=True,
                                         tokenize=False)


def encode(tokenizer, user: str, target: str | None = None, *, system: str = SYSTEM_PROMPT,
           prompt_format: str = "chat", shots: Shots = ()) -> tuple[list[int], list[int]]:
    """(prompt ids, answer ids) of one conversation; answer ids are empty without `target`.

    The answer ends with the end-of-turn token (chat) or eos (seed), so a model learns to stop.
    """
    prompt = prompt_text(tokenizer, user, system=system, prompt_format=prompt_format, shots=shots)
    prompt_ids = _ids(tokenizer, prompt)
    if target is None:
        return prompt_ids, []
    if prompt_format == "seed":
        return prompt_ids, _ids(tokenizer, target) + [tokenizer.eos_token_id]
    full = tokenizer.apply_chat_template(chat_messages(user, target, system, shots), tokenize=False)
    if not full.startswith(prompt):
        raise ValueError("the tokenizer's chat template does not render the prompt as a prefix of the "
                         "full conversation; use prompt_format = \"seed\"")
    answer = _ids(tokenizer, full[len(prompt):])
    eot = end_of_turn_id(tokenizer)
    if eot in answer:  # drop what follows the end of turn (a newline): never generated
        answer = answer[: len(answer) - answer[::-1].index(eot)]
    return prompt_ids, answer


@dataclass(frozen=True)
class Prompt:
    """Everything an evaluation prompt holds besides the problem: its style, format, system prompt
    and shots ((statement, answer) pairs; each statement is worded in the prompt's style).

    Why one value: these come from three places (the style from `[eval] prompts`, the format and
    system prompt from the `[data]` table the model was trained with, the shots from a control's
    file) and pass through several calls before the prompt is built; passed whole, none of them can
    be dropped or defaulted on the way. Checked when made, so a bad `[data]` value stops a run
    before the model loads."""

    style: str = "train"
    format: str = "chat"
    system: str = SYSTEM_PROMPT
    shots: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        check_style(self.style)
        if self.format not in PROMPT_FORMATS:
            raise ValueError(f"unknown prompt_format {self.format!r} ({' or '.join(PROMPT_FORMATS)})")
        if not isinstance(self.system, str):
            raise ValueError(f"system_prompt must be a string, got {self.system!r}")
        shots = tuple(tuple(shot) for shot in self.shots)
        if not all(len(shot) == 2 and all(isinstance(part, str) for part in shot) for shot in shots):
            raise ValueError("shots must be (statement, answer) pairs of strings")
        object.__setattr__(self, "shots", shots)  # a list given is kept as a tuple: the value stays frozen

    @classmethod
    def from_data(cls, data: dict[str, Any], where: str = "[data]") -> Prompt:
        """The format and system prompt a model was trained with, from a config's `[data]` table
        (`prompt_format`, `system_prompt`; the defaults where absent)."""
        from codegen_study.core.errors import UserError

        try:
            return cls(format=data.get("prompt_format", "chat"), system=data.get("system_prompt", SYSTEM_PROMPT))
        except ValueError as exc:
            raise UserError(f"{where}: {exc}") from None


def prompt_ids(tokenizer, problem: Problem, prompt: Prompt = Prompt()) -> list[int]:
    """Evaluation prompt ids for `problem` under `prompt`: `encode` without an answer, each shot's
    statement worded in the prompt's style."""
    solved = [(statement_message(statement, prompt.style), answer) for statement, answer in prompt.shots]
    return encode(tokenizer, user_message(problem, prompt.style), system=prompt.system, prompt_format=prompt.format,
                  shots=solved)[0]


def load_shots(path: str | Path) -> tuple[tuple[str, str], ...]:
    """(statement, answer) pairs from a corpus-format JSONL file (`input`, `output` per row, as
    `codegen-study synth --kind shots` writes them), in file order."""
    from codegen_study.core.errors import UserError
    from codegen_study.core.files import iter_jsonl

    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such shots file")
    shots = []
    for lineno, row in iter_jsonl(path, "shots"):
        if not isinstance(row, dict):
            raise UserError(f"{path}:{lineno}: expected a JSON object with 'input' and 'output'")
        for key in ("input", "output"):
            if not isinstance(row.get(key), str) or not row[key].strip():
                raise UserError(f"{path}:{lineno}: a shot needs a non-empty string {key!r}")
        shots.append((row["input"], row["output"]))
    if not shots:
        raise UserError(f"{path}: no shots (one JSON object per line with 'input' and 'output')")
    return tuple(shots)


def stop_ids(tokenizer, model=None) -> list[int]:
    """Tokens that end an answer: the chat template's end of turn, eos, and the model's eos list."""
    ids = [end_of_turn_id(tokenizer), tokenizer.eos_token_id]
    gen = getattr(model, "generation_config", None)
    extra = getattr(gen, "eos_token_id", None)
    ids += [extra] if isinstance(extra, int) else list(extra or [])
    out: list[int] = []
    for i in ids:
        if i is not None and i not in out and i != tokenizer.pad_token_id:
            out.append(int(i))
    return out
