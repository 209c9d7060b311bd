#!/usr/bin/python3
"""Independent count of what `nnzip info MODEL --bottleneck` reports, from the shapes a run of the graph gives.

usage: bottleneck_counts.py MODEL.onnx BATCH [NNZIP_JSON]
       bottleneck_counts.py --fixtures BATCH   (writes bottleneck_counts.json for the graphs next to this script)
Storage: initializer bytes. The graph is run once here on a random batch (numpy, convolutions and
pools by torch.nn.functional) for every value's shape. MACs: Conv = output elements x (C/group x kH x kW), Gemm/MatMul = output elements x K.
Activations: every value that is not static (an initializer, a Constant's output, a Shape's output, or computed only
from those) lives from the step that makes it (graph inputs: step 0) to its last reader in file order (graph outputs:
the last step); the peak is the largest sum of live bytes. With NNZIP_JSON (the output of info --bottleneck --json),
compares per layer and prints the differences.
"""
import json
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

if sys.argv[1] == "--fixtures":
    import glob
    import os
    import subprocess
    here = os.path.dirname(os.path.abspath(__file__))
    out = {}
    for f in sorted(glob.glob(os.path.join(here, "*.onnx"))):
        line = subprocess.run([sys.executable, __file__, f, sys.argv[2]], check=True, capture_output=True, text=True).stdout.splitlines()[0]
        out[os.path.basename(f)[:-5]] = json.loads(line)
    with open(os.path.join(here, "bottleneck_counts.json"), "w") as fh:
        json.dump({"batch": int(sys.argv[2]), "models": out}, fh, indent=1)
    sys.exit(0)
path, batch = sys.argv[1], int(sys.argv[2])
m = onnx.load(path)
g = m.graph
inits = {t.name: t for t in g.initializer}
size = {1: 4, 7: 8, 6: 4, 9: 1, 10: 2, 11: 8, 3: 1, 2: 1}
dtype_code = {np.dtype(np.float32): 1, np.dtype(np.int64): 7, np.dtype(np.int32): 6, np.dtype(np.bool_): 9, np.dtype(np.float64): 11}


def attrs(n):
    return {a.name: helper.get_attribute_value(a) for a in n.attribute}


