#!/bin/bash
# Issue 13's training bar: one epoch of the PyTorch-exported ViT fine-tuned by `nnzip train --init` (and, with
# MODEL=vit, `nnzip train --model vit`) against PyTorch training the same architecture, same batch, 2 threads,
# alternated ROUNDS times in one run so both see the same machine load. Prints each pair and the ratio of
# epoch times (nnzip / PyTorch; ≤ 1 meets the bar), best and median.
# With tv, both sides are torchvision's VisionTransformer of that size (nn.MultiheadAttention), nnzip fine-tuning
# PyTorch's opset-17 export of it.
#   scripts/bench/vit-train-vs-torch.sh [LIMIT (0 = full epoch)] [ROUNDS] [op17|op13|vit|tv]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
limit=${1:-0}
rounds=${2:-1}
which=${3:-op17}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
case "$which" in
  vit) src=(--model vit) ;;
  tv) VIT=tv VIT_EXPORT="$work/tv17.onnx" /usr/bin/python3 "$here/scripts/bench/vit_train_torch.py"
      export VIT=tv
      src=(--init "$work/tv17.onnx") ;;
  *) src=(--init "$here/src/test/resources/transformers/vit_$which.onnx") ;;
esac
lim=(); [ "$limit" -gt 0 ] && lim=(--limit "$limit")
for r in $(seq 1 "$rounds"); do
  # PyTorch's own settings for the peer only: OpenBLAS single-threaded under torch's 2 intra-op threads
  (unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE; export OPENBLAS_NUM_THREADS=1
   /usr/bin/python3 "$here/scripts/bench/vit_train_torch.py" "$limit" 128) > "$work/torch$r.json"
  NNZIP_JAVA_OPTS=${NNZIP_JAVA_OPTS:--Xmx4g -Xmn512m} "$here/nnzip" train "${src[@]}" --data fashion-mnist "${lim[@]}" --epochs 1 --lr 0.001 \
    --batch 128 --threads 2 --no-progress --json -o "$work/vit.onnx" > "$work/nnzip$r.json"
done
/usr/bin/python3 - "$work" "$rounds" <<'PY'
import json, statistics, sys
w, n = sys.argv[1], int(sys.argv[2])
ratios, cpus = [], []
for r in range(1, n + 1):
    t = json.load(open(f"{w}/torch{r}.json"))
    z = json.load(open(f"{w}/nnzip{r}.json"))
    # images/s compares like with like: nnzip's epoch time excludes its validation pass, as PyTorch's does
    ratio = t["images_per_second"] / z["images_per_second"]
    # CPU seconds of each whole process (all threads) over the epoch: less sensitive to the machine's load than wall
    # time, though PyTorch's OpenMP threads spin while waiting and so count more than their work
    cpu = z["cpu_seconds_per_epoch"] / t["cpu_seconds"]
    ratios.append(ratio)
    cpus.append(cpu)
    print(json.dumps({"round": r, "torch_images_per_s": t["images_per_second"], "torch_s": t["seconds"], "torch_cpu_s": t["cpu_seconds"],
                      "nnzip_images_per_s": z["images_per_second"], "nnzip_s": z["seconds_per_epoch"], "nnzip_cpu_s": z["cpu_seconds_per_epoch"],
                      "nnzip_val_accuracy": z.get("val_accuracy"), "epoch_time_ratio_nnzip_over_torch": round(ratio, 3),
                      "cpu_ratio_nnzip_over_torch": round(cpu, 3)}))
print(json.dumps({"ratio_best": round(min(ratios), 3), "ratio_median": round(statistics.median(ratios), 3),
                  "cpu_ratio_best": round(min(cpus), 3), "cpu_ratio_median": round(statistics.median(cpus), 3)}))
PY
