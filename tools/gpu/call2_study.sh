#!/usr/bin/env bash
# GPU call 2 (carry .carry/g2 .carry/study): join the GGUF, train deep + diverse (fast path,
# same effective batch 16 as the seed recipe), then generate for base + every checkpoint.
set -uo pipefail
source tools/gpu/common.sh
if [ ! -f /tmp/model/SmolLM2-135M-Instruct.Q4_1.gguf ]; then
  mkdir -p /tmp/model && cat /tmp/gguf.part00 .carry/g2/part > /tmp/model/SmolLM2-135M-Instruct.Q4_1.gguf
fi
echo "$(cat .carry/g2/gguf.sha256)  /tmp/model/SmolLM2-135M-Instruct.Q4_1.gguf" | sha256sum -c - || exit 3
tar xzf .carry/study/corpora.tgz && cp .carry/study/lcb41.jsonl /tmp/lcb41.jsonl
bash tools/gpu/study.sh "${1:-600}"
