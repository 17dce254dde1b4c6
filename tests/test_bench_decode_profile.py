"""benchmarks/decode_profile.py runs its grid on a tiny study on CPU (`--device cpu`), so the GPU
measurement does not fail on the script itself; and the state it times attends the span asked."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import decode_profile  # noqa: E402
from test_study import make_study  # noqa: E402
from tiny_lm import make_model, make_tokenizer  # noqa: E402


def test_every_setting_of_the_grid_and_the_kernel_table(tmp_path, capsys):
    study = make_study(tmp_path)
    out = tmp_path / "profile.json"
    assert decode_profile.main(["--config", str(study["config"]), "--device", "cpu", "--rows", "2,4",
                                "--spans", "16,48", "--adapters", "0,2", "--steps", "16", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    grid = {(s["rows"], s["span"], s["adapters"]) for s in result["settings"]}
    assert grid == {(r, s, a) for r in (2, 4) for s in (16, 48) for a in (0, 2)}
    assert all(s["replay_ms"] > 0 and s["engine_ms"] > 0 for s in result["settings"])
    assert result["kernels"]["adapters"] == 2 and result["kernels"]["top"]
    assert "kernels of an eager step" in capsys.readouterr().out


def test_the_timed_state_attends_the_span_asked_with_each_rows_adapter(tmp_path):
    from codegen_study.evaluation.adapter_bank import AdapterBank
    from codegen_study.evaluation.static_engine import StaticEngine

    tok = make_tokenizer()
    model = make_model(tok)
    folders = decode_profile.random_adapters(model, tmp_path, 2, 4, ["q_proj", "v_proj"])
    with AdapterBank(model, folders) as bank:
        engine = StaticEngine(model, bank=bank, compact=False, span_step=4)
        with torch.inference_mode():
            st = decode_profile.decode_state(engine, 5, 40, 2, tok.pad_token_id)
            assert st.span == 40 and bool(st.valid[:, :40].all()) and st.adapter.tolist() == [1, 2, 1, 2, 1]
            replay, full = decode_profile.time_step(engine, st, 16)
            assert replay > 0 and full > 0 and st.slot == 1 and st.span == 40  # the span stayed the one timed
            assert engine.recentres == 0
