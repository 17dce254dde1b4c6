"""memory_fit: a cohort step that runs out of memory is done again in smaller micro-batches of the
same window, and trains what a cohort configured with that split trains."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from test_cohort import adapter, losses, train_killed_then_resumed, write_config  # noqa: E402
from tiny_lm import save_tiny  # noqa: E402

from codegen_study.core.config import read_toml  # noqa: E402
from codegen_study.core.errors import UserError  # noqa: E402
from codegen_study.training import cohort  # noqa: E402
from codegen_study.training.memory_fit import micro_batches, smaller_split  # noqa: E402
from codegen_study.training.training_data import epoch_windows  # noqa: E402


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    return save_tiny(tmp_path_factory.mktemp("tiny") / "model")


def out_of_memory_above(monkeypatch, rows: int) -> None:
    """A training forward of more than `rows` rows raises what CUDA raises when memory runs out."""
    real = cohort.member_token_losses

    def limited(model, batch, targets, n):
        if torch.is_grad_enabled() and batch["input_ids"].shape[0] > rows:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return real(model, batch, targets, n)

    monkeypatch.setattr(cohort, "member_token_losses", limited)


def test_halving_keeps_the_window():
    assert smaller_split(16, 1) == (8, 2)
    assert smaller_split(8, 2) == (4, 4)
    assert smaller_split(5, 2) == (2, 5)  # the largest divisor of the window up to half the micro-batch
    assert smaller_split(3, 2) == (1, 6)
    assert smaller_split(1, 16) is None


@pytest.mark.parametrize("n_examples", [37, 48])
def test_a_window_holds_the_same_examples_whatever_its_split(n_examples):
    whole = epoch_windows(n_examples, 1, 7, 16, 1)
    for micro, accumulation in ((8, 2), (4, 4), (1, 16)):
        split = epoch_windows(n_examples, 1, 7, micro, accumulation)
        assert [sum(w, []) for w in split] == [sum(w, []) for w in whole]
        assert [micro_batches(w, micro) for w in whole] == split


@pytest.mark.slow
def test_a_cohort_out_of_memory_trains_what_the_smaller_split_trains_and_resumes(tmp_path, tiny_dir, monkeypatch):
    keys = {"save_every": 1}
    for name in ("deep", "diverse"):
        write_config(tmp_path / "small", tiny_dir, name, micro_batch_size=2, grad_accumulation=2, **keys)
        write_config(tmp_path / "fit", tiny_dir, name, micro_batch_size=4, grad_accumulation=1, **keys)
    configs = {k: [str(tmp_path / k / f"{name}.toml") for name in ("deep", "diverse")] for k in ("small", "fit")}
    cohort.train_cohort(configs["small"], [1, 2], device="cpu", log=lambda *_: None)

    out_of_memory_above(monkeypatch, 2 * 4)  # four runs: 4 x 4 rows do not fit, 4 x 2 do
    said: list[str] = []
    train_killed_then_resumed(monkeypatch, configs["fit"], [1, 2], log=said.append)  # killed at step 2, resumed

    line = "cohort: 4 runs x 4 rows did not fit in memory; micro-batches of 2 x 2 per window"
    assert said.count(line) == 2, said
    for label in ("deep-s1", "deep-s2", "diverse-s1", "diverse-s2"):
        want, got = tmp_path / "small" / label, tmp_path / "fit" / label
        assert losses(got).keys() == losses(want).keys()
        for key, value in losses(want).items():
            assert losses(got)[key] == pytest.approx(value, rel=1e-4, abs=1e-5), (label, key)
        for name, tensor in adapter(want, 4).items():
            assert torch.allclose(adapter(got, 4)[name], tensor, atol=1e-5), (label, name)
        record = json.loads((got / "training.json").read_text())
        fit = record["memory_fit"]  # the step this job took the split at: each run resumed from its last checkpoint
        assert fit == {"micro_batch_size": 2, "grad_accumulation": 2, "configured": [4, 1], "step": fit["step"]}
        assert fit["step"] in (1, 2)
        assert record["stop_reason"] == "max_steps" and record["step"] == 4
        train = read_toml(got / "config.toml")["train"]
        assert (train["micro_batch_size"], train["grad_accumulation"]) == (2, 2)
        assert "memory_fit" not in json.loads((want / "training.json").read_text())  # trained as configured


def test_micro_batch_one_that_does_not_fit_stops_naming_the_configs(tmp_path, tiny_dir, monkeypatch):
    deep = write_config(tmp_path, tiny_dir, "deep", micro_batch_size=2, grad_accumulation=2)
    diverse = write_config(tmp_path, tiny_dir, "diverse", micro_batch_size=2, grad_accumulation=2)
    out_of_memory_above(monkeypatch, 0)
    said: list[str] = []
    with pytest.raises(UserError, match=r"4 runs x 1 row do not fit in memory") as error:
        cohort.train_cohort([str(deep), str(diverse)], [1, 2], device="cpu", log=said.append)
    assert str(deep) in str(error.value) and str(diverse) in str(error.value)
    assert "cohort: 4 runs x 2 rows did not fit in memory; micro-batches of 1 x 4 per window" in said
    assert not list(tmp_path.glob("*/checkpoint-step-*"))
