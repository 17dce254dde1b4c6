"""Generation on the study's real load: seconds per model state for HF `generate` + peft, the
static engine one state at a time, and the engine with every state in one batch; and the floor.

    python benchmarks/adapter_batch.py --config configs/offline-study.toml \\
        --out benchmarks/results/adapter_batch.json

Load: every benchmark of the study's `[eval]` (held-out, LiveCodeBench, HumanEval) under every
prompt style, greedy, with the study's stop tokens and token limit. Model states: the base and the
final checkpoint of every trained run (13 with twelve runs; the study's `train` stage must have
run); `--states N` takes N states, earlier checkpoints (latest first) after the final ones.
Rows, in one process on one GPU:

  hf_generate_peft   transformers `generate`, the first run's adapter attached with peft (one state)
  engine_one_state   the static engine, one state at a time, adapter attached with peft (the base
                     and the first run's adapter)
  engine_all_states  the static engine, every state in one batch (`adapter_bank`: each row its own
                     adapter), `[eval] max_adapters` states an engine call, `batch_size` rows kept
                     decoding (a finished answer's row takes the next waiting prompt)
  engine_all_states_batches
                     the same, cut into batches of `batch_size` rows decoded one after another,
                     each until its longest answer ends (`--skip-batches` leaves it out)

`s_per_state` is each row's seconds over the states it decoded. The floor is the time to read, at
the GPU's memory bandwidth, the key/value bytes the decode must read at least: each generated token
attends to its prompt and the tokens before it, so a row of prompt p and n new tokens reads
n*p + n(n-1)/2 cached tokens of (2 x layers x KV heads x head size x bytes) each; weights and
compute are left out (the floor is a lower bound). `agreement` is the share of rows whose greedy
tokens are identical between `engine_all_states` and `engine_one_state` for the states both ran;
`agreement_by_rows` splits it into base and adapter rows and adds HF `generate` against the engine
for the same state (two implementations of one computation: how far bf16 greedy drifts anyway),
each with the answer token at which differing rows first part. `partings` says whether the shared
batch and one state part at near-ties: at each parting, the one-state model's logit gap between the
two tokens in rounding steps of its precision (`parting_gaps`, one forward pass a row), and the
share of rows identical or parted within `NEAR_TIE_ULPS` steps.
Measured on a GPU; `--device cpu --limit N --bandwidth B` runs the same rows on a few problems, a
check that the script works before GPU time is spent on it (tests/test_bench_adapter_batch.py).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

#: memory bandwidth (bytes/s) by GPU name, from the vendors' data sheets
BANDWIDTH = {"H200": 4.8e12, "H100 PCIe": 2.0e12, "H100 NVL": 3.9e12, "H100": 3.35e12, "A100": 2.0e12}


def bandwidth(name: str) -> float:
    found = [v for k, v in BANDWIDTH.items() if k in name]
    if not found:
        sys.exit(f"no memory bandwidth known for {name!r}; give it with --bandwidth BYTES_PER_S")
    return found[0]


def kv_bytes_per_token(model) -> int:
    cfg = model.config
    heads = cfg.num_attention_heads
    kv = getattr(cfg, "num_key_value_heads", None) or heads
    dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // heads
    return 2 * cfg.num_hidden_layers * kv * dim * model.get_input_embeddings().weight.element_size()


def floor_seconds(results, per_token: int, bw: float) -> float:
    tokens = sum(len(r.tokens) * r.prompt_tokens + len(r.tokens) * (len(r.tokens) - 1) // 2 for r in results)
    return tokens * per_token / bw


AGREEMENT_WORDS = {"all": "shared batch vs one state at a time", "base": "the same, base rows",
                   "adapter": "the same, adapter rows",
                   "batches_vs_refill": "every state, batch by batch vs refilled rows",
                   "hf_vs_engine_one_state": "HF generate vs the engine, one adapter attached with peft"}


def parting(x, y) -> int | None:
    """The index of the first answer token where `x` and `y` differ (the shorter length when one is a
    prefix of the other); None when they are identical."""
    if x == y:
        return None
    return next((i for i, (a, b) in enumerate(zip(x, y)) if a != b), min(len(x), len(y)))


def compare(first, second) -> dict:
    """Rows of `second` whose greedy tokens equal `first`'s for the same key (`compare_pairs`)."""
    tokens = {r.key: r.tokens for r in first}
    return compare_pairs([(tokens[r.key], r.tokens) for r in second if r.key in tokens])


