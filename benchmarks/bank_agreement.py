"""Greedy tokens of the shared adapter batch against one adapter at a time, on the real model.

    python benchmarks/bank_agreement.py --out benchmarks/results/bank_agreement_cpu.json   # CPU, ~1 min

Why: `adapter_batch.py` compares the two paths on trained adapters on a GPU, where two
computations of one state can round differently (GEMM kernels chosen by batch shape, TF32 in the
bank's LoRA matmuls) and greedy decoding in bf16 parts at the first near-tie. This script isolates
the bank: the study's base model in its own precision, two random LoRA adapters (rank 32 on every
projection, weights N(0, 0.02)), a few held-out prompts, decoded (a) in one batch with each row's
adapter (`adapter_bank`) and (b) the base alone, then the first adapter attached with peft. It
prints and saves the rows whose tokens are identical, base and adapter rows apart, and where the
others first part (`adapter_batch.compare`), and, as a check on the check, how many answers the
first adapter changes against the base (`adapter_vs_base`); where rows part, the logit gap between
the two tokens under the one-state model (`adapter_batch.parting_gaps`: a rounding step or two is a
near-tie that rounding decided, a large gap would be a fault). Needs the corpora (`codegen-study synth --kind all`).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapter_batch import compare, compare_pairs, gap_summary, parting_gaps  # noqa: E402

MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def random_adapter(model, folder: Path, seed: int, r: int = 32, modules=tuple(MODULES)):
    """A rank-`r` LoRA adapter with non-zero random weights N(0, 0.02) on `modules`, saved to
    `folder`; returns the base model with its own modules again."""
    import torch
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    peft_model = get_peft_model(model, LoraConfig(r=r, lora_alpha=2 * r, target_modules=list(modules)))
    with torch.no_grad():
        for name, p in peft_model.named_parameters():
            if "lora_" in name:
                p.normal_(0, 0.02)
    peft_model.save_pretrained(folder)
    return peft_model.unload()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/offline-deep-wide.toml", help="an arm's config: model and prompt")
    parser.add_argument("--heldout", default="corpora/heldout.jsonl")
    parser.add_argument("--problems", type=int, default=12)
    parser.add_argument("--new-tokens", type=int, default=96)
    parser.add_argument("--shared-batch-size", type=int,
                        help="rows a shared-batch call keeps decoding (default: all; fewer gives each row other "
                             "batch-mates and prompt padding than it has alone, and rows whose answers end take "
                             "the waiting prompts)")
    parser.add_argument("--precision", choices=["bf16", "fp32"],
                        help="the base model's precision (default: the config's); fp32 leaves little to rounding")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)

    import torch

    from codegen_study.core.config import load_section, read_toml
    from codegen_study.evaluation import engine as eng
    from codegen_study.models import ModelConfig, attach_adapter, load_model, use_adapter
    from codegen_study.tasks.prompts import Prompt, prompt_ids, stop_ids
    from codegen_study.tasks.sources import load_problems

    mcfg = load_section(args.config, "model", ModelConfig)
    if args.precision:
        mcfg = replace(mcfg, precision=args.precision)
    model, tok = load_model(mcfg, device=args.device)
    prompt = Prompt.from_data(read_toml(args.config).get("data", {}), f"{args.config}[data]")
    ids = [tuple(prompt_ids(tok, p, prompt)) for p in load_problems(args.heldout, args.problems)]
    stops, pad = stop_ids(tok, model), tok.pad_token_id

    def run(model, requests, adapters=None, batch_size=None):
        return [r for batch in eng.generate(model, requests, engine="static", max_new_tokens=args.new_tokens,
                                            batch_size=batch_size or len(requests), stop_ids=stops, pad_id=pad,
                                            adapters=adapters)
                for r in batch]

    with tempfile.TemporaryDirectory() as tmp:
        folders = {name: Path(tmp) / name for name in ("a1", "a2")}
        for i, folder in enumerate(folders.values()):
            random_adapter(model, folder, seed=7 + i)
        t0 = time.perf_counter()
        shared = run(model, [eng.Request((s, i), x, None if s == "base" else s)
                             for s in ("base", *folders) for i, x in enumerate(ids)],
                     adapters={n: str(f) for n, f in folders.items()}, batch_size=args.shared_batch_size)
        alone = run(model, [eng.Request(("base", i), x) for i, x in enumerate(ids)])
        peft_model = attach_adapter(model, str(folders["a1"]), "a1")
        use_adapter(peft_model, "a1")
        alone += run(peft_model, [eng.Request(("a1", i), x) for i, x in enumerate(ids)])
        secs = time.perf_counter() - t0
        gaps = parting_gaps(peft_model, dict(enumerate(ids)), alone, shared, stops=stops)
    base = {r.key[1]: r.tokens for r in alone if r.key[0] == "base"}
    result = {"device": torch.cuda.get_device_name(args.device) if args.device.startswith("cuda")
              else platform.processor() or "cpu", "torch": torch.__version__, "precision": mcfg.precision,
              "problems": len(ids), "new_tokens": args.new_tokens, "shared_batch_size": args.shared_batch_size,
              "seconds": round(secs, 1),
              "all": compare(shared, alone), "base": compare(shared, [r for r in alone if r.key[0] == "base"]),
              "adapter": compare(shared, [r for r in alone if r.key[0] != "base"]),
              # at each parting, the one-state model's logit of its own token minus that of the shared batch's
              # token, given the common prefix: a rounding step or two means a near-tie that rounding decided
              "partings": gap_summary(gaps, compare(shared, alone)), "parting_gaps": gaps,
              # a check on the check: the adapters must change the answers, or agreement proves nothing
              "adapter_vs_base": compare_pairs([(base[r.key[1]], r.tokens) for r in alone if r.key[0] == "a1"])}
    for what in ("all", "base", "adapter", "adapter_vs_base"):
        a = result[what]
        print(f"{what:8} identical {a['identical']}/{a['rows']}, first difference {a['first_difference']}")
    print("logit gaps where rows part (one state's token minus the shared batch's, in rounding steps): "
          f"{[(g['key'][0], g['ulps']) for g in gaps]}")
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
