"""The static engine's decode schedule replayed on a store's real answer lengths, without a model.

    python benchmarks/decode_schedule.py --store data/runs --out benchmarks/results/decode_schedule.json

Why: what a decode step costs on a GPU depends on what bounds it: launches (time follows the
number of steps), compute (rows x steps) or key/value bandwidth (every row attends over the step's
whole span: rows x span). Which schedule pays off, refilled rows or batch by batch, follows from
those counts, and they depend only on the prompt and answer lengths. This script runs the engine's
own scheduling code (`engine.generate` -> `decode_ring.RingSchedule`: sorting, batches, refills,
the span's growth, the ring's turn, finished rows leaving) with a scripted model whose rows end
where the store's answers ended (`completion_tokens`, or the token limit), and counts per policy:
decode steps, rows computed, slots attended, and the floor's slots (each live row's own context).

Given a time measured under one policy (`--measured batches=8.49`, seconds per model state), it
scales that time by each ratio: a prediction under each bound. Given two, it fits a step of a
fixed part plus a part per slot through both (two points fit any two-term model: a reading of
those measurements, not a test; and `adapter_batch.py`'s one-state row serves its adapter with
peft, the others with the bank). Given `decode_profile.py`'s table (`--profile`), it fits a step
as fixed + per row + per row and slot to the measured steps and costs each policy's decode steps
with it. Prefill, graph captures and the host's looks are left out of every prediction; nothing
here runs on a device.

Load: the store's greedy completions at each model's final checkpoint, every benchmark and prompt
style (the study's generation load, one model state per model).
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from codegen_study.evaluation.decode_ring import RingSchedule  # noqa: E402

STOP, TOKEN = 0, 1  # the scripted vocabulary: a stop token and any other token
#: what bounds a step -> the count its time follows
BOUNDS = {"overhead": "steps", "compute": "row_steps", "bandwidth": "slots_attended"}
#: how the load is decoded, as `adapter_batch.py` names its rows: `engine_all_states_batches` (batches),
#: `engine_all_states` (refill: rows refilled) and `engine_one_state` (each model state's prompts
#: alone, batch by batch); each also without the ring's turn (`_no_turn`: the engine before it had one)
POLICIES = {f"{name}{suffix}": dict(opts, turn=not suffix)
            for name, opts in (("batches", dict(refill=False)), ("refill", dict(refill=True)),
                               ("one_state", dict(refill=False, per_state=True)))
            for suffix in ("", "_no_turn")}


class _Threads:
    def run(self, fn, **_):
        return fn()

    def restore(self):
        pass


class ScriptedEngine(RingSchedule):
    """`RingSchedule` over a model that does no arithmetic: row i's answer is `lengths[i]` tokens,
    then the stop token (`stops[i]`) or nothing (it runs to the token limit). A prompt's first
    token is its request index + 2, so every request is its own prompt and the script finds it."""

    def __init__(self, lengths, stops, *, span_step: int = 128, turn: bool = True):
        import torch

        self.lengths = torch.tensor(lengths)
        self.stops_at = torch.tensor(stops)
        self.span_step, self.turn = span_step, turn
        self.device, self.dtype = torch.device("cpu"), torch.float32
        self.n_kv, self.head_dim, self.compact, self.bank = 1, 1, True, None
        self.inner = type("Inner", (), {"layers": [None]})()
        self.base = type("Base", (), {"lm_head": type("Head", (), {"weight": torch.zeros(2, 1)})()})()
        self.threads = _Threads()
        self.refills = self.recentres = self.compactions = 0
        self.counts = dict(steps=0, row_steps=0, live_row_steps=0, slots_attended=0, floor_slots=0, spans=0)

    def _rope_tables(self, n):
        return None

    def _stepper(self, st):
        self.counts["spans"] += 1  # a CUDA graph would be captured here
        return lambda: self._decode_step(st)

    def _prefill(self, ids, mask, st, rows, slots, adapter_ids, inverse, causal=False):
        import torch

        request = int(ids[0, 0]) - 2
        logits = torch.zeros(len(inverse), 2)
        ends = bool(self.stops_at[request]) and int(self.lengths[request]) == 0
        logits[:, STOP if ends else TOKEN] = 1.0
        return logits

    def _decode_step(self, st) -> None:
        import torch

        b = st.tok.shape[0]
        st.valid.index_fill_(1, st.t, True)
        if not hasattr(st, "request_of"):  # the call's prompt index -> the request it carries
            st.request_of = torch.tensor([p[0] - 2 for p in st.prompts])
        owner = torch.tensor(st.owner)
        live = (owner >= 0) & ~st.done
        request = st.request_of[owner.clamp(min=0)]
        stop_now = live & self.stops_at[request] & (st.n_gen == self.lengths[request])
        st.logits.zero_()
        st.logits[:, TOKEN] = 1.0
        st.logits[stop_now, STOP] = 2.0
        c = self.counts
        c["steps"] += 1
        c["row_steps"] += b
        c["live_row_steps"] += int(live.sum())
        c["slots_attended"] += b * st.span
        c["floor_slots"] += int(st.valid[live].sum())

    def _recentre(self, st) -> None:
        if self.turn:
            super()._recentre(st)


@contextmanager
def _scripted(factory):
    from codegen_study.evaluation import engine

    real = engine.StaticEngine
    engine.StaticEngine = factory
    try:
        yield engine
    finally:
        engine.StaticEngine = real


def simulate(rows, *, slots: int, max_new: int, policy: str, span_step: int = 128, states=None) -> dict:
    """Counts of one policy over `rows` [(prompt tokens, answer tokens, ended by a stop token)];
    `states` (one label a row) splits the load by model state for `one_state`."""
    opts = dict(POLICIES[policy])
    if opts.get("per_state"):
        parts = {}
        for row, state in zip(rows, states or [None] * len(rows)):
            parts.setdefault(state, []).append(row)
        each = "batches" if opts["turn"] else "batches_no_turn"
        counts = [simulate(part, slots=slots, max_new=max_new, policy=each, span_step=span_step)
                  for part in parts.values()]
        return {key: sum(c[key] for c in counts) for key in counts[0]}
    made = []

    def factory(_model, bank=None):
        made.append(ScriptedEngine([n for _, n, _ in rows], [s for _, _, s in rows], span_step=span_step,
                                   turn=opts["turn"]))
        return made[-1]

    with _scripted(factory) as engine:
        requests = [engine.Request(i, (i + 2,) + (TOKEN,) * (p - 1)) for i, (p, _, _) in enumerate(rows)]
        results = [r for group in engine.generate(None, requests, engine="static", max_new_tokens=max_new,
                                                  batch_size=slots, stop_ids=[STOP], pad_id=TOKEN,
                                                  refill=opts["refill"]) for r in group]
    run = made[0]
    wrong = [r.key for r in results if len(r.tokens) != min(rows[r.key][1], max_new)]
    if wrong:  # the script is the check: each answer must end where the store's did
        raise AssertionError(f"{len(wrong)} answers ended elsewhere than the store's, e.g. request {wrong[0]}")
    return {**run.counts, "refills": run.refills, "turns": run.recentres, "narrowings": run.compactions}


def load_rows(store: Path, max_new: int) -> tuple[list[tuple[int, int, bool]], list[str]]:
    """(prompt tokens, answer tokens, stopped) of every greedy completion at each model's final
    checkpoint, and each row's model (its model state)."""
    import polars as pl

    files = sorted(store.glob("*/completions.parquet"))
    if not files:
        sys.exit(f"{store}: no */completions.parquet")
    frame = pl.concat([pl.read_parquet(f, columns=["model", "step", "decoding", "prompt_tokens",
                                                   "completion_tokens", "finish_reason"]) for f in files])
    greedy = frame.filter(pl.col("decoding") == "greedy")
    final = greedy.filter(pl.col("step") == pl.col("step").max().over("model"))
    rows = [(p, min(n, max_new), reason == "stop") for p, n, reason in
            final.select("prompt_tokens", "completion_tokens", "finish_reason").iter_rows()]
    return rows, final["model"].to_list()