def compare_pairs(pairs) -> dict:
    """Identical token sequences among `pairs`, and where the others part: the index of the first
    differing answer token (median and 10th-90th percentile). Greedy decoding in bf16 parts at a
    near-tie whenever two computations round differently, and stays parted after."""
    parted = sorted(i for i in (parting(x, y) for x, y in pairs) if i is not None)

    def at(q: float):
        return parted[min(int(q * len(parted)), len(parted) - 1)] if parted else None

    same = len(pairs) - len(parted)
    return {"rows": len(pairs), "identical": same, "share": round(same / max(len(pairs), 1), 4),
            "first_difference": {"median": at(0.5), "p10": at(0.1), "p90": at(0.9)}}


#: a parting at most this many rounding steps of the logit apart is a near-tie (`parting_gaps`)
NEAR_TIE_ULPS = 2


def logit_ulp(value: float, dtype) -> float:
    """The rounding step of a logit of this size in `dtype` (bf16 holds 8 significant bits: 0.125 at 20)."""
    import math

    import torch

    return torch.finfo(dtype).eps * 2.0 ** math.floor(math.log2(max(abs(value), torch.finfo(dtype).tiny)))


def parting_gaps(model, prompts, reference, other, *, stops=(), limit: int | None = None) -> list[dict]:
    """Where a row of `reference` parts from `other`'s row of the same key: the logit of the reference's
    token minus that of the other's token, scored by `model` alone (one row, no padding) on the prompt
    and the common prefix; in logits (`gap`) and in rounding steps of the model's precision (`ulps`).

    Why: greedy decoding follows the larger logit, so two computations of one state that round
    differently part where two tokens nearly tie, and stay parted. A gap of a rounding step or two
    is such a near-tie; a gap of many steps means the two paths compute different things, which no
    rounding explains. Where one answer ended and the other ran on, its token is the best of `stops`
    (answers keep no stop token); without `stops` such a parting is left unscored (`gap` None).
    Rows labelled "base" are scored with the peft adapter disabled, the others with `model` as it is
    (the one-state model). `prompts` maps a row's prompt key to its token ids; `limit` scores the
    first partings only (the scoring is a forward pass a row)."""
    import contextlib

    import torch

    theirs = {r.key: r.tokens for r in other}
    dtype = model.get_input_embeddings().weight.dtype
    device = model.get_input_embeddings().weight.device
    gaps = []
    for r in reference:
        mine = theirs.get(r.key)
        at = None if mine is None else parting(r.tokens, mine)
        if at is None:
            continue
        if limit is not None and len(gaps) >= limit:
            break
        ended = at >= min(len(r.tokens), len(mine))
        if ended and not stops:
            gaps.append({"key": list(r.key), "at": at, "gap": None, "ulps": None})
            continue
        plain = model.disable_adapter() if r.key[0] == "base" and hasattr(model, "disable_adapter") else None
        with torch.no_grad(), plain or contextlib.nullcontext():
            ids = torch.tensor([list(prompts[r.key[1]]) + list(r.tokens[:at])], device=device)
            logits = model(input_ids=ids).logits[0, -1].float()
        stop = float(logits[list(stops)].max()) if ended else None
        own = float(logits[r.tokens[at]]) if at < len(r.tokens) else stop
        their = float(logits[mine[at]]) if at < len(mine) else stop
        step = logit_ulp(max(abs(own), abs(their)), dtype)
        gaps.append({"key": list(r.key), "at": at, "gap": round(own - their, 6), "ulps": round((own - their) / step, 2),
                     "ended": ended})
    return gaps


def gap_summary(gaps: list[dict], agreement: dict) -> dict:
    """How many partings are near-ties (`NEAR_TIE_ULPS`) and the spread of their gaps (`ended`: those
    where one answer ended); and the share of rows that are identical or part at a near-tie, a lower
    bound: a parting not scored (past `limit`, or an ended one without stop ids) counts against it."""
    steps = sorted(abs(g["ulps"]) for g in gaps if g["ulps"] is not None)
    near = sum(s <= NEAR_TIE_ULPS for s in steps)

    def at(q: float):
        return steps[min(int(q * len(steps)), len(steps) - 1)] if steps else None

    return {"parted": agreement["rows"] - agreement["identical"], "scored": len(steps),
            "ended": sum(bool(g.get("ended", g["ulps"] is None)) for g in gaps), "near_ties": near,
            "near_tie_ulps": NEAR_TIE_ULPS,
            "abs_ulps": {"median": at(0.5), "p90": at(0.9), "max": steps[-1] if steps else None},
            "identical_or_near_tie_share": round((agreement["identical"] + near) / max(agreement["rows"], 1), 4)}


