#!/usr/bin/env bash
# GPU call 3 (carry .whlbnb): the seed recipe speed (int8 + fp16 + HF Trainer), then resume the study.
set -uo pipefail
source tools/gpu/common.sh
install_wheels .whlbnb/*.whl || exit 1
timeout 150 python3 benchmarks/train_speed.py --only a --seconds 30 --out $OUT/train_a.json 2>&1 | tail -8 | tee $OUT/train_a.log
bash tools/gpu/study.sh "${1:-420}"
