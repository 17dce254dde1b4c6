"""The CPU plan of a training run: the batch split into micro-batches gives the same update as the
whole batch, the lean loss is the model's loss, and the plan picks micro-batch, checkpointing and
precision from the config, the memory and the CPU's features."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from tiny_lm import make_model, make_rows, make_tokenizer  # noqa: E402

from codegen_study.core.cpu import GB, Shape, cpu_precision, estimate_bytes, native_bf16, plan_training  # noqa: E402
from codegen_study.core.distributed import Dist  # noqa: E402
from codegen_study.core.errors import UserError  # noqa: E402
from codegen_study.training.lora import init_lora, lora_pairs, prepare_for_training  # noqa: E402
from codegen_study.training.train_config import TrainConfig  # noqa: E402
from codegen_study.training.train_step import lean_loss, optimizer_step, window_loss  # noqa: E402
from codegen_study.training.training_data import DataConfig, collate, encode_example, pack_examples  # noqa: E402

SMOLLM2 = Shape(params=134_515_008, layers=30, hidden=576, intermediate=1536)


def _examples(tok, n=4):
    cfg = DataConfig(path="x.jsonl", max_length=128)
    rows = make_rows(n_problems=n, per_problem=1)
    for i, r in enumerate(rows):  # answers of different lengths: the whole batch is padded
        r["output"] += " # done" * i
    return [encode_example(tok, r, cfg) for r in rows]


def _lora_model(tok, tcfg):
    model = prepare_for_training(make_model(tok), tcfg)
    init_lora(lora_pairs(model), 5)
    with torch.no_grad():  # B starts at zero; a non-zero B makes every LoRA gradient non-trivial
        for _, b in lora_pairs(model):
            b.normal_(0, 0.02)
    return model


@pytest.mark.parametrize("packed", [False, True])
def test_the_split_step_gives_the_update_of_the_whole_batch(packed):
    tok = make_tokenizer()
    tcfg = TrainConfig(gradient_checkpointing=False, lora_dropout=0.0, autocast="none", learning_rate=1e-2)
    examples = _examples(tok)
    if packed:
        examples = pack_examples(examples, 256)
        assert any(len(set(e["position_ids"])) < len(e["position_ids"]) for e in examples)  # rows hold several
    whole = [collate(examples, tok.pad_token_id)]
    split = [collate([e], tok.pad_token_id) for e in examples]
    updated = {}
    for name, window, lean in (("whole", whole, False), ("split", split, False), ("split, lean", split, True)):
        model = _lora_model(tok, tcfg)
        model.train()
        params = [p for p in model.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(params, lr=tcfg.learning_rate)
        loss = window_loss(model, window, tcfg, "cpu", Dist(), lean=lean)
        grads = [p.grad.clone() for p in params]
        optimizer_step(opt, None, params, tcfg)
        updated[name] = (float(loss), grads, [p.detach().clone() for p in params])
    ref_loss, ref_grads, ref_params = updated["whole"]
    assert any(float(g.abs().sum()) > 0 for g in ref_grads)
    for name in ("split", "split, lean"):
        loss, grads, params = updated[name]
        assert loss == pytest.approx(ref_loss, rel=1e-5)
        for a, b in zip(grads, ref_grads):
            torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-4)
        for a, b in zip(params, ref_params):
            torch.testing.assert_close(a, b, atol=2e-5, rtol=1e-5)  # Adam divides by |g|: small g, small noise


def test_the_lean_loss_is_the_models_loss_in_small_chunks():
    tok = make_tokenizer()
    model = _lora_model(tok, TrainConfig(gradient_checkpointing=False, lora_dropout=0.0))
    batch = collate(_examples(tok), tok.pad_token_id)
    n = int((batch["labels"][:, 1:] != -100).sum())
    own = model(**batch, num_items_in_batch=n).loss
    lean = lean_loss(model, batch, n, chunk=7)  # chunks that cut rows and examples
    assert float(lean) == pytest.approx(float(own), rel=1e-5)
    with torch.no_grad():
        assert float(lean_loss(model, batch, n)) == pytest.approx(float(own), rel=1e-5)


def test_the_plan_cuts_the_window_into_micro_batches_of_about_512_tokens():
    tcfg = TrainConfig(micro_batch_size=16, grad_accumulation=1, autocast="bf16")
    plan = plan_training(tcfg, "bf16", 512, SMOLLM2, available=20 * GB, flags={"avx512_bf16"})
    assert (plan.micro_batch_size, plan.grad_accumulation, plan.gradient_checkpointing) == (1, 16, False)
    assert (plan.precision, plan.autocast) == ("bf16", "bf16")
    assert plan.line.startswith("cpu plan: batches of 16 examples as 16 micro-batches of 1")
    assert plan.estimate < 4 * GB
    short = plan_training(tcfg, "bf16", 128, SMOLLM2, available=20 * GB, flags=set())
    assert (short.micro_batch_size, short.grad_accumulation) == (4, 4)
    assert (short.precision, short.autocast) == ("fp32", "none") and "no native bf16" in short.line
    seed = plan_training(TrainConfig(), "fp32", 512, SMOLLM2, available=20 * GB, flags=set())  # 1 x 16, checkpointing
    assert (seed.micro_batch_size, seed.grad_accumulation, seed.gradient_checkpointing) == (1, 16, False)


def test_the_plan_checkpoints_only_where_memory_is_short_and_takes_a_given_micro_batch():
    tcfg = TrainConfig(micro_batch_size=16, grad_accumulation=1, autocast="none")
    need = estimate_bytes(SMOLLM2, 512, checkpointing=False, bf16=False)
    tight = plan_training(tcfg, "fp32", 512, SMOLLM2, available=2 * need - 2, flags=set())
    assert tight.gradient_checkpointing and tight.estimate < need
    roomy = plan_training(tcfg, "fp32", 512, SMOLLM2, available=2 * need + 2, flags=set())
    assert not roomy.gradient_checkpointing
    given = plan_training(tcfg, "fp32", 512, SMOLLM2, micro_batch_size=4, available=64 * GB, flags=set())
    assert (given.micro_batch_size, given.grad_accumulation) == (4, 4) and "as given" in given.line
    both = plan_training(tcfg, "fp32", 512, SMOLLM2, micro_batch_size=2, grad_accumulation=3, flags=set())
    assert (both.micro_batch_size, both.grad_accumulation) == (2, 3)
    with pytest.raises(UserError, match="--micro-batch-size 3 does not divide the config's batch of 16"):
        plan_training(tcfg, "fp32", 512, SMOLLM2, micro_batch_size=3, flags=set())


def test_bf16_only_where_the_cpu_multiplies_it():
    assert native_bf16({"avx2", "avx512f", "avx512_bf16"}) == "avx512_bf16"
    assert native_bf16({"avx2", "amx_bf16", "amx_tile"}) == "amx_bf16"
    assert native_bf16({"fp", "asimd", "bf16"}) == "bf16"
    assert native_bf16({"avx2", "avx512f"}) is None
    assert cpu_precision("bf16", "bf16", None, {"avx512_bf16"}) == ("bf16", "bf16")
    assert cpu_precision("fp16", "fp16", None, {"avx512_bf16"}) == ("bf16", "bf16")
    assert cpu_precision("bf16", "bf16", None, {"avx2"}) == ("fp32", "none")
    assert cpu_precision("bf16", "bf16", True, {"avx512_bf16"}) == ("fp32", "none")
    assert cpu_precision("bf16", "bf16", False, {"avx2"}) == ("bf16", "bf16")
    assert cpu_precision("fp32", "none", None, {"avx2"}) == ("fp32", "none")


def test_a_first_run_on_a_cpu_is_greedy_under_one_prompt_style_and_names_the_full_plan(capsys):
    from argparse import Namespace
    from dataclasses import replace
    from types import SimpleNamespace

    from codegen_study.evaluation.cli import first_run
    from codegen_study.evaluation.generate import EvalConfig
    from codegen_study.evaluation.targets import Target

    cfg = EvalConfig(benchmarks=("b",), prompts=("train", "lcb"), sample_prompts=("train",), n_samples=10)
    targets = [Target("base", 0, None, True)]
    benchmarks = {"b": {f"q{i}": SimpleNamespace(id=f"q{i}") for i in range(3)}}
    argv = ["evaluate", "--model", "m", "--limit", "3"]
    args = Namespace(full=False, limit=3, score_only=False, device="cpu", prompt=None, _argv=argv)
    small = first_run(args, cfg, targets, benchmarks)
    assert (small.prompts, small.sample_prompts, small.max_new_tokens) == (("train",), (), cfg.max_new_tokens)
    assert capsys.readouterr().out.startswith(
        "first run on a CPU: greedy only, prompt train: 3 of the plan's 36 completions (up to 512 new tokens each); "
        "the full plan: codegen-study evaluate --model m --limit 3 --full")
    assert first_run(Namespace(**{**vars(args), "prompt": "train,lcb"}),
                     cfg, targets, benchmarks).prompts == ("train", "lcb")
    for other in ({"full": True}, {"device": "cuda"}, {"limit": None}):
        assert first_run(Namespace(**{**vars(args), **other}), cfg, targets, benchmarks) is cfg
    assert first_run(args, replace(cfg, max_new_tokens=6), targets, benchmarks).prompts == ("train", "lcb")  # small


def test_progress_can_report_its_first_update_at_once():
    import io

    from codegen_study.core.progress import Progress

    now = [0.0]
    stream = io.StringIO()
    p = Progress(4, desc="gen", unit="completion", stream=stream, every_s=30, clock=lambda: now[0], first_line=True)
    now[0] = 10.0
    p.update(1)
    assert stream.getvalue() == "gen: 1/4 completions (25%), 0.1 completions/s, ETA 30.0 s\n"
    now[0] = 20.0
    p.update(1)  # then every 30 s again
    assert stream.getvalue().count("\n") == 1


def test_the_decode_step_runs_at_the_thread_count_that_timed_fastest():
    import time

    from codegen_study.core.cpu import ThreadChooser

    if torch.get_num_threads() < 2:
        pytest.skip("one thread: nothing to choose")
    most = torch.get_num_threads()
    chooser = ThreadChooser()
    seen = []

    def step():  # one thread is the fast one here, as on a loaded two-core machine
        seen.append(torch.get_num_threads())
        time.sleep(0.001 if torch.get_num_threads() == 1 else 0.02)

    for _ in range(10):
        chooser.run(step)
    assert seen[:4] == [most, most, 1, 1] and set(seen[4:]) == {1}
    chooser.restore()
    assert torch.get_num_threads() == most


def test_one_thread_only_slightly_faster_leaves_the_decode_step_on_all_threads():
    """Near-equal timings on the first steps are noise on an idle machine; over a whole batch all
    threads were faster there, so one thread must win clearly (`ThreadChooser.MARGIN`)."""
    import time

    from codegen_study.core.cpu import ThreadChooser

    if torch.get_num_threads() < 2:
        pytest.skip("one thread: nothing to choose")
    most = torch.get_num_threads()
    chooser = ThreadChooser()
    seen = []

    def step():  # one thread 10% faster: within the margin
        seen.append(torch.get_num_threads())
        time.sleep(0.018 if torch.get_num_threads() == 1 else 0.02)

    for _ in range(8):
        chooser.run(step)
    chooser.restore()
    assert seen[:4] == [most, most, 1, 1] and set(seen[4:]) == {most}
