#!/bin/bash
# The same models coded by two nnzip builds (e.g. two .nnz format versions), with one set of encode options:
#   scripts/bench/nnz-format-ab.sh JAR_A JAR_B "provenance=compact;float_mantissa=5" OUTDIR MODEL.onnx ...
# JAR_x: a folder holding nnzip.jar and lib/ (`cp -r target/nnzip.jar target/lib DIR` after a build). Prints bytes per model.
set -euo pipefail
a=$1 b=$2 opts=$3 out=$4; shift 4
mkdir -p "$out"
src=$(cd "$(dirname "$0")" && pwd)/EncodeWith.java
enc() { java --add-modules jdk.incubator.vector -cp "$1/nnzip.jar:$1/lib/*" "$src" "$2" "$opts" "$3" 2>/dev/null; }
for f in "$@"; do
  n=$(basename "$f" .onnx)
  x=$(enc "$a" "$f" "$out/$n.a.nnz"); y=$(enc "$b" "$f" "$out/$n.b.nnz")
  awk -v n="$n" -v x="$x" -v y="$y" -v s="$(stat -c %s "$f")" 'BEGIN { printf "%s  ONNX %d B  A %d B (%.2fx)  B %d B (%.2fx)  B/A %.3f\n", n, s, x, s / x, y, s / y, y / x }'
done
