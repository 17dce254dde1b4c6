#!/usr/bin/env bash
# Copy what the study has so far to $OUT (small files only: no adapter weights).
source tools/gpu/common.sh
cd $W || exit 0
for c in base deep diverse; do
  [ -d $c ] || continue
  tar czf $OUT/store-$c.tgz $c/*.jsonl $c/*.toml $c/*.json 2>/dev/null
done
for c in deep diverse; do
  [ -d train-$c ] || continue
  tar czf $OUT/train-$c.tgz train-$c/*.jsonl train-$c/*.toml train-$c/*.json $(ls -d train-$c/checkpoint-step-* 2>/dev/null | sed 's#$#/*.json#') 2>/dev/null
done
ls -la $OUT; du -sh $W/* 2>/dev/null
