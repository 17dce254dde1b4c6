#!/usr/bin/env bash
# GPU call 1 (carry .whl .carry/g1): wheels, GGUF part 1 to /tmp, speed benchmarks (b) and generation.
set -uo pipefail
source tools/gpu/common.sh
install_wheels .whl/*.whl || exit 1
cp .carry/g1/part /tmp/gguf.part00 && cp .carry/g1/gguf.sha256 /tmp/gguf.sha256
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee $OUT/gpu.txt
python3 -c "import torch, transformers, peft; print(torch.__version__, transformers.__version__, peft.__version__)" | tee -a $OUT/gpu.txt
timeout 170 python3 benchmarks/gen_speed.py --out $OUT/gen_speed.json 2>&1 | tee $OUT/gen_speed.log | tail -25
for v in "--micro-batch 16" "--micro-batch 32 --liger" "--micro-batch 32 --liger --compile"; do
  timeout 100 python3 benchmarks/train_speed.py --only b $v --seconds 15 --out $OUT/train_b_$(echo $v | tr -dc 'a-z0-9').json 2>&1 | tail -6
done 2>&1 | tee $OUT/train_b.log
ls -la /tmp/gguf.part00
