"""The training probe beside a capped study: per arm, how much lower its own validation loss went."""

from __future__ import annotations

from types import SimpleNamespace

import polars as pl

from analysis import probe


def losses(rows):
    return pl.DataFrame([dict(model=m, step=s, split=sp, loss=v) for m, s, sp, v in rows])


def capped_study():
    rows = []
    for arm, end in (("deep-wide", 0.66), ("diverse-narrow", 0.026)):
        for seed, shift in ((1, -0.01), (2, 0.0), (3, 0.01)):
            model = f"{arm}-s{seed}"
            rows += [(model, 100, "valid", 1.0), (model, 250, "valid", end + shift), (model, 250, "valid_shared", 2.0)]
    return SimpleNamespace(losses=losses(rows), training={m: {} for m in {r[0] for r in rows}})


def the_probe(wide_stop="time_limit"):
    rows = [("deep-wide-s1", 200, "valid", 0.55), ("deep-wide-s1", 231, "valid", 0.42),
            ("deep-wide-s1", 600, "valid", 0.05), ("deep-wide-s1", 648, "valid", 0.043),
            ("diverse-narrow-s1", 231, "valid", 0.024), ("diverse-narrow-s1", 400, "valid", 0.018),
            ("diverse-narrow-s1", 600, "valid", 0.019), ("diverse-narrow-s1", 600, "valid_shared", 2.5)]
    training = {"deep-wide-s1": {"step": 648, "best_step": 648, "stop_reason": wide_stop},
                "diverse-narrow-s1": {"step": 600, "best_step": 400, "stop_reason": "early_stopping"}}
    return SimpleNamespace(losses=losses(rows), training=training)


def test_each_arm_set_beside_its_probe_at_the_capped_step_and_at_the_probes_best():
    frame = probe.probe_frame(capped_study(), the_probe())
    wide = frame.row(by_predicate=pl.col("arm") == "deep-wide", named=True)
    assert (wide["capped_runs"], wide["capped_step"]) == (3, 250)
    assert abs(wide["capped_loss"] - 0.66) < 1e-9
    assert (wide["probe_at_cap_step"], wide["probe_at_cap"]) == (231, 0.42)  # the last evaluation at or before 250
    assert (wide["probe_best_step"], wide["probe_loss"]) == (648, 0.043)
    narrow = frame.row(by_predicate=pl.col("arm") == "diverse-narrow", named=True)
    assert (narrow["probe_best_step"], narrow["probe_loss"], narrow["probe_stop"]) == (400, 0.018, "early_stopping")
    assert "15.3" in probe.probe_table(frame).as_raw_html()  # 0.66 / 0.043


def test_the_sentence_says_which_arm_stopped_early_and_which_was_still_improving():
    text = probe.probe_sentence(probe.probe_frame(capped_study(), the_probe()))
    assert "lower own validation loss than the capped runs' last evaluation in every arm" in text
    assert "deep-wide 0.043 at step 648 against 0.660" in text
    assert "Early stopping fired for diverse-narrow (step 600, best 400)." in text
    assert "Deep-wide was still improving when the probe stopped, so even its loss is an upper bound on where it" \
        in text
    assert text.endswith("What the lower loss does to Pass@1 is not measured.")
    done = probe.probe_sentence(probe.probe_frame(capped_study(), the_probe("early_stopping")))
    assert "still improving" not in done


def test_a_probe_that_did_not_go_lower_is_counted_and_no_probe_says_so():
    worse = the_probe()
    worse.losses = worse.losses.with_columns(
        loss=pl.when((pl.col("model") == "deep-wide-s1") & (pl.col("step") == 648)).then(0.9).otherwise("loss"))
    assert "in 1 of 2 arms" in probe.probe_sentence(probe.probe_frame(capped_study(), worse))
    assert probe.probe_frame(capped_study(), None).height == 0
    assert probe.probe_sentence(probe.probe_frame(capped_study(), None)).startswith("No training probe is stored")
    assert "no training probe" in probe.probe_table(probe.probe_frame(capped_study(), None)).as_raw_html()


def test_the_scope_line_gives_each_arms_capped_loss_as_a_multiple_of_the_probes():
    line = probe.scope_sentence(probe.probe_frame(capped_study(), the_probe()))
    assert line.endswith("own validation loss was 15.3 times as high for deep-wide and 1.4 for diverse-narrow.")
    assert probe.scope_sentence(probe.probe_frame(capped_study(), None)).startswith("No training probe is stored")
