#!/usr/bin/env bash
# The torchvision bar of structured pruning: ResNet-18, MobileNetV2, SqueezeNet 1.1 and ShuffleNetV2 exactly as
# torch.onnx.export writes them (opset 13, dynamic batch, torchvision's own random initialization), pruned by
# `nnzip prune --structured --method l1-filter --amount 0.5`; ONNX Runtime latency at batch 8 on 2 threads.
# Needs Debian's python3-torch and python3-torchvision. Prints a Markdown table (BENCHMARKS.md keeps one).
# usage: [MODELS="resnet18 ..."] [RUNS=20] scripts/zoo-prune-check.sh [WORKDIR]   (default: a fresh temp dir; ~90 MB of exports)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dir=${1:-$(mktemp -d)}
mkdir -p "$dir"
models=${MODELS:-resnet18 mobilenet_v2 squeezenet1_1 shufflenet_v2_x1_0}
# shellcheck disable=SC2086
/usr/bin/python3 scripts/torchvision-export.py "$dir" --opset 13 $models >/dev/null 2>"$dir/export.log"
echo "| model | MACs before | MACs after | MACs kept | ORT ms before | ORT ms after | latency kept (median) | fastest run kept | latency cut / MAC cut | output shape |"
echo "|---|---|---|---|---|---|---|---|---|---|"
fail=0
for m in $models; do
  ./nnzip prune "$dir/$m.onnx" --structured --method l1-filter --amount 0.5 --latency-batch 8 --threads 2 --latency-runs "${RUNS:-20}" \
    -o "$dir/$m.pruned.onnx" --json >"$dir/$m.json" 2>"$dir/$m.log" || { echo "| $m | prune failed: $(tail -1 "$dir/$m.log") |"; fail=1; continue; }
  ./nnzip info "$dir/$m.onnx" --json >"$dir/$m.info.json"
  ./nnzip info "$dir/$m.pruned.onnx" --json >"$dir/$m.pruned.info.json"
  /usr/bin/python3 - "$dir" "$m" <<'PY' || fail=1
import json, sys
d, m = sys.argv[1], sys.argv[2]
r = json.load(open(f"{d}/{m}.json"))
shape = lambda f: json.dumps(json.load(open(f)).get("outputs"), sort_keys=True)
same = shape(f"{d}/{m}.info.json") == shape(f"{d}/{m}.pruned.info.json")
mb, ma = r["before"]["macs"], r["after"]["macs"]
lat = r["ort_latency"]
mac_cut, lat_cut = 1 - ma / mb, 1 - lat["median_ratio"]
ratio = lat_cut / mac_cut if mac_cut > 0 else 0
ok = same and mac_cut >= 0.4 and ratio >= 0.7
print(f"| {m} | {mb/1e6:.0f} M | {ma/1e6:.0f} M | {ma/mb:.2f} | {lat['before_median_ms']:.1f} | {lat['after_median_ms']:.1f} "
      f"| {lat['median_ratio']:.2f} | {lat['min_ratio']:.2f} | {ratio:.2f} | {'unchanged' if same else 'CHANGED'} |" + ("" if ok else " FAIL"))
sys.exit(0 if ok else 1)
PY
done
exit $fail