def parse_measured(items: list[str]) -> dict[str, float]:
    out = {}
    for item in items:
        policy, _, secs = item.partition("=")
        if policy not in POLICIES or not secs:
            sys.exit(f"--measured {item!r}: give POLICY=SECONDS with POLICY one of {', '.join(POLICIES)}")
        out[policy] = float(secs)
    if len(out) > 2:
        sys.exit("--measured: at most two policies")
    return out


def fit_step_cost(policies: dict, measured: dict[str, float], states: int) -> dict:
    """Seconds = steps x a + slots attended x c through two measured policies (per model state)."""
    (p1, s1), (p2, s2) = measured.items()
    n1, m1 = policies[p1]["steps"], policies[p1]["slots_attended"]
    n2, m2 = policies[p2]["steps"], policies[p2]["slots_attended"]
    det = n1 * m2 - n2 * m1
    if det == 0:
        sys.exit(f"--measured: {p1} and {p2} have proportional counts; no fit")
    t1, t2 = s1 * states, s2 * states
    a, c = (t1 * m2 - t2 * m1) / det, (n1 * t2 - n2 * t1) / det
    return {"through": measured, "ms_per_step": round(a * 1e3, 3), "ns_per_slot": round(c * 1e9, 3),
            "predicted_s_per_state": {k: round((v["steps"] * a + v["slots_attended"] * c) / states, 2)
                                      for k, v in policies.items()}}


