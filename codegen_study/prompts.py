"""The conversation a model sees, built once for training and for evaluation.

Why one module: a prompt that differs from the training conversation by a single sentence can
erase most of what an adapter learned, and nothing downstream would show why. So training
examples (`datasets.encode_example`) and evaluation prompts (`generate`) both call `encode`
here: same system prompt, same user message, same chat template, same generation prompt, same
tokenization. Under the `train` style the evaluation prompt ids are, by construction, the prompt
part of a training example for the same statement (tests/test_prompts.py checks it).

Prompt styles (a recorded dimension of every evaluation, the `prompt` column of the store):

* `train` -- the user message is the problem statement alone, exactly as training rows carry it
  (for problems with starter code, the starter code follows in a fenced block; HumanEval's user
  message is its function prompt in a fenced block).
* `lcb` -- LiveCodeBench's own code-generation wording: the statement, then the instruction to
  read stdin and write stdout in one ```python block (`STDIN_INSTRUCTION`), or to complete the
  starter code, or, for HumanEval, to complete the function.

Prompt formats (a property of how a model was trained, `[data] prompt_format`):

* `chat` -- system + user (+ assistant) rendered with the tokenizer's chat template; the prompt
  ends with the template's generation prompt. The boundary between prompt and answer is a token
  position: the prompt is rendered with `add_generation_prompt=True` and tokenized on its own,
  the answer is the rest of the full conversation, tokenized on its own.
* `seed` -- the original study's plain text: system text, blank line, user message,
  `"\\n# Solution:\\n"`; the answer follows, then eos.

Covers: user messages, conversations, prompt and answer token ids, stop tokens. Does not cover
generation (`engine`) or grading.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codegen_study.problems import Problem

SYSTEM_PROMPT = "You are an expert Python programmer. Please read the problem carefully before writing any Python code."
SEED_SEPARATOR = "\n# Solution:\n"
PROMPT_STYLES = ("train", "lcb")
PROMPT_FORMATS = ("chat", "seed")

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


def _fenced(code: str) -> str:
    return f"```python\n{code.rstrip()}\n```"


def user_message(problem: Problem, style: str = "train") -> str:
    """The user turn for `problem` under prompt style `style` (see the module docstring)."""
    return statement_message(problem.statement, style, starter_code=problem.starter_code,
                             humaneval=problem.kind == "humaneval")


def statement_message(statement: str, style: str = "train", *, starter_code: str = "", humaneval: bool = False) -> str:
    """The user turn for a statement: what training rows (style `train`) and benchmarks share."""
    if style not in PROMPT_STYLES:
        raise ValueError(f"unknown prompt style {style!r} (one of {', '.join(PROMPT_STYLES)})")
    if humaneval:
        fenced = _fenced(statement)
        return fenced if style == "train" else f"{HUMANEVAL_INSTRUCTION}\n\n{fenced}"
    statement = statement.rstrip()
    if starter_code.strip():
        return "\n\n".join([statement] + ([STARTER_INSTRUCTION] if style == "lcb" else []) + [_fenced(starter_code)])
    return statement if style == "train" else f"{statement}\n\n{STDIN_INSTRUCTION}"


def chat_messages(user: str, target: str | None = None, system: str = SYSTEM_PROMPT) -> list[dict[str, str]]:
    """The conversation: always our system prompt (templates would otherwise insert their own)."""
    messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
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


def prompt_text(tokenizer, user: str, *, system: str = SYSTEM_PROMPT, prompt_format: str = "chat") -> str:
    """The full prompt string for user message `user`, ending where the model's answer starts."""
    if prompt_format == "seed":
        return f"{system}\n\n{user}{SEED_SEPARATOR}"
    if prompt_format != "chat":
        raise ValueError(f"unknown prompt_format {prompt_format!r} (chat or seed)")
    return tokenizer.apply_chat_template(chat_messages(user, system=system), add_generation_prompt=True,
                                         tokenize=False)


def encode(tokenizer, user: str, target: str | None = None, *, system: str = SYSTEM_PROMPT,
           prompt_format: str = "chat") -> tuple[list[int], list[int]]:
    """(prompt ids, answer ids) of one conversation; answer ids are empty without `target`.

    The answer ends with the end-of-turn token (chat) or eos (seed), so a model learns to stop.
    """
    prompt = prompt_text(tokenizer, user, system=system, prompt_format=prompt_format)
    prompt_ids = _ids(tokenizer, prompt)
    if target is None:
        return prompt_ids, []
    if prompt_format == "seed":
        return prompt_ids, _ids(tokenizer, target) + [tokenizer.eos_token_id]
    full = tokenizer.apply_chat_template(chat_messages(user, target, system), tokenize=False)
    if not full.startswith(prompt):
        raise ValueError("the tokenizer's chat template does not render the prompt as a prefix of the "
                         "full conversation; use prompt_format = \"seed\"")
    answer = _ids(tokenizer, full[len(prompt):])
    eot = end_of_turn_id(tokenizer)
    if eot in answer:  # drop what follows the end of turn (a newline): never generated
        answer = answer[: len(answer) - answer[::-1].index(eot)]
    return prompt_ids, answer


def prompt_ids(tokenizer, problem: Problem, *, style: str = "train", system: str = SYSTEM_PROMPT,
               prompt_format: str = "chat") -> list[int]:
    """Evaluation prompt ids for `problem`: `encode` without an answer."""
    return encode(tokenizer, user_message(problem, style), system=system, prompt_format=prompt_format)[0]


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
