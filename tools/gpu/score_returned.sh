#!/usr/bin/env bash
# Here (CPU): unpack what the GPU returned into data/runs/<model>/ and score it in the sandbox.
# usage: tools/gpu/score_returned.sh DIR_WITH_TGZ_FILES
set -euo pipefail
cd "$(dirname "$0")/../.."
src=$1; tmp=$(mktemp -d)
for f in "$src"/store-*.tgz "$src"/train-*.tgz; do [ -f "$f" ] && tar xzf "$f" -C "$tmp"; done
for c in base deep diverse; do
  [ -d "$tmp/$c" ] || continue
  mkdir -p data/runs/$c
  cp "$tmp/$c"/* data/runs/$c/
  if [ -d "$tmp/train-$c" ]; then
    cp "$tmp/train-$c/losses.jsonl" data/runs/$c/losses.jsonl
    cp "$tmp/train-$c/config.toml" data/runs/$c/train-config.toml
    [ -f "$tmp/train-$c/env.json" ] && cp "$tmp/train-$c/env.json" data/runs/$c/train-env.json
  fi
done
rm -rf "$tmp"
