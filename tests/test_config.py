"""Config loading: typos and wrong types are errors naming file and line; dumps round-trip."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from codegen_study.config import atomic_write_text, dump_toml, load_section, read_toml
from codegen_study.errors import UserError


@dataclass(frozen=True)
class Demo:
    lr: float = 2e-4
    steps: int = 10
    name: str = "x"
    targets: tuple[str, ...] = ("q_proj", "v_proj")
    limit: int | None = None
    flag: bool = False


def test_load_section_applies_file_then_overrides(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text('[train]\nlr = 1e-3\nsteps = 5\ntargets = ["a"]\n')
    cfg = load_section(p, "train", Demo, {"steps": 7, "name": None})
    assert cfg == Demo(lr=1e-3, steps=7, targets=("a",))


def test_unknown_key_names_file_and_line(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text("[train]\nlr = 1e-3\nstpes = 5\n")
    with pytest.raises(UserError, match=r"c\.toml\[train\]:3: unknown key 'stpes'"):
        load_section(p, "train", Demo)


def test_wrong_type_is_an_error(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text('[train]\nsteps = "ten"\n')
    with pytest.raises(UserError, match=r":2: steps: expected an integer"):
        load_section(p, "train", Demo)
    p.write_text("[train]\nflag = 1\n")
    with pytest.raises(UserError, match="expected true/false"):
        load_section(p, "train", Demo)


def test_invalid_toml_reports_line(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text("[train]\nlr = = 3\n")
    with pytest.raises(UserError, match=r"c\.toml: invalid TOML: .*line 2"):
        read_toml(p)


def test_dump_round_trips(tmp_path):
    cfg = Demo(lr=3e-4, name='quote " and \\ backslash', limit=4, flag=True)
    p = tmp_path / "resolved.toml"
    atomic_write_text(p, dump_toml({"train": cfg}, header="codegen-study train --config x"))
    assert p.read_text().startswith("# codegen-study train")
    assert load_section(p, "train", Demo) == cfg
    assert not [f for f in tmp_path.iterdir() if f.name.endswith(".tmp")]
