#!/usr/bin/env bash
# Issue 16's dense bar, A against B: the 3-conv CNN's forward (batch 256, 2 threads) against ONNX Runtime in the same
# process, cold (one pass per round after bench's 30 ms pause) and steady (--round-ms 100). Every figure is a fresh
# JVM, A and B alternate (A first in odd pairs, B first in even ones), and what counts is each process's own
# engine/ORT ratio_median; wall times across processes move with the machine's load, a ratio inside one much less.
#
#   scripts/bench/dense-idle-ab.sh JAR_A JAR_B [PAIRS=4] [ITERS=20] [MODES="cold-file cold-cnn steady-file steady-cnn"]
#
# JAR_X is an nnzip.jar with its lib/ beside it (or the folder holding both). Env: JAVA (default: the JDK 25
# scripts/java-env.sh picks), XMX (3g),
# MODEL (/work/art/cnn3.onnx), INPUT (/work/art/x256.npy), LOG (raw JSON appended there; default a temp file).
# Prints one line per process (mode, side, ratio_median, ratio, engine and ORT medians) and, per mode, how many of
# each side's ratio_median are <= 1.2 with their median.
set -euo pipefail
jar() { if [ -d "$1" ]; then echo "$1/nnzip.jar"; else echo "$1"; fi; }
A=$(jar "${1:?JAR_A}"); B=$(jar "${2:?JAR_B}")
pairs=${3:-4}; iters=${4:-20}
modes=${5:-cold-file cold-cnn steady-file steady-cnn}
# the jars need Java 25: the repo's JDK pick unless JAVA names one
if [ -z "${JAVA:-}" ]; then source "$(dirname "$0")/../java-env.sh"; fi
java=${JAVA:-java}; xmx=${XMX:-3g}
model=${MODEL:-/work/art/cnn3.onnx}; input=${INPUT:-/work/art/x256.npy}
log=${LOG:-$(mktemp /tmp/dense-idle-ab.XXXXXX.log)}
for f in "$A" "$B" "$model" "$input"; do [ -f "$f" ] || { echo "missing: $f" >&2; exit 2; }; done

args() {
  case $1 in
    cold-file) echo "bench $model --input $input --threads 2 --iters $iters --json" ;;
    cold-cnn) echo "bench cnn --threads 2 --iters $iters --json" ;;
    steady-file) echo "bench $model --input $input --threads 2 --iters $iters --round-ms 100 --json" ;;
    steady-cnn) echo "bench cnn --threads 2 --iters $iters --round-ms 100 --json" ;;
    *) echo "unknown mode $1" >&2; exit 2 ;;
  esac
}
# one number from bench's JSON: "key" : value
field() { sed -n "s/^ *\"$1\" : \([0-9.Ee+-]*\),\{0,1\}$/\1/p" "$2" | head -1; }

declare -A got
echo "A=$A B=$B pairs=$pairs iters=$iters log=$log ($(uptime | sed 's/.*load/load/'))"
for mode in $modes; do
  for ((i = 1; i <= pairs; i++)); do
    if ((i % 2)); then order="A B"; else order="B A"; fi
    for side in $order; do
      jarf=$A; [ "$side" = B ] && jarf=$B
      out=$(mktemp); err=$(mktemp)
      # shellcheck disable=SC2046
      if ! "$java" -XX:+UseParallelGC -Xmx"$xmx" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
        -jar "$jarf" $(args "$mode") > "$out" 2> "$err"; then
        echo "$mode $side: bench failed: $(grep -v '^WARNING' "$err" | tail -1)" >&2; rm -f "$out" "$err"; continue
      fi
      rm -f "$err"
      { echo "== $mode $side $i $(date -u +%T) $(uptime | sed 's/.*load average: //')"; cat "$out"; } >> "$log"
      rm_=$(field ratio_median "$out")
      printf '%-11s %s  ratio_median %s  ratio %s  engine %s  ort %s ms  (load %s)\n' "$mode" "$side" "$rm_" \
        "$(field ratio "$out")" "$(field engine_ms_median "$out")" "$(field ort_ms_median "$out")" \
        "$(uptime | sed 's/.*load average: \([0-9.]*\),.*/\1/')"
      got[$mode.$side]+="$rm_ "
      rm -f "$out"
    done
  done
done
echo "summary (ratio_median <= 1.2: count of processes; median):"
for mode in $modes; do
  for side in A B; do
    echo "${got[$mode.$side]:-}" | tr ' ' '\n' | sed '/^$/d' | sort -g |
      awk -v m="$mode" -v s="$side" '{v[NR] = $1; if ($1 <= 1.2) ok++}
        END {if (NR == 0) {print m, s, "no runs"; exit}
             med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
             printf "%-11s %s  %d of %d <= 1.2, median %.3f, all:", m, s, ok, NR, med
             for (i = 1; i <= NR; i++) printf " %s", v[i]; print ""}'
  done
done