def sync() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def timed(model, requests, cfg, stops, pad, adapters=None, engine="static", refill=True):
    from codegen_study.evaluation import engine as eng

    sync()
    t0 = time.perf_counter()
    out = [r for batch in eng.generate(model, requests, engine=engine, max_new_tokens=cfg.max_new_tokens,
                                       batch_size=cfg.batch_size, stop_ids=stops, pad_id=pad, adapters=adapters,
                                       refill=refill)
           for r in batch]
    sync()
    return out, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/offline-study.toml")
    parser.add_argument("--out", type=Path, help="JSON results file")
    parser.add_argument("--states", type=int,
                        help="model states in the shared batch (default: the base + every run's final checkpoint; "
                             "more states take earlier checkpoints, latest first)")
    parser.add_argument("--skip-hf", action="store_true", help="leave out the HF generate row")
    parser.add_argument("--skip-batches", action="store_true", help="leave out the batch-by-batch engine row")
    parser.add_argument("--device", default="cuda", help="cuda (the measurement) or cpu (a check of the script)")
    parser.add_argument("--limit", type=int, help="the first N problems of each benchmark (a check, not the load)")
    parser.add_argument("--bandwidth", type=float, help="memory bandwidth in bytes/s (default: the GPU's data sheet)")
    parser.add_argument("--gap-rows", type=int, default=2000,
                        help="parted rows whose logit gap at the parting is scored (a forward pass each)")
    parser.add_argument("--precision", choices=["bf16", "fp16", "fp32"],
                        help="the base model's precision (default: the study's [model]); fp32 leaves little to "
                             "rounding, so the paths' agreement shows what else differs")
    args = parser.parse_args(argv)

    import torch

    from codegen_study.core.config import load_section
    from codegen_study.evaluation import engine as eng
    from codegen_study.evaluation.generate import adapter_name
    from codegen_study.models import attach_adapter, load_model, use_adapter
    from codegen_study.study import StudyConfig, load_benchmarks, make_plan, study_prompt
    from codegen_study.tasks.prompts import prompt_ids, stop_ids

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        sys.exit("adapter_batch.py measures a GPU; no CUDA device here (--device cpu checks the script)")
    plan = make_plan(load_section(args.config, "study", StudyConfig))
    cfg = replace(plan.eval, limit=args.limit) if args.limit else plan.eval
    finals = {}
    for t in plan.targets:
        if t.adapter is not None and t.step >= finals.get(t.model, t).step:
            finals[t.model] = t
    # past the final checkpoints, earlier ones (latest first): real adapters for a larger batch of states
    earlier = sorted((t for t in plan.targets if t.adapter is not None and t not in finals.values()),
                     key=lambda t: (-t.step, t.model))
    states = [None] + [replace(t, model=adapter_name(t)) for t in [*finals.values(), *earlier]]
    states = states[: args.states] if args.states else [None] + states[1: len(finals) + 1]
    t0 = time.perf_counter()
    model_cfg = replace(plan.model, precision=args.precision) if args.precision else plan.model
    model, tok = load_model(model_cfg, device=args.device)
    load_s = time.perf_counter() - t0
    stops, pad = stop_ids(tok, model), tok.pad_token_id
    prompt = study_prompt(plan)  # the training conversation's format and system prompt
    prompts = [(f"{b}/{style}/{p.id}", tuple(prompt_ids(tok, p, replace(prompt, style=style))))
               for b, problems in load_benchmarks(cfg).items() for p in problems for style in cfg.prompts]
    lengths = [len(ids) for _, ids in prompts]
    name = torch.cuda.get_device_name(args.device) if args.device.startswith("cuda") else platform.processor() or "cpu"
    per_token = kv_bytes_per_token(model)
    bw = args.bandwidth or bandwidth(name)
    print(f"{name}: {len(prompts)} prompts, {len(states)} model states in {model_cfg.precision}, "
          f"batch {cfg.batch_size}, max {cfg.max_new_tokens} new tokens; model loaded in {load_s:.1f} s; prompts of "
          f"{min(lengths)}-{max(lengths)} tokens (median {statistics.median(lengths):g})", flush=True)

    def requests(state):
        label = "base" if state is None else state.model
        return [eng.Request((label, key), ids, None if state is None else label) for key, ids in prompts]

    rows = {}
    # every state in one batch, on the plain base (the bank hooks its linear layers)
    shared = [r for s in states for r in requests(s)]
    adapters = {s.model: s.adapter for s in states if s is not None}
    groups = [list(adapters)[i:i + cfg.max_adapters] for i in range(0, len(adapters), cfg.max_adapters)]
    for key, refill in (("engine_all_states", True), ("engine_all_states_batches", False)):
        if not refill and args.skip_batches:
            continue
        all_out, secs = [], 0.0
        for g, names in enumerate(groups or [[]]):
            part = [r for r in shared if r.adapter in set(names) | ({None} if g == 0 else set())]
            out, s = timed(model, part, cfg, stops, pad, adapters={n: adapters[n] for n in names}, refill=refill)
            all_out += out
            secs += s
        rows[key] = (all_out, secs, len(states))
        print(f"{key}: {secs:.1f} s, {secs / len(states):.2f} s per state", flush=True)
    # one state at a time with peft: the base, then the first run's adapter
    base_out, s = timed(model, requests(None), cfg, stops, pad)
    one = list(base_out)
    secs = s
    if len(states) > 1:
        first = states[1]
        model = attach_adapter(model, first.adapter, "first")
        use_adapter(model, "first")
        out, s = timed(model, [replace(r, adapter=None) for r in requests(first)], cfg, stops, pad)
        one += out
        secs += s
    rows["engine_one_state"] = (one, secs, min(2, len(states)))
    print(f"engine_one_state: {secs:.1f} s for {min(2, len(states))} states", flush=True)
    if not args.skip_hf and len(states) > 1:
        out, s = timed(model, [replace(r, adapter=None) for r in requests(states[1])], cfg, stops, pad, engine="hf")
        rows["hf_generate_peft"] = (out, s, 1)
        print(f"hf_generate_peft: {s:.1f} s for 1 state", flush=True)

    one_state = rows["engine_one_state"][0]
    agreement = {"all": compare(rows["engine_all_states"][0], one_state),
                 "base": compare(rows["engine_all_states"][0], [r for r in one_state if r.key[0] == "base"]),
                 "adapter": compare(rows["engine_all_states"][0], [r for r in one_state if r.key[0] != "base"])}
    if "engine_all_states_batches" in rows:  # the same rows, other batch-mates
        agreement["batches_vs_refill"] = compare(rows["engine_all_states_batches"][0], rows["engine_all_states"][0])
    if "hf_generate_peft" in rows:  # two implementations of one state: how far bf16 greedy drifts anyway
        agreement["hf_vs_engine_one_state"] = compare(rows["hf_generate_peft"][0], one_state)
    # where the shared batch parts from one state at a time: near-ties, or different computations?
    gaps = parting_gaps(model, dict(prompts), one_state, rows["engine_all_states"][0], stops=stops,
                        limit=args.gap_rows)
    partings = gap_summary(gaps, agreement["all"])
    floor = floor_seconds(rows["engine_all_states"][0], per_token, bw) / len(states)
    result = {
        "gpu": name, "precision": model_cfg.precision, "python": platform.python_version(), "torch": torch.__version__,
        "prompts": len(prompts),
        "states": len(states), "batch_size": cfg.batch_size, "max_new_tokens": cfg.max_new_tokens,
        "max_adapters": cfg.max_adapters, "load_seconds": round(load_s, 1),
        # the refilled engine's ring holds the longest prompt plus the token limit; a row needs its own
        "prompt_tokens": {"min": min(lengths), "median": statistics.median(lengths), "max": max(lengths)},
        "kv_bytes_per_token": per_token, "bandwidth_bytes_per_s": bw, "floor_s_per_state": float(f"{floor:.4g}"),
        "agreement": agreement["all"], "agreement_by_rows": agreement,
        "partings": partings, "parting_gaps": gaps,
        "s_per_state": {}, "rows": {},
    }
    print(f"\n{'row':<20} {'s/state':>8} {'states':>7} {'tokens/s':>9}  x floor")
    for key, (out, secs, n) in rows.items():
        toks = sum(len(r.tokens) for r in out)
        result["s_per_state"][key] = round(secs / n, 3)
        result["rows"][key] = {"seconds": round(secs, 2), "states": n, "answer_tokens": toks,
                               "tokens_per_s": round(toks / secs, 1)}
        print(f"{key:<20} {secs / n:>8.2f} {n:>7} {toks / secs:>9.0f}  {secs / n / floor:>6.1f}")
    print(f"{'floor':<20} {floor:>8.2f}   (KV bytes read at {bw / 1e12:.2f} TB/s)")
    for what, a in agreement.items():
        print(f"identical greedy tokens, {AGREEMENT_WORDS[what]}: {a['identical']}/{a['rows']} rows; rows that "
              f"differ first differ at answer token {a['first_difference']} (median, 10th-90th percentile)")
    print(f"where they part, the one-state model's logit gap between the two tokens: {partings['near_ties']} of "
          f"{partings['scored']} scored partings within {NEAR_TIE_ULPS} rounding steps (median "
          f"{partings['abs_ulps']['median']}, 90th percentile {partings['abs_ulps']['p90']}); "
          f"{partings['ended']} of them where one answer ended; identical or parted at a near-tie: "
          f"{partings['identical_or_near_tie_share']:.1%} of rows")
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
