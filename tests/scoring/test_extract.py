"""Extraction policies on realistic model outputs."""

import pytest

from codegen_study.scoring.extract import extract_code

F = "```"

PROSE_THEN_BLOCK = f"""To solve this, read N and print N*2.

{F}python
n = int(input())
print(n * 2)
{F}

This runs in O(1)."""


def test_seed_takes_python_block_from_prose():
    assert extract_code(PROSE_THEN_BLOCK, "seed") == "n = int(input())\nprint(n * 2)"


def test_lcb_takes_block_verbatim():
    assert extract_code(PROSE_THEN_BLOCK, "lcb") == "n = int(input())\nprint(n * 2)"


@pytest.mark.parametrize("tag", ["Python", "PYTHON", "py", "python3", "Python3"])
def test_seed_python_tag_any_case(tag):
    text = f"Here you go:\n{F}{tag}\nprint('ok')\n{F}\n"
    assert extract_code(text, "seed") == "print('ok')"


def test_two_blocks_seed_first_python_lcb_last_block():
    text = (
        f"First a brute force:\n{F}python\nprint('brute')\n{F}\n"
        f"Then the sample run:\n{F}text\n$ python main.py\n3\n{F}\n"
        f"And the final version:\n{F}python\nprint('final')\n{F}\n"
    )
    assert extract_code(text, "seed") == "print('brute')"
    assert extract_code(text, "lcb") == "print('final')"


def test_seed_prefers_python_block_over_earlier_untagged_block():
    text = f"Input format:\n{F}\n3\n1 2 3\n{F}\nSolution:\n{F}python\nprint(6)\n{F}"
    assert extract_code(text, "seed") == "print(6)"
    assert extract_code(text, "lcb") == "print(6)"


def test_seed_falls_back_to_first_untagged_block():
    text = f"Solution:\n{F}\nx = input()\nprint(x)\n{F}\nOutput:\n{F}\nfoo\n{F}"
    assert extract_code(text, "seed") == "x = input()\nprint(x)"
    assert extract_code(text, "lcb") == "foo"


def test_unfenced_prose_and_code():
    text = "n = int(input())\nprint(n + 1)\n"
    assert extract_code(text, "seed") == "n = int(input())\nprint(n + 1)"
    assert extract_code(text, "lcb") == ""


def test_seed_removes_stray_fences_of_unclosed_block():
    # generation stopped by the token limit before the closing fence
    text = f"{F}python\nn = int(input())\nprint(n)\n"
    assert extract_code(text, "seed") == "n = int(input())\nprint(n)"
    assert extract_code(text, "lcb") == ""


def test_seed_drops_closed_think_block():
    text = f"<think>\nMaybe {F}python\nprint('draft')\n{F} no...\n</think>\nFinal:\n{F}python\nprint('final')\n{F}"
    assert extract_code(text, "seed") == "print('final')"


def test_seed_unclosed_think_keeps_text_from_next_fence():
    text = (f"<think>\nI should loop over the input.\n{F}python\nfor line in open(0):\n    print(line.strip())\n"
            f"{F}\nmore thoughts")
    assert extract_code(text, "seed") == "for line in open(0):\n    print(line.strip())"


def test_seed_unclosed_think_without_fence_is_no_code():
    assert extract_code("<think>\nThe answer needs a loop, first I", "seed") == ""


def test_lcb_counts_any_line_containing_fence():
    text = f"Answer: {F}python\nprint(1)\nend {F}"
    assert extract_code(text, "lcb") == "print(1)"


def test_lcb_odd_fence_count_takes_last_pair():
    text = f"{F}python\nprint(1)\n{F}\n{F}python\nprint(2)\n"
    # the last two fence lines enclose the prose-free gap between blocks
    assert extract_code(text, "lcb") == ""


def test_seed_keeps_indentation_inside_block():
    text = f"{F}python\ndef f(x):\n    if x:\n        return 1\n    return 0\nprint(f(int(input())))\n{F}"
    assert extract_code(text, "seed").splitlines()[2] == "        return 1"


def test_seed_keeps_first_line_indent_of_body_continuation():
    body = "    return sorted(numbers)[0]\n"
    assert extract_code(body, "seed") == "    return sorted(numbers)[0]"


def test_empty_and_unknown_policy():
    assert extract_code("", "seed") == ""
    assert extract_code("", "lcb") == ""
    with pytest.raises(ValueError):
        extract_code("x", "other")
