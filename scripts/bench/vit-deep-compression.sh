#!/bin/bash
# Issue 13's deep-compression bar (>= 20x at <= 1 pt) with the plain command, on trained ViT exports:
#   scripts/bench/vit-deep-compression.sh OUTDIR MODEL.onnx[:MEAN,STD] ...
# Per model: `compress --recipe deep-compression --nnz`, then the .nnz is decoded and both the float model and the
# decoded one are evaluated in ONNX Runtime on the 10 000 test images; the ratio is float ONNX bytes / .nnz bytes.
set -euo pipefail
out=$1; shift
mkdir -p "$out"
source "$(dirname "$0")/vit-common.sh"
for spec in "$@"; do
  parse_spec "$spec"
  t0=$(date +%s)
  "$nnzip" compress "$f" --recipe deep-compression --data fashion-mnist "${norm[@]}" -o "$out/$n.dc.onnx" --nnz "$out/$n.dc.nnz" \
    --json --no-progress > "$out/$n.dc.json" 2> "$out/$n.dc.err"
  t1=$(date +%s)
  "$nnzip" decode "$out/$n.dc.nnz" -o "$out/$n.dc.decoded.onnx" --json > /dev/null
  before=$(acc "$f" "${norm[@]}"); after=$(acc "$out/$n.dc.decoded.onnx" "${norm[@]}")
  awk -v n="$n" -v a="$(stat -c %s "$f")" -v b="$(stat -c %s "$out/$n.dc.nnz")" -v x="$before" -v y="$after" -v s=$((t1 - t0)) \
    'BEGIN { printf "%s float %.4f (%d B)  .nnz %d B = %.2fx  decoded %.4f (drop %.2f pts)  %d s\n", n, x, a, b, a / b, y, 100 * (x - y), s }'
  grep -E '"status"|"outcome"' "$out/$n.dc.json" | tr -s ' ' | paste -sd ' ' | sed 's/^/  steps: /'
done
