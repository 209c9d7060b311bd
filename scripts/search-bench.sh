#!/usr/bin/env bash
# Issue 17 bar: GA channel search vs uniform l1-filter and sensitivity-based amounts at ~40 % of the MACs, same
# fine-tuning (epochs, lr, data) for all three. Usage: scripts/search-bench.sh SEED OUTDIR [MODEL]
# Environment: HOLDOUT (held-out training images of the GA's fitness, default 2000), FINAL_TOP (genomes scored again
# in the final round, default 3; FINAL_EPOCHS and FINAL_SEEDS its fine-tune's epochs and seeds, default 0 = brief and 1), LIMIT and FINETUNE (training images and epochs of every arm's fine-tune, default
# 12000 and 2; LR their learning rate and the GA's fitness fine-tune's, default 0.001), RANK_BY (loss or accuracy, default loss), NOVELTY (--novelty-tries, default 4), ONLY=ga to skip the two baselines;
# DATA (default fashion-mnist; an .npz holding images the model never trained on keeps the fitness's held-out split
# unseen), NORMALIZE (default 0.2860,0.3530), POPULATION, GENERATIONS and FITNESS_IMAGES (the GA's size and the
# brief fine-tune of each evaluation, default 10, 5 and 2048; FITNESS_EPOCHS its epochs, 0 = the brief one: a larger graph needs cheaper evaluations).
# MobileNetV2-style graph (scripts/mobilenetv2-fmnist.py), session 14:
#   DATA=fm_tail.npz LIMIT=4000 FINETUNE=1 HOLDOUT=1000 FITNESS_IMAGES=256 POPULATION=8 GENERATIONS=4 FINAL_TOP=2 \
#     scripts/search-bench.sh SEED OUT mnv2.onnx
# session 15 (budget chosen on held-out training images for this graph: lr 0.001 leaves every pruned net near chance):
#   DATA=fm_tail.npz NORMALIZE=0.2860,0.3530 LIMIT=4000 FINETUNE=2 LR=0.01 HOLDOUT=1000 FITNESS_IMAGES=1024 POPULATION=8 \
#     GENERATIONS=4 FINAL_TOP=2 scripts/search-bench.sh SEED OUT src/test/resources/pytorch-normalized/mobilenetv2.onnx
# session 16 (every fitness at the output's budget, final round of the 4 best + the seeds at that budget over 2 seeds):
#   ... FITNESS_IMAGES=3000 FITNESS_EPOCHS=2 FINAL_TOP=4 FINAL_EPOCHS=2 FINAL_SEEDS=2 (the rest as session 15)
set -euo pipefail
seed=$1; out=$2; model=${3:-src/test/resources/pytorch-normalized/cnn.onnx}
mkdir -p "$out"
# NNZIP=cmd runs a fixed jar (so edits to the sources during a long run do not rebuild it midway)
nnzip=${NNZIP:-./nnzip}
common=(--data "${DATA:-fashion-mnist}" --normalize "${NORMALIZE:-0.2860,0.3530}" --limit "${LIMIT:-12000}" --finetune "${FINETUNE:-2}" --lr "${LR:-0.001}" --seed "$seed" --round-to 1 --json --no-progress)
$nnzip search "$model" --target-macs 0.4 --population "${POPULATION:-10}" --generations "${GENERATIONS:-5}" --fitness-images "${FITNESS_IMAGES:-2048}" --fitness-epochs "${FITNESS_EPOCHS:-0}" --holdout "${HOLDOUT:-2000}" \
  --final-top "${FINAL_TOP:-3}" --final-epochs "${FINAL_EPOCHS:-0}" --final-seeds "${FINAL_SEEDS:-1}" --rank-by "${RANK_BY:-loss}" --novelty-tries "${NOVELTY:-4}" \
  --checkpoint "$out/ga$seed.ck.json" --plan "$out/ga$seed.plan.json" --plot "$out/ga$seed.png" "${common[@]}" -o "$out/ga$seed.onnx" > "$out/ga$seed.json"
[[ "${ONLY:-}" == ga ]] && exit 0
$nnzip prune "$model" --structured --method l1-filter --amount 0.41 --latency-batch 0 "${common[@]}" -o "$out/uniform$seed.onnx" > "$out/uniform$seed.json"
$nnzip prune "$model" --structured --method l1-filter --amount-per-layer auto --target-macs 0.4 --latency-batch 0 "${common[@]}" -o "$out/sens$seed.onnx" > "$out/sens$seed.json"
