#!/usr/bin/env bash
# Issue 17 bar: dynamic network surgery vs one-shot magnitude pruning at the same sparsity and fine-tuning epochs
# on PyTorch's Fashion-MNIST MLP. Usage: scripts/dns-bench.sh OUTDIR [AMOUNT] [EPOCHS]
set -euo pipefail
out=$1; amount=${2:-0.95}; epochs=${3:-2}
mkdir -p "$out"
nnzip=${NNZIP:-./nnzip}
model=src/test/resources/pytorch-normalized/mlp.onnx
common=(--data fashion-mnist --normalize 0.2860,0.3530 --limit 12000 --amount "$amount" --scope global --finetune "$epochs" --latency-batch 0 --json --no-progress)
$nnzip prune "$model" --method dns "${common[@]}" -o "$out/dns.onnx" > "$out/dns.json"
$nnzip prune "$model" --method magnitude "${common[@]}" -o "$out/magnitude.onnx" > "$out/magnitude.json"
