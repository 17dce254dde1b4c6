"""benchmarks/decode_schedule.py replays the engine's own scheduling on scripted answer lengths: every
answer must end where the script says, and the counts must be the schedule's (16 steps between looks
at the host, refilled rows, finished rows leaving)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import decode_schedule  # noqa: E402

FIXTURE = Path(__file__).parent / "fixtures" / "store_2x2" / "runs"

# (prompt tokens, answer tokens, ended by a stop token): one long answer (its prompt, the longest,
# enters first) and four short ones, through two rows
ROWS = [(12, 60, True), (10, 5, True), (10, 5, True), (10, 5, True), (10, 5, True)]


def test_refilled_rows_take_fewer_steps_than_batches_on_the_engines_own_schedule():
    batches = decode_schedule.simulate(ROWS, slots=2, max_new=512, policy="batches")
    refill = decode_schedule.simulate(ROWS, slots=2, max_new=512, policy="refill")
    # batch by batch: [long, short] runs 64 steps (61 tokens, looked at every 16), then two batches of 16
    assert batches["steps"] == 64 + 16 + 16 and batches["refills"] == 0
    # refilled: each 16-step look gives the short answers' row the next prompt; the long one sets the end
    assert refill["steps"] == 64 and refill["refills"] == 3
    assert refill["live_row_steps"] == batches["live_row_steps"]  # the same answers, decoded in other company
    for counts in (batches, refill):
        assert counts["slots_attended"] >= counts["floor_slots"] > 0


def test_an_answer_that_ends_elsewhere_than_the_script_is_caught(monkeypatch):
    real = decode_schedule.ScriptedEngine.__init__

    def off_by_one(self, lengths, stops, **kw):
        real(self, [n + 1 for n in lengths], stops, **kw)

    monkeypatch.setattr(decode_schedule.ScriptedEngine, "__init__", off_by_one)
    with pytest.raises(AssertionError, match="ended elsewhere"):
        decode_schedule.simulate(ROWS, slots=2, max_new=512, policy="refill")


def test_answers_at_the_token_limit_and_a_stores_load(tmp_path, capsys):
    rows = [(8, 20, False), (8, 0, True), (6, 3, True)]  # runs to the limit; stops at once; stops after 3
    counts = decode_schedule.simulate(rows, slots=2, max_new=20, policy="refill")
    assert counts["steps"] == 32  # 20 tokens: the first from the prompt, 19 steps, seen at the second look
    loaded, labels = decode_schedule.load_rows(FIXTURE, 512)
    assert len(set(labels)) == len(list(FIXTURE.glob("*/completions.parquet"))) and len(loaded) == len(labels)
    out = tmp_path / "schedule.json"
    assert decode_schedule.main(["--store", str(FIXTURE), "--slots", "64", "--measured", "batches=2",
                                 "--measured", "one_state=3", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert set(result["policies"]) == set(decode_schedule.POLICIES)
    measured = result["policies"]["batches"]["predicted_s_per_state"]
    assert measured == {"overhead": 2.0, "compute": 2.0, "bandwidth": 2.0}  # the measured policy scales by 1
    fitted = result["fit"]["predicted_s_per_state"]
    assert fitted["batches"] == pytest.approx(2, abs=0.01) and fitted["one_state"] == pytest.approx(3, abs=0.01)
    assert "refill" in capsys.readouterr().out


def test_one_state_at_a_time_is_each_states_batches_summed():
    states = ["a", "b", "a", "b", "b"]
    one = decode_schedule.simulate(ROWS, slots=2, max_new=512, policy="one_state", states=states)
    parts = [decode_schedule.simulate([r for r, s in zip(ROWS, states) if s == x], slots=2, max_new=512,
                                      policy="batches") for x in "ab"]
    assert one["steps"] == sum(p["steps"] for p in parts) and one["row_steps"] == sum(p["row_steps"] for p in parts)


def test_a_profiled_step_cost_is_fitted_and_costs_each_policys_steps(tmp_path):
    fixed, per_row, per_slot = 2.0, 0.004, 1e-5  # ms; a step's replay = fixed + rows x per_row + rows x span x per_slot
    settings = [{"rows": r, "span": s, "adapters": a, "replay_ms": fixed + a + r * per_row + r * s * per_slot,
                 "engine_ms": 0.0} for r in (4, 16) for s in (32, 96) for a in (0, 3)]
    printed = tmp_path / "profile.log"
    printed.write_text("# a header line\n  rows   span adapters  replay ms  engine ms\n" + "".join(
        f"{x['rows']:>6} {x['span']:>6} {x['adapters']:>8} {x['replay_ms']:>10.6f} {x['engine_ms']:>10.2f}\n"
        for x in settings))
    as_json = tmp_path / "profile.json"
    as_json.write_text(json.dumps({"settings": settings}))
    read = decode_schedule.read_profile(printed)
    assert [(x["rows"], x["span"], x["adapters"]) for x in read] == [(x["rows"], x["span"], x["adapters"])
                                                                     for x in settings]
    assert [x["replay_ms"] for x in read] == pytest.approx([x["replay_ms"] for x in settings], abs=1e-6)
    policies = {"p": {"steps": 100, "row_steps": 800, "slots_attended": 40_000}}
    fits = decode_schedule.profile_cost(policies, decode_schedule.read_profile(as_json), states=2)
    assert set(fits) == {"0", "3"}
    assert fits["3"]["ms_per_step"] == pytest.approx(fixed + 3) and fits["0"]["us_per_row"] == pytest.approx(4.0)
    assert fits["0"]["ns_per_slot"] == pytest.approx(10.0) and fits["0"]["max_residual_ms"] < 1e-6
    expected = (100 * fixed + 800 * per_row + 40_000 * per_slot) / 1e3 / 2
    assert fits["0"]["predicted_s_per_state"]["p"] == pytest.approx(expected, abs=0.01)
