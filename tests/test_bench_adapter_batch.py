"""benchmarks/adapter_batch.py runs end to end on a tiny study on CPU (`--device cpu`): the three rows,
the floor, and the agreement between the shared batch and one state at a time -- so the GPU
measurement does not fail on the script itself."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import adapter_batch  # noqa: E402
from test_study import make_study  # noqa: E402
from tiny_lm import make_model, make_tokenizer  # noqa: E402

from codegen_study.core.config import load_section  # noqa: E402
from codegen_study.study import StudyConfig, run_folder  # noqa: E402


def save_runs(study, steps=(4,)) -> list[Path]:
    """Checkpoints (the last one final) with random, non-zero LoRA adapters in every (arm, seed) run folder."""
    from peft import LoraConfig, get_peft_model

    cfg = load_section(study["config"], "study", StudyConfig)
    tok = make_tokenizer()
    folders = []
    for i, (arm, seed) in enumerate((a, s) for a in cfg.arms for s in cfg.seeds):
        folder = run_folder(arm, seed)
        for step in steps:
            torch.manual_seed(100 * step + i)
            lora = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "down_proj"],
                              init_lora_weights=False)
            get_peft_model(make_model(tok), lora).save_pretrained(folder / f"checkpoint-step-{step}")
        name = Path(arm).stem
        (folder / "config.toml").write_text(f'[run]\nname = "{name}"\nseed = {seed}\n')
        folders.append(folder)
    return folders


def test_every_row_the_floor_and_the_agreement_on_a_tiny_study(tmp_path, monkeypatch, capsys):
    study = make_study(tmp_path)
    assert len(save_runs(study)) == 4
    out = tmp_path / "adapter_batch.json"
    assert adapter_batch.main(["--config", str(study["config"]), "--device", "cpu", "--bandwidth", "1e11",
                               "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["states"] == 5  # the base and four runs' final checkpoints
    assert set(result["s_per_state"]) == {"engine_all_states", "engine_all_states_batches", "engine_one_state",
                                          "hf_generate_peft"}
    assert all(v > 0 for v in result["s_per_state"].values())
    assert result["floor_s_per_state"] > 0
    assert 0 < result["prompt_tokens"]["min"] <= result["prompt_tokens"]["median"] <= result["prompt_tokens"]["max"]
    prompts = result["prompts"]
    assert result["rows"]["engine_all_states"]["answer_tokens"] > 0
    # one state at a time covers the base and the first run: 2 x the prompts, compared row by row
    assert result["agreement"]["rows"] == 2 * prompts
    assert result["agreement"]["share"] >= 0.99
    by_rows = result["agreement_by_rows"]
    assert by_rows["base"]["rows"] == by_rows["adapter"]["rows"] == prompts
    assert by_rows["hf_vs_engine_one_state"]["rows"] == prompts  # the HF row decodes the first run's state
    assert by_rows["batches_vs_refill"]["rows"] == 5 * prompts and by_rows["batches_vs_refill"]["share"] >= 0.99
    assert by_rows["all"]["first_difference"]["median"] is None or by_rows["all"]["share"] < 1
    partings = result["partings"]  # each parted row scored where it parts, against a rounding step
    assert partings["parted"] == result["agreement"]["rows"] - result["agreement"]["identical"]
    assert partings["scored"] == len(result["parting_gaps"]) == partings["parted"]  # stop ids score ended rows too
    assert result["agreement"]["share"] <= partings["identical_or_near_tie_share"] <= 1
    assert "floor" in capsys.readouterr().out


def test_more_states_than_runs_take_earlier_checkpoints_after_the_final_ones(tmp_path, capsys):
    study = make_study(tmp_path)
    save_runs(study, steps=(2, 4))
    out = tmp_path / "adapter_batch.json"
    assert adapter_batch.main(["--config", str(study["config"]), "--device", "cpu", "--bandwidth", "1e11",
                               "--limit", "1", "--skip-hf", "--skip-batches", "--states", "7", "--precision", "bf16",
                               "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["states"] == 7  # the base, four final checkpoints, then two step-2 checkpoints
    assert result["precision"] == "bf16"  # the tiny study's fp32, overridden
    assert result["rows"]["engine_all_states"]["states"] == 7
    assert "hf_generate_peft" not in result["s_per_state"]
    assert "engine_all_states_batches" not in result["s_per_state"]


def test_rows_are_compared_key_by_key_and_part_where_their_tokens_first_differ():
    from codegen_study.evaluation.engine import Result

    def rows(*tokens):
        return [Result(("m", i), t, "stop", 3, 0.0) for i, t in enumerate(tokens)]

    out = adapter_batch.compare(rows((1, 2, 3), (1, 2, 3), (4, 5), (7,)), rows((1, 2, 3), (1, 9, 3), (4, 5, 6), (8,)))
    assert (out["rows"], out["identical"], out["share"]) == (4, 1, 0.25)
    assert out["first_difference"] == {"median": 1, "p10": 0, "p90": 2}  # parted at 1, 2 (one ran longer), 0


def test_an_unknown_gpu_without_a_bandwidth_stops_with_a_clear_message():
    with pytest.raises(SystemExit, match="--bandwidth"):
        adapter_batch.bandwidth("Some Future Accelerator")
    assert adapter_batch.bandwidth("NVIDIA H100 80GB HBM3") == 3.35e12


def test_partings_are_scored_by_the_one_state_model_base_rows_without_the_adapter():
    from types import SimpleNamespace

    from peft import LoraConfig, get_peft_model

    tok = make_tokenizer()
    torch.manual_seed(3)
    model = get_peft_model(make_model(tok), LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"],
                                                       init_lora_weights=False)).eval()
    prompt = tuple(tok("Count the vowels in S.")["input_ids"])

    def greedy(n: int, plain: bool) -> list[int]:
        ids = list(prompt)
        with torch.no_grad():
            for _ in range(n):
                if plain:
                    with model.disable_adapter():
                        ids.append(int(model(input_ids=torch.tensor([ids])).logits[0, -1].argmax()))
                else:
                    ids.append(int(model(input_ids=torch.tensor([ids])).logits[0, -1].argmax()))
        return ids[len(prompt):]

    base, adapted = greedy(6, plain=True), greedy(6, plain=False)
    assert base != adapted  # the adapter changes the answer, so scoring under the wrong state would show
    planted = lambda tokens, at: tokens[:at] + [(tokens[at] + 1) % len(tok)] + tokens[at + 1:]  # noqa: E731
    row = lambda label, key, tokens: SimpleNamespace(key=(label, key), tokens=tokens)  # noqa: E731
    reference = [row("base", "p", base), row("a", "p", adapted), row("a", "same", adapted), row("a", "short", adapted)]
    other = [row("base", "p", planted(base, 3)), row("a", "p", planted(adapted, 2)), row("a", "same", adapted),
             row("a", "short", adapted[:4])]
    prompts = {"p": prompt, "same": prompt, "short": prompt}
    gaps = adapter_batch.parting_gaps(model, prompts, reference, other)
    assert [(g["key"][1], g["at"]) for g in gaps] == [("p", 3), ("p", 2), ("short", 4)]  # identical rows: none
    for g, tokens, plain in ((gaps[0], base, True), (gaps[1], adapted, False)):
        at = g["at"]
        with torch.no_grad():
            if plain:
                with model.disable_adapter():
                    logits = model(input_ids=torch.tensor([list(prompt) + tokens[:at]])).logits[0, -1]
            else:
                logits = model(input_ids=torch.tensor([list(prompt) + tokens[:at]])).logits[0, -1]
        own, their = float(logits[tokens[at]]), float(logits[(tokens[at] + 1) % len(tok)])
        assert g["gap"] == pytest.approx(own - their, abs=1e-5) and g["gap"] >= 0  # the greedy token is the larger
        step = adapter_batch.logit_ulp(max(abs(own), abs(their)), torch.float32)
        assert g["ulps"] == pytest.approx(g["gap"] / step, rel=1e-3)
    assert gaps[2]["gap"] is None  # one answer ended and no stop ids given: nothing to score it by
    summary = adapter_batch.gap_summary(gaps, {"rows": 4, "identical": 1})
    assert summary["parted"] == 3 and summary["scored"] == 2 and summary["ended"] == 1
    assert summary["identical_or_near_tie_share"] == (1 + summary["near_ties"]) / 4
    # with stop ids, the answer that ended chose the best of them: the gap is to the other's token
    stops = [0, 2]
    ended = adapter_batch.parting_gaps(model, prompts, [row("a", "short", adapted[:4])], [row("a", "short", adapted)],
                                       stops=stops)
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([list(prompt) + adapted[:4]])).logits[0, -1]
    expected = float(logits[stops].max() - logits[adapted[4]])
    assert ended[0]["ended"] and ended[0]["gap"] == pytest.approx(expected, abs=1e-5)


def test_a_logits_rounding_step_is_its_precisions():
    assert adapter_batch.logit_ulp(20.0, torch.bfloat16) == 0.125
    assert adapter_batch.logit_ulp(-3.0, torch.bfloat16) == 2 ** -6
    assert adapter_batch.logit_ulp(20.0, torch.float32) == 2 ** -19
