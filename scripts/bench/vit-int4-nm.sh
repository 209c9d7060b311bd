#!/bin/bash
# Issue 13's int4 and 2:4 bars with the plain commands, on trained ViT exports:
#   scripts/bench/vit-int4-nm.sh OUTDIR MODEL.onnx[:MEAN,STD] ...
# Prints, per model: float accuracy, int4 GPTQ file ratio and accuracy, SparseGPT 2:4 accuracy (ONNX Runtime, 10 000 test images).
set -euo pipefail
out=$1; shift
mkdir -p "$out"
source "$(dirname "$0")/vit-common.sh"
for spec in "$@"; do
  parse_spec "$spec"
  "$nnzip" quantize "$f" --scheme int4 --weight-only --gptq --data fashion-mnist "${norm[@]}" -o "$out/$n.int4.onnx" --json > "$out/$n.int4.json" 2>/dev/null
  "$nnzip" prune "$f" --nm 2:4 --method sparsegpt --data fashion-mnist "${norm[@]}" -o "$out/$n.nm.onnx" --json > "$out/$n.nm.json" 2>/dev/null
  ratio=$(awk -v a="$(stat -c %s "$out/$n.int4.onnx")" -v b="$(stat -c %s "$f")" 'BEGIN { printf "%.3f", a / b }')
  echo "$n float $(acc "$f" "${norm[@]}")  int4 file ${ratio}x acc $(acc "$out/$n.int4.onnx")  2:4 acc $(acc "$out/$n.nm.onnx")"
done
