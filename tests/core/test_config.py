"""Config loading: typos and wrong types are errors naming file and line; dumps round-trip."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

import pytest

from codegen_study.core.config import dump_toml, load_section, read_toml
from codegen_study.core.errors import UserError
from codegen_study.core.files import atomic_write_text


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


# -- the user's own mistakes ------------------------------------------------------------------
def test_misspelled_table_is_an_error_with_its_line(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text("[run]\nname = 'x'\n\n[trian]\nepochs = 1\n")
    with pytest.raises(UserError, match=r"c\.toml:4: unknown table \[trian\]"):
        load_section(p, "train", Demo)


def test_key_outside_every_table_is_an_error(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text("epochs = 1\n[train]\nsteps = 2\n")
    with pytest.raises(UserError, match=r"c\.toml:1: 'epochs' must be a table"):
        read_toml(p)


def test_non_utf8_config_is_an_error(tmp_path):
    p = tmp_path / "c.toml"
    p.write_bytes(b"[train]\nname = '\xff\xfe'\n")
    with pytest.raises(UserError, match=r"c\.toml: cannot read config: not UTF-8"):
        read_toml(p)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_number_is_an_error(tmp_path, value):
    p = tmp_path / "c.toml"
    p.write_text(f"[train]\nlr = {value}\n")
    with pytest.raises(UserError, match=r":2: lr: expected a finite number"):
        load_section(p, "train", Demo)


def test_negative_epochs_are_an_error(tmp_path):
    from codegen_study.training.train_config import TrainConfig

    p = tmp_path / "c.toml"
    p.write_text("[train]\nepochs = -1\n")
    with pytest.raises(UserError, match="epochs must be > 0"):
        load_section(p, "train", TrainConfig)


def test_atomic_write_never_replaces_a_symlink(tmp_path):
    target = tmp_path / "precious"
    target.write_text("keep")
    link = tmp_path / "link"
    link.symlink_to(target)
    with pytest.raises(UserError, match="symbolic link"):
        atomic_write_text(link, "new")
    assert link.is_symlink() and target.read_text() == "keep"


def test_atomic_write_never_replaces_a_special_file(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(UserError, match="device, pipe or socket"):
        atomic_write_text(fifo, "new")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_train_checks_its_data_before_the_model_and_leaves_nothing(tmp_path):
    """A missing data file fails before the model loads (which would take minutes) and before
    anything is written to the run folder."""
    from codegen_study.models import ModelConfig
    from codegen_study.training.train import train
    from codegen_study.training.train_config import RunConfig, TrainConfig
    from codegen_study.training.training_data import DataConfig

    run_dir = tmp_path / "run"
    configs = {"run": RunConfig(output_dir=str(run_dir)), "data": DataConfig(path=str(tmp_path / "missing.jsonl")),
               "model": ModelConfig(name_or_path=str(tmp_path / "no-such-model")), "train": TrainConfig()}
    with pytest.raises(UserError, match="missing.jsonl"):
        train(configs, device="cpu")
    assert not run_dir.exists()
