#!/usr/bin/python3
"""Modelled scale-out of nnzip's data-parallel training (issue 15) from measured runs.

Reads `nnzip train --spark ... --json` outputs (one per exchange) and prints a markdown table: images/s for 1..64
workers on a 10 Gbit/s network, each worker stepping on the same per-worker batch (weak scaling).
Model of one round (K local steps): K * step_compute + up + down + overhead, where
  up   = N * message_bytes / bandwidth        (treeAggregate gathers the compressed messages into the driver's link)
  down = message_bytes * ceil(log2(N + 1)) / bandwidth   (torrent broadcast: the pieces fan out in about log2 N hops)
  overhead = 5 ms per round (Spark's per-job scheduling, measured ~ tens of ms on a loaded 2-core box; 5 ms idle).
Threshold exchange (session 11) forwards the workers' messages: the driver sends all N of them down, and each worker
thins its message to the density 0.08/(1+N) (UpdateCodec.density), so a message shrinks as N grows and what each
link carries stays near 0.08 of the parameters' entries. Its row scales the measured message by that rule.
step_compute is the measured per-worker compute time of one local step; message_bytes the measured bytes per message.
Usage: scaleout_model.py [--compute SECONDS] RUN.json [RUN.json ...]
  --compute replaces the measured step compute (e.g. an idle-machine figure); without a float run, a float32 row
  (4 bytes per parameter) is added for comparison.
"""
import json
import math
import sys

BANDWIDTH = 10e9 / 8  # bytes/s
OVERHEAD = 0.005
rows = []
args = sys.argv[1:]
compute = None
if args[:1] == ["--compute"]:
    compute, args = float(args[1]), args[2:]
for path in args:
    d = json.load(open(path))
    s = d["spark"]
    k, workers = s["local_steps"], s["workers"]
    if s["exchange"] == "threshold":
        # bytes_per_step counts N up messages and, forwarded, N messages down to each of N workers
        msg = s["bytes_per_step"] / (workers + workers * workers)
        rows.append((f'threshold (forwarded), K={k}', compute or s["compute_seconds_per_local_step"], msg, k, s["parameters"], workers))
        continue
    # bytes_per_step counts N up messages and N copies of the down message per round
    msg = s["bytes_per_step"] / (2 * workers)
    rows.append((f'{s["exchange"]}, K={k}', compute or s["compute_seconds_per_local_step"], msg, k, s["parameters"], None))
if rows and not any(r[0].startswith("float") for r in rows):
    rows.insert(0, ("float (4 B/parameter), K=1", rows[0][1], 5 + 4 * rows[0][4], 1, rows[0][4], None))
ns = [1, 2, 4, 8, 16, 32, 64]
print("| exchange | step compute (s) | message (bytes) | " + " | ".join(f"N={n}" for n in ns) + " |")
print("|---|---|---|" + "---|" * len(ns))
def density(n):
    return 0.08 / (1 + n)


for name, tc, msg, k, p, measured_at in rows:
    cells = []
    for n in ns:
        if measured_at is None:
            down = msg
            m = msg
        else:
            m = msg * density(n) / density(measured_at)
            down = n * m  # the N forwarded messages, broadcast together
        comm = 0 if n == 1 else n * m / BANDWIDTH + down * math.ceil(math.log2(n + 1)) / BANDWIDTH + OVERHEAD
        speedup = n * k * tc / (k * tc + comm)
        cells.append(f"{speedup:.1f}×")
    print(f"| {name} | {tc:.4f} | {msg:,.0f} | " + " | ".join(cells) + " |")
print()
print("Cells: throughput relative to one worker without any exchange (ideal = N×).")
