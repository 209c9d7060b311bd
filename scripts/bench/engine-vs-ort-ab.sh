#!/bin/bash
# Engine against ONNX Runtime (`nnzip bench`, batch 256 from /work/art/x256.npy-like input, 2 threads) for two builds,
# alternated per model, a 4 s pause before each process (ORT's spinning threads), real-time priority where allowed:
#   scripts/bench/engine-vs-ort-ab.sh JAR_DIR_A JAR_DIR_B ROUNDS INPUT.npy MODEL.onnx ...
# JAR_DIR holds nnzip.jar and lib/. Prints per run: round, model, build, engine and ORT best ms, their ratio and median ratio, load.
set -euo pipefail
source "$(dirname "$0")/../java-env.sh" > /dev/null
a=$1; b=$2; rounds=$3; x=$4; shift 4
for r in $(seq "$rounds"); do
  for f in "$@"; do
    for j in "$a" "$b"; do
      sleep 4
      o=$(chrt -r 10 java --add-modules jdk.incubator.vector -cp "$j/nnzip.jar:$j/lib/*" io.nnzip.cli.Main bench "$f" --input "$x" \
            --threads 2 --iters 10 --round-ms 100 --json 2>/dev/null | tr -d '\n ' || true)
      echo "$r $(basename "$f") $j $(echo "$o" | grep -o '"\(engine_ms\|ort_ms\|ratio\|ratio_median\)":[0-9.]*' | tr '\n' ' ') load $(cut -d' ' -f1 /proc/loadavg)"
    done
  done
done
