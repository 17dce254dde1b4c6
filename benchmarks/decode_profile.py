"""What one decode step of the static engine costs, by rows, attended span and adapters in the bank.

    python benchmarks/decode_profile.py --config configs/offline-study.toml \\
        --out benchmarks/results/decode_profile.json

Why: generation on the study's load ran at about 34x the key/value-bandwidth floor
(`adapter_batch.py`), and how to schedule the decode (refilled rows or batch by batch,
`decode_schedule.py`) depends on what a step's time follows: its count (launch overhead), its
rows (compute) or its rows x span (key/value bytes read). This measures it on the study's own
model: for each (rows, span, adapters) of the grid, the milliseconds of one replayed step (the
CUDA graph alone) and of a step as the engine runs it (sixteen steps with their sampling and one
host sync, `_advance`), and, for the largest setting, the kernels that take the time (one eager
pass under torch.profiler). The cache holds zeros: a step reads and computes the same bytes
whatever their values. Adapters are random, rank and target modules from the study's `[train]`.
`--device cpu` with a small grid checks the script (tests/test_bench_decode_profile.py).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bank_agreement import random_adapter  # noqa: E402


def ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


def random_adapters(model, folder: Path, n: int, r: int, modules: list[str]) -> dict[str, str]:
    """`n` rank-`r` LoRA adapters with non-zero random weights, saved under `folder`."""
    out = {}
    for i in range(n):
        model = random_adapter(model, folder / f"a{i}", seed=i, r=r, modules=modules)
        out[f"a{i}"] = str(folder / f"a{i}")
    return out


def sync(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize()


def decode_state(engine, rows: int, span: int, adapters: int, pad_id: int):
    """A decode state of `rows` rows attending `span` slots, every slot valid, rows spread over
    `adapters` adapters (ids 1..adapters, round robin; 0 = the base)."""
    prompts = [[pad_id + 1]] * rows
    ids = [1 + i % adapters for i in range(rows)] if adapters else None
    st = engine._open(prompts, span + 64, 0.0, 1.0, 0, [], pad_id, ids, rows)
    st.valid.fill_(True)
    st.span = span
    st.born = [st.clock - span] * rows  # every row uses the whole span: no turn while timed
    st.step = engine._stepper(st)
    return st


def time_step(engine, st, steps: int) -> tuple[float, float]:
    """(ms per replayed step, ms per step as `_advance` runs it)."""
    st.step()
    sync(engine.device)
    t0 = time.perf_counter()
    for _ in range(steps):
        st.step()
    sync(engine.device)
    replay = (time.perf_counter() - t0) / steps * 1e3
    engine._advance(st)  # warm: the sampler and the host look
    sync(engine.device)
    st.slot = 1
    st.t.fill_(1)
    calls = max(1, steps // 16)
    t0 = time.perf_counter()
    for _ in range(calls):
        engine._advance(st)
        st.slot = 1  # stay inside the timed span
        st.t.fill_(1)
    sync(engine.device)
    return replay, (time.perf_counter() - t0) / (16 * calls) * 1e3


def kernel_table(engine, st, device, top: int = 15) -> list[dict]:
    """What takes the time in eager decode steps, ms per step: on a GPU its kernels (their own
    device time), on a CPU its operators (their own CPU time)."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    cuda = device.type == "cuda"
    steps = 4
    engine._decode_step(st)
    sync(device)
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    with torch.inference_mode(), profile(activities=activities) as prof:
        for _ in range(steps):
            engine._decode_step(st)
        sync(device)
    events = list(prof.key_averages())
    if cuda:
        kernels = [e for e in events if getattr(e.device_type, "name", "") == "CUDA"]
        events, own = (kernels or events), (lambda e: e.self_device_time_total)
    else:
        own = lambda e: e.self_cpu_time_total  # noqa: E731
    events = sorted((e for e in events if own(e) > 0), key=lambda e: -own(e))[:top]
    return [{"name": e.key[:90], "ms_per_step": round(own(e) / 1e3 / steps, 4), "calls_per_step": e.count / steps}
            for e in events]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/offline-study.toml")
    parser.add_argument("--rows", type=ints, default=[256, 1024])
    parser.add_argument("--spans", type=ints, default=[256, 1024, 1792])
    parser.add_argument("--adapters", type=ints, default=[0, 12], help="adapters in the bank (0: the plain base)")
    parser.add_argument("--steps", type=int, default=48, help="timed steps per setting")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)

    import torch

    from codegen_study.core.config import load_section
    from codegen_study.evaluation.adapter_bank import AdapterBank
    from codegen_study.evaluation.static_engine import StaticEngine
    from codegen_study.models import ModelConfig, load_model
    from codegen_study.study import StudyConfig
    from codegen_study.training.train_config import TrainConfig

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        sys.exit("decode_profile.py measures a GPU; no CUDA device here (--device cpu checks the script)")
    arm = load_section(args.config, "study", StudyConfig).arms[0]  # the arms share one model and recipe
    mcfg, tcfg = load_section(arm, "model", ModelConfig), load_section(arm, "train", TrainConfig)
    model, tok = load_model(mcfg, device=args.device)
    device = torch.device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu"
    pad = tok.pad_token_id if tok.pad_token_id is not None else 0
    print(f"{name}: {mcfg.name_or_path} in {mcfg.precision}; LoRA rank {tcfg.lora_r} on "
          f"{', '.join(tcfg.target_modules)}", flush=True)
    result = {"device": name, "torch": torch.__version__, "precision": mcfg.precision,
              "lora_r": tcfg.lora_r, "steps": args.steps, "settings": []}
    print(f"{'rows':>6} {'span':>6} {'adapters':>8} {'replay ms':>10} {'engine ms':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        folders = random_adapters(model, Path(tmp), max(args.adapters), tcfg.lora_r, list(tcfg.target_modules))
        largest = None
        for n in args.adapters:
            bank = AdapterBank(model, dict(list(folders.items())[:n])) if n else None
            engine = StaticEngine(model, bank=bank, compact=False)
            for rows in args.rows:
                for span in args.spans:
                    with torch.inference_mode():
                        st = decode_state(engine, rows, span, n, pad)
                        replay, full = time_step(engine, st, args.steps)
                    result["settings"].append({"rows": rows, "span": span, "adapters": n,
                                               "replay_ms": round(replay, 3), "engine_ms": round(full, 3)})
                    print(f"{rows:>6} {span:>6} {n:>8} {replay:>10.2f} {full:>10.2f}", flush=True)
                    st = None
                    if device.type == "cuda":
                        torch.cuda.empty_cache()
            if n == max(args.adapters):
                largest = (bank, n)
            elif bank is not None:
                bank.remove()
        bank, n = largest
        eager = StaticEngine(model, bank=bank, compact=False, use_graphs=False)
        with torch.inference_mode():
            st = decode_state(eager, max(args.rows), max(args.spans), n, pad)
            result["kernels"] = {"rows": max(args.rows), "span": max(args.spans), "adapters": n,
                                 "top": kernel_table(eager, st, device)}
        if bank is not None:
            bank.remove()
    print(f"\nkernels of an eager step at {max(args.rows)} rows, span {max(args.spans)}, {n} adapters (ms per step):")
    for k in result["kernels"]["top"]:
        print(f"  {k['ms_per_step']:>8.3f}  x{k['calls_per_step']:<6g} {k['name']}")
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
