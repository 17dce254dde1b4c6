"""run_folder: the single loop and a cohort leave the same run folder (one training.json field set,
the same CPU precision fallback, a finished run's record kept on a rerun); older records still read."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from codegen_study.training.run_folder import RECORD, RunRecord

ROOT = Path(__file__).resolve().parents[2]


def test_older_records_read_and_the_study_s_write_back_unchanged():
    """The committed stores' records (cohort runs) round-trip byte for byte; a record of an older
    single run (no `cohort`, no end yet) and a fixture's partial one read with defaults."""
    committed = sorted((ROOT / "data").glob("*/*/" + RECORD))
    assert committed, "the repository holds the study's run records"
    for path in committed:
        record = RunRecord.read(path.parent)
        assert json.dumps(record.to_json(), indent=2) == json.dumps(json.loads(path.read_text()), indent=2), path
        assert isinstance(record.cohort, dict)
        assert record.stop_reason in ("epochs", "early_stopping", "max_steps", "time_limit")


def test_a_record_shows_its_end_only_once_the_run_ended(tmp_path):
    started = {"data": {"train": {"rows": 3}}, "steps_per_epoch": 2, "total_steps": 4, "world_size": 1}
    (tmp_path / RECORD).write_text(json.dumps(started))
    record = RunRecord.read(tmp_path)
    assert record.cohort is None and record.stop_reason is None
    assert record.to_json() == {**started, "cohort": None}  # still going (or killed): no end fields
    ended = dataclasses.replace(record, step=4, best_step=4, best_val_loss=0.5, stop_reason="max_steps", seconds=1.0)
    assert list(ended.to_json()) == [f.name for f in dataclasses.fields(RunRecord) if f.name != "memory_fit"]
    fitted = dataclasses.replace(ended, memory_fit={"micro_batch_size": 8, "grad_accumulation": 2,
                                                    "configured": [16, 1], "step": 0})
    assert list(fitted.to_json()) == [f.name for f in dataclasses.fields(RunRecord)]
    (tmp_path / RECORD).write_text(json.dumps({"step": 200, "best_step": 100, "seconds": 60.0}))
    assert RunRecord.read(tmp_path).data == {} and RunRecord.read(tmp_path).best_step == 100
    assert RunRecord.read(tmp_path / "nothing") is None


def test_cpu_precision_falls_back_to_fp32_when_asked_and_names_it():
    from codegen_study.training.run_folder import fall_back_on_cpu
    from codegen_study.training.train_config import TrainConfig

    @dataclasses.dataclass(frozen=True)
    class Model:
        precision: str

    forced, words = fall_back_on_cpu({"model": Model("bf16"), "train": TrainConfig(autocast="bf16", cpu_fp32=True)})
    assert (forced["model"].precision, forced["train"].autocast) == ("fp32", "none")
    assert words.startswith("fp32 (train.cpu_fp32") and "precision bf16, autocast bf16" in words
    kept, words = fall_back_on_cpu({"model": Model("bf16"), "train": TrainConfig(autocast="bf16", cpu_fp32=False)})
    assert (kept["model"].precision, kept["train"].autocast) == ("bf16", "bf16") and words.startswith("bf16")
    plain, words = fall_back_on_cpu({"model": Model("fp32"), "train": TrainConfig(autocast="none")})
    assert (plain["model"].precision, plain["train"].autocast, words) == ("fp32", "none", "fp32")


@pytest.mark.slow
def test_both_loops_write_the_same_record_and_fall_back_to_fp32_on_a_cpu(tmp_path, capsys):
    """A bf16 config with `train.cpu_fp32 = true` trained alone and in a cohort: both train in fp32
    and say so, both config.toml files record it, and both training.json files carry the same fields
    with the same values (but the cohort's job record); a rerun leaves either record as it was."""
    pytest.importorskip("torch")
    pytest.importorskip("peft")
    from test_cohort import write_config
    from tiny_lm import save_tiny

    from codegen_study.core.config import read_toml
    from codegen_study.training.cohort import train_cohort
    from codegen_study.training.train import train

    tiny = save_tiny(tmp_path / "model")
    keys = {"autocast": '"bf16"', "cpu_fp32": "true"}
    for name in ("alone", "cohort"):
        config = write_config(tmp_path / name, tiny, "deep", **keys)
        config.write_text(config.read_text().replace('precision = "fp32"', 'precision = "bf16"'))
    capsys.readouterr()
    alone = tmp_path / "alone" / "deep-s3"
    train(tmp_path / "alone" / "deep.toml", overrides={"run": {"output_dir": str(alone)}}, device="cpu")
    said_alone = capsys.readouterr().err.splitlines()
    said = []
    train_cohort([str(tmp_path / "cohort" / "deep.toml")], [3], device="cpu", log=said.append)
    together = tmp_path / "cohort" / "deep-s3"

    assert any(line.startswith("cpu plan:") and "fp32" in line for line in said_alone), said_alone
    assert any(line.startswith("cpu: the cohort trains in fp32 (train.cpu_fp32") for line in said), said
    for folder in (alone, together):
        resolved = read_toml(folder / "config.toml")
        assert (resolved["model"]["precision"], resolved["train"]["autocast"]) == ("fp32", "none"), folder
    records = {folder: json.loads((folder / RECORD).read_text()) for folder in (alone, together)}
    a, b = records[alone], records[together]
    assert list(a) == list(b) == [f.name for f in dataclasses.fields(RunRecord) if f.name != "memory_fit"]
    assert a["cohort"] is None and b["cohort"]["runs"] == ["deep-s3"]
    for key in ("data", "steps_per_epoch", "total_steps", "world_size", "step", "best_step", "stop_reason"):
        assert a[key] == b[key], key
    assert b["best_val_loss"] == pytest.approx(a["best_val_loss"], rel=1e-4)

    train(tmp_path / "alone" / "deep.toml", overrides={"run": {"output_dir": str(alone)}}, device="cpu")
    train_cohort([str(tmp_path / "cohort" / "deep.toml")], [3], device="cpu", log=said.append)
    assert {folder: json.loads((folder / RECORD).read_text()) for folder in (alone, together)} == records