def conv_pads(n, a, x, k, strides, dil):
    """Explicit [top, left, bottom, right] pads, auto_pad resolved as ONNX defines it."""
    ap = a.get("auto_pad", b"NOTSET").decode()
    if ap in ("SAME_UPPER", "SAME_LOWER"):
        pads = []
        for i in range(2):
            out = -(-x.shape[2 + i] // strides[i])
            total = max(0, (out - 1) * strides[i] + (k[i] - 1) * dil[i] + 1 - x.shape[2 + i])
            pads.append((total // 2, total - total // 2) if ap == "SAME_UPPER" else (total - total // 2, total // 2))
        return [pads[0][0], pads[1][0], pads[0][1], pads[1][1]]
    return list(a.get("pads", [0, 0, 0, 0]))


def run(n, v):
    """One node on numpy values (convolutions and pools through torch.nn.functional): its outputs."""
    import torch
    import torch.nn.functional as F
    a, x = attrs(n), [v[i] if i else None for i in n.input]
    op = n.op_type
    if op == "Constant":
        return [numpy_helper.to_array(a["value"])]
    if op == "Shape":
        return [np.array(x[0].shape, np.int64)]
    if op in ("Identity", "Dropout"):
        return [x[0]]
    if op == "Cast":
        return [x[0].astype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[a["to"]])]
    if op == "Gather":
        return [np.take(x[0], x[1], axis=a.get("axis", 0))]
    if op == "Unsqueeze":
        y = x[0]
        for ax in sorted(int(i) % (y.ndim + len(x[1])) for i in x[1]):
            y = np.expand_dims(y, ax)
        return [y]
    if op == "Concat":
        return [np.concatenate(x, axis=a["axis"])]
    if op in ("Add", "Mul", "Div", "Sub"):
        f = {"Add": np.add, "Mul": np.multiply, "Sub": np.subtract}.get(op)
        if op == "Div":
            return [(x[0] // x[1]) if x[0].dtype.kind == "i" else x[0] / x[1]]
        return [f(x[0], x[1])]
    if op == "Relu":
        return [np.maximum(x[0], 0)]
    if op == "Clip":
        lo = x[1] if len(x) > 1 and x[1] is not None else -np.inf
        hi = x[2] if len(x) > 2 and x[2] is not None else np.inf
        return [np.clip(x[0], lo, hi).astype(x[0].dtype)]
    if op == "Reshape":
        shape = [x[0].shape[i] if d == 0 else d for i, d in enumerate(x[1])]
        return [x[0].reshape(shape)]
    if op == "Transpose":
        return [np.transpose(x[0], a.get("perm"))]
    if op == "Flatten":
        ax = a.get("axis", 1)
        return [x[0].reshape(int(np.prod(x[0].shape[:ax])), -1)]
    if op == "Slice":
        axes = x[3] if len(x) > 3 and x[3] is not None else range(len(x[1]))
        steps = x[4] if len(x) > 4 and x[4] is not None else [1] * len(x[1])
        sl = [slice(None)] * x[0].ndim
        for st, en, ax, sp in zip(x[1], x[2], axes, steps):
            sl[int(ax)] = slice(int(st), int(max(min(en, 2**62), -2**62)), int(sp))
        return [x[0][tuple(sl)]]
    if op == "Split":
        parts = np.cumsum(x[1])[:-1] if len(x) > 1 and x[1] is not None else len(n.output)
        return np.split(x[0], parts, axis=a.get("axis", 0))
    if op == "ConstantOfShape":
        val = numpy_helper.to_array(a["value"]) if "value" in a else np.zeros(1, np.float32)
        return [np.full(tuple(x[0]), val[0], val.dtype)]
    if op == "ReduceMean":
        return [x[0].mean(axis=tuple(a["axes"]), keepdims=bool(a.get("keepdims", 1)))]
    if op == "GlobalAveragePool":
        return [x[0].mean(axis=(2, 3), keepdims=True)]
    if op == "Pad":
        p = x[1]
        half = len(p) // 2
        val = float(x[2]) if len(x) > 2 and x[2] is not None else 0.0
        return [np.pad(x[0], [(p[i], p[i + half]) for i in range(half)], constant_values=val)]
    if op == "Gemm":
        A = x[0].T if a.get("transA", 0) else x[0]
        B = x[1].T if a.get("transB", 0) else x[1]
        y = a.get("alpha", 1.0) * A @ B
        return [y + a.get("beta", 1.0) * x[2] if len(x) > 2 and x[2] is not None else y]
    if op == "MatMul":
        return [x[0] @ x[1]]
    t = torch.from_numpy(np.array(x[0]))
    if op == "Conv":
        w = torch.from_numpy(np.array(x[1]))
        k, st, dil = w.shape[2:], a.get("strides", [1, 1]), a.get("dilations", [1, 1])
        pt, pl, pb, pr = conv_pads(n, a, x[0], k, st, dil)
        t = F.pad(t, (pl, pr, pt, pb))
        b = torch.from_numpy(np.array(x[2])) if len(x) > 2 else None
        return [F.conv2d(t, w, b, stride=st, dilation=dil, groups=a.get("group", 1)).numpy()]
    if op == "MaxPool":
        k, st = a["kernel_shape"], a.get("strides", [1, 1])
        pt, pl, pb, pr = conv_pads(n, a, x[0], k, st, [1, 1])
        if (pt, pl) != (pb, pr):
            raise SystemExit("asymmetric MaxPool pads")
        return [F.max_pool2d(t, k, st, (pt, pl), ceil_mode=bool(a.get("ceil_mode", 0))).numpy()]
    raise SystemExit("op not evaluated here: " + op)


# run the graph once on a random batch: every value's real shape and type
values = {k: numpy_helper.to_array(t) for k, t in inits.items()}
for v in g.input:
    if v.name in values:
        continue
    dims = [d.dim_value if d.HasField("dim_value") else batch for d in v.type.tensor_type.shape.dim]
    values[v.name] = np.random.default_rng(0).random(dims, dtype=np.float32)
for n in g.node:
    for o, y in zip(n.output, run(n, values)):
        values[o] = np.asarray(y)
types = {k: (dtype_code[y.dtype], list(y.shape)) for k, y in values.items()}


def nbytes(name):
    et, shape = types[name]
    return int(np.prod(shape, dtype=np.int64)) * size[et]


static = set(inits)
for n in g.node:
    if n.op_type in ("Constant", "Shape", "Size") or all(i in static for i in n.input if i):
        static.update(o for o in n.output if o)
born, dies = {}, {}
runtime_inputs = [v.name for v in g.input if v.name not in inits]
for v in runtime_inputs:
    born[v] = 0
for i, n in enumerate(g.node):
    for x in n.input:
        if x in born:
            dies[x] = i
    for o in n.output:
        if o and o not in static:
            born[o] = i
end = len(g.node) - 1
for o in g.output:
    dies[o.name] = end
act = {v: nbytes(v) for v in born}
storage = sum(int(np.prod(t.dims, dtype=np.int64)) * size[t.data_type] for t in inits.values())
layers, seen, macs_total = [], set(), 0
for i, n in enumerate(g.node):
    own = 0
    for x in n.input:
        if x in inits and x not in seen:
            seen.add(x)
            own += int(np.prod(inits[x].dims, dtype=np.int64)) * size[inits[x].data_type]
    mac = 0
    if n.op_type == "Conv":
        w = inits[n.input[1]].dims
        mac = int(np.prod(types[n.output[0]][1])) * int(np.prod(w[1:]))
    elif n.op_type in ("Gemm", "MatMul"):
        a = types[n.input[0]][1]
        ta = any(at.name == "transA" and at.i for at in n.attribute)
        mac = int(np.prod(types[n.output[0]][1])) * (a[0] if ta else a[-1])
    macs_total += mac
    live = sum(b for v, b in act.items() if born[v] <= i <= dies.get(v, born[v]))
    out = sum(act.get(o, 0) for o in n.output)
    layers.append(dict(step=i, op=n.op_type, param_bytes=own, macs=mac, output_bytes=out, live_bytes=live))
peak = max(range(len(layers)), key=lambda i: (layers[i]["live_bytes"], -i))
tensors = sorted(((v, b) for v, b in act.items() if born[v] <= peak <= dies.get(v, born[v])), key=lambda t: -t[1])
res = dict(storage_bytes=storage, macs=macs_total, peak_activation_bytes=layers[peak]["live_bytes"], peak_step=peak,
           activation_traffic_bytes=2 * sum(act.values()), peak_tensors=tensors)
print(json.dumps(dict(res, layers=layers)))
if len(sys.argv) > 3:
    nz = json.load(open(sys.argv[3]))["bottleneck"]
    bad = 0
    for k in ("storage_bytes", "macs", "peak_activation_bytes", "peak_step", "activation_traffic_bytes"):
        if nz[k] != res[k]:
            print("DIFF", k, "nnzip", nz[k], "count", res[k]); bad += 1
    if len(nz["layers"]) != len(layers):
        print("DIFF layer count", len(nz["layers"]), len(layers)); bad += 1
    for a, b in zip(nz["layers"], layers):
        for k in ("op", "param_bytes", "macs", "output_bytes", "live_bytes"):
            if a[k] != b[k]:
                print("DIFF step", b["step"], b["op"], k, "nnzip", a[k], "count", b[k]); bad += 1
                break
    if sorted((t["name"], t["bytes"]) for t in nz["peak_tensors"]) != sorted(tensors):
        print("DIFF peak tensors", nz["peak_tensors"], tensors); bad += 1
    print(path, "batch", batch, "OK" if bad == 0 else "%d differences" % bad, "dominant:", nz["dominant"])