def read_profile(path: Path) -> list[dict]:
    """`decode_profile.py`'s settings: its JSON, or the table it prints (a log)."""
    text = path.read_text()
    if path.suffix == ".json":
        return json.loads(text)["settings"]
    settings = []
    for line in text.splitlines():
        cells = line.split()
        if len(cells) == 5 and not line.startswith("#") and all(c.replace(".", "", 1).isdigit() for c in cells):
            settings.append(dict(zip(("rows", "span", "adapters", "replay_ms", "engine_ms"), map(float, cells))))
    if not settings:
        sys.exit(f"{path}: no decode_profile.py settings found")
    return settings


def profile_cost(policies: dict, settings: list[dict], states: int) -> dict:
    """Per adapter count of the profile: a step's replay time fitted as fixed + per row + per row and
    slot attended (least squares over the profiled rows and spans), and every policy's decode steps
    costed with it (seconds per model state). Prefill, graph captures and the host's look every 16
    steps are not in it."""
    import numpy as np

    out = {}
    for n in sorted({int(x["adapters"]) for x in settings}):
        rows = [x for x in settings if int(x["adapters"]) == n]
        design = np.array([[1.0, x["rows"], x["rows"] * x["span"]] for x in rows])
        times = np.array([x["replay_ms"] for x in rows])
        (fixed, per_row, per_slot), *_ = np.linalg.lstsq(design, times, rcond=None)
        out[str(n)] = {"ms_per_step": round(fixed, 3), "us_per_row": round(per_row * 1e3, 3),
                       "ns_per_slot": round(per_slot * 1e6, 3),
                       "max_residual_ms": round(float(np.abs(design @ [fixed, per_row, per_slot] - times).max()), 3),
                       "predicted_s_per_state": {
                           k: round((c["steps"] * fixed + c["row_steps"] * per_row + c["slots_attended"] * per_slot)
                                    / 1e3 / states, 2) for k, c in policies.items()}}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=Path("data/runs"))
    parser.add_argument("--slots", type=int, default=1024, help="decode rows (the study's eval batch_size)")
    parser.add_argument("--max-new-tokens", type=int, default=512)
    parser.add_argument("--span-step", type=int, default=128)
    parser.add_argument("--limit", type=int, help="the first N rows only (a check of the script)")
    parser.add_argument("--measured", action="append", default=[], metavar="POLICY=S",
                        help="seconds per model state measured on a device under POLICY (once or twice)")
    parser.add_argument("--profile", type=Path,
                        help="decode_profile.py's JSON or printed table: cost each policy's steps with it")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)

    rows, labels = load_rows(args.store, args.max_new_tokens)
    rows, labels = (rows[: args.limit], labels[: args.limit]) if args.limit else (rows, labels)
    states = len(set(labels))
    print(f"{args.store}: {len(rows)} greedy answers of {states} model states, {args.slots} decode rows, "
          f"token limit {args.max_new_tokens}", flush=True)
    result = {"store": str(args.store), "rows": len(rows), "states": states, "slots": args.slots,
              "max_new_tokens": args.max_new_tokens, "span_step": args.span_step,
              "answer_tokens": sum(n for _, n, _ in rows), "policies": {}}
    for policy in POLICIES:
        result["policies"][policy] = simulate(rows, slots=args.slots, max_new=args.max_new_tokens, policy=policy,
                                              span_step=args.span_step, states=labels)
    measured = parse_measured(args.measured)
    first = next(iter(measured), "batches")
    base = result["policies"][first]
    print(f"\n{'policy':<18} {'steps':>7} {'rows/step':>9} {'live':>6} {'slots attended':>15} {'x floor':>8} "
          f"{'refills':>8} {'turns':>6}")
    for policy, c in result["policies"].items():
        c["rows_per_step"] = round(c["row_steps"] / c["steps"], 1)
        c["live_share"] = round(c["live_row_steps"] / c["row_steps"], 4)
        c["attended_vs_floor"] = round(c["slots_attended"] / c["floor_slots"], 2)
        c["vs_measured_policy"] = {bound: round(c[key] / base[key], 4) for bound, key in BOUNDS.items()}
        print(f"{policy:<18} {c['steps']:>7} {c['rows_per_step']:>9} {c['live_share']:>6.0%} "
              f"{c['slots_attended']:>15,} {c['attended_vs_floor']:>8} {c['refills']:>8} {c['turns']:>6}")
    if measured:
        result["measured_s_per_state"] = measured
        print(f"\nscaled from {measured[first]:g} s per state measured under {first}:")
        for policy, c in result["policies"].items():
            c["predicted_s_per_state"] = {bound: round(measured[first] * ratio, 2)
                                          for bound, ratio in c["vs_measured_policy"].items()}
            p = c["predicted_s_per_state"]
            print(f"  {policy:<18} {min(p.values()):.2f}-{max(p.values()):.2f} s per state (" +
                  ", ".join(f"{bound}: {v:.2f}" for bound, v in p.items()) + ")")
    if len(measured) == 2:
        fit = fit_step_cost(result["policies"], measured, states)
        result["fit"] = fit
        print(f"\nthrough both measurements: a step costs {fit['ms_per_step']:.2f} ms + {fit['ns_per_slot']:.2f} ns "
              f"per slot attended; predicted s per state: " +
              ", ".join(f"{k} {v:.2f}" for k, v in fit["predicted_s_per_state"].items()))
    if args.profile:
        fits = profile_cost(result["policies"], read_profile(args.profile), states)
        result["profile"] = {"file": str(args.profile), "by_adapters": fits}
        for n, fit in fits.items():
            costs = ", ".join(f"{k} {v:.2f}" for k, v in fit["predicted_s_per_state"].items())
            print(f"\nprofiled step, {n} adapters: {fit['ms_per_step']:.2f} ms + {fit['us_per_row']:.2f} us per row "
                  f"+ {fit['ns_per_slot']:.2f} ns per row and slot (largest miss {fit['max_residual_ms']:.2f} ms); "
                  f"decode steps alone, s per state: {costs}")
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
