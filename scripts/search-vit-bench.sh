#!/usr/bin/env bash
# Issue 17 on a foreign (PyTorch-exported) graph: GA search over per-block head counts and MLP widths of the
# 4-block ViT fixture at 50 % of the MACs vs the uniform structured prune (half the heads and MLP neurons of every
# block), same fine-tuning (epochs, lr, images). Usage: scripts/search-vit-bench.sh SEED OUTDIR
# Environment: NNZIP=cmd runs a fixed jar; LIMIT training (and test) images, default 10000; POP, GENS.
set -euo pipefail
seed=$1; out=$2; model=src/test/resources/transformers/vit_op17.onnx
mkdir -p "$out"
nnzip=${NNZIP:-./nnzip}
common=(--data fashion-mnist --limit "${LIMIT:-10000}" --finetune 1 --lr 0.001 --seed "$seed" --json --no-progress)
$nnzip search "$model" --target-macs 0.5 --population "${POP:-8}" --generations "${GENS:-3}" --fitness-images 1024 --holdout 2000 \
  --final-top 3 --checkpoint "$out/ga$seed.ck.json" --plan "$out/ga$seed.plan.json" --plot "$out/ga$seed.png" "${common[@]}" \
  -o "$out/ga$seed.onnx" > "$out/ga$seed.json" 2> "$out/ga$seed.log"
$nnzip prune "$model" --structured --method l1-filter --amount 0.5 --latency-batch 0 "${common[@]}" -o "$out/uniform$seed.onnx" > "$out/uniform$seed.json"
