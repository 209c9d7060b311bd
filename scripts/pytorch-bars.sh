#!/bin/bash
# Issue 12's accuracy bars on models trained by PyTorch on NORMALIZED input ((x/255 - 0.2860)/0.3530), the
# normalization given only on the command line (--normalize), as a user with a foreign model would:
#   90 % global magnitude + 1 epoch on the MLP 784-300-100-10 (within 0.5 pts);
#   int8 static PTQ of a CNN (within 0.3 pts, <= 0.3x file, <= 0.7x ORT latency at batch 256, 2 threads): the
#   small fixture CNN (16/32/32 channels) and the ~390k-parameter one of make_teacher.py (3 epochs);
#   structured pruning of the small CNN to 50 % of its MACs + 3 epochs (within 1 pt).
#   scripts/pytorch-bars.sh [WORK_DIR] [MLP_EPOCHS,CNN_EPOCHS]     (needs Debian's python3-torch)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/nnzip-pytorch-bars}
epochs=${2:-10,5}
mkdir -p "$work"
if [ ! -f "$work/cnn.onnx" ]; then
  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 "$here/src/test/resources/pytorch-normalized/make_fixtures.py" \
    /usr/share/datasets/fashion-mnist "$work" "$epochs" | tee "$work/train.log"
fi
if [ ! -f "$work/big.onnx" ]; then
  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 "$here/src/test/resources/pytorch-normalized/make_teacher.py" "$work/big.onnx" 3 | tee "$work/big.log"
fi
norm=(--data fashion-mnist --normalize 0.2860,0.3530 --no-progress --json)
"$here/nnzip" prune "$work/mlp.onnx" --method magnitude --scope global --amount 0.9 --finetune 1 "${norm[@]}" \
  -o "$work/mlp-p90.onnx" > "$work/mlp-p90.json"
"$here/nnzip" quantize "$work/cnn.onnx" --scheme int8 --calib-data fashion-mnist --eval-data fashion-mnist \
  --latency-batch 256 --threads 2 --normalize 0.2860,0.3530 --no-progress --json -o "$work/cnn-int8.onnx" > "$work/cnn-int8.json"
"$here/nnzip" quantize "$work/big.onnx" --scheme int8 --calib-data fashion-mnist --eval-data fashion-mnist \
  --latency-batch 256 --threads 2 --normalize 0.2860,0.3530 --no-progress --json -o "$work/big-int8.onnx" > "$work/big-int8.json"
"$here/nnzip" prune "$work/cnn.onnx" --structured --method l1-filter --target-macs 0.5 --finetune 3 --latency-batch 256 \
  --threads 2 "${norm[@]}" -o "$work/cnn-s50.onnx" > "$work/cnn-s50.json"
/usr/bin/python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
def load(n): return json.load(open(f"{w}/{n}.json"))
def acc(r, k):
    v = r
    for p in k.split("."): v = v[p]
    return v
p = load("mlp-p90"); q = load("cnn-int8"); b = load("big-int8"); s = load("cnn-s50")
print(json.dumps({"mlp_magnitude_90": {k: p.get(k) for k in ("before", "after", "accuracy_drop_points")},
                  "cnn_int8": q.get("comparison"), "big_cnn_int8": b.get("comparison"),
                  "cnn_structured_50": {k: s.get(k) for k in ("before", "after", "accuracy_drop_points", "ort_latency")}}, indent=1))
PY
