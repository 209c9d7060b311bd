#!/bin/bash
# ONNX Runtime latency as a user's process sees it: one fresh process per model (ORT's default spinning on, 2 intra-op
# threads, batch 256 of random 28x28 images, RUNS timed runs after 3 warm-up), models alternating, ROUNDS rounds, a
# 1 s pause between processes. Prints per model the median of each round and, per round, the ratio of each model's
# median to the first model's (so a host slowdown between rounds cancels within a round as far as it can).
# Usage: scripts/bench/ort-pairs.sh ROUNDS RUNS first.onnx other.onnx ...
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/java-env.sh
ROUNDS=$1; RUNS=$2; shift 2
CP="target/nnzip.jar:target/lib/*"
for r in $(seq "$ROUNDS"); do
  line="round $r:"
  first=""
  for m in "$@"; do
    med=$("$JAVA_HOME/bin/java" -Dspin=1 --add-modules jdk.incubator.vector -cp "$CP" scripts/OrtLatency.java "$RUNS" "$m" 2>/dev/null | tail -1 | sed -E 's/.*median ([0-9.]+) ms;.*/\1/')
    if [ -z "$first" ]; then first=$med; fi
    line="$line $(basename "$m" .onnx) $med ms ($(awk -v a="$med" -v b="$first" 'BEGIN{printf "%.3f", a/b}'))"
    sleep 1
  done
  echo "$line"
done
