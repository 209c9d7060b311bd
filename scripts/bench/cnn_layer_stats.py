# Usage: /usr/bin/python3 scripts/bench/cnn_layer_stats.py MODEL.onnx N [REFERENCE.onnx]
# numpy forward of nnzip's 3-conv CNN (conv or adder layers as written by nnzip: adder = Conv unfold -> Reshape -> Sub -> Abs ->
# ReduceSum -> Neg -> Reshape) on the first N test images; prints per-layer statistics and, given a reference model, the
# per-channel correlation of each BN output with the reference's.
import sys, gzip, numpy as np, onnx
from onnx import numpy_helper
def images(n):
    with gzip.open('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz') as f: x = np.frombuffer(f.read(), np.uint8, offset=16)
    with gzip.open('/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz') as f: y = np.frombuffer(f.read(), np.uint8, offset=8)
    return ((x.reshape(-1, 1, 28, 28)[:n].astype(np.float32) / 255) - 0.286) / 0.353, y[:n]
def unfold(x, r, pad):
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.stack([xp[:, :, a:a + h, b:b + w] for a in range(r) for b in range(r)], 2)  # n,c,r*r,h,w
    return cols.reshape(n, c * r * r, h * w)
def run(path, x):
    m = onnx.load(path); W = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    v = {m.graph.input[0].name: x}; adder = {}
    for nd in m.graph.node:
        i = [v.get(k, W.get(k)) for k in nd.input]; op = nd.op_type; A = {a.name: onnx.helper.get_attribute_value(a) for a in nd.attribute}
        if op == 'Conv' and 'unfold' in nd.name:
            out = ('unfold', i[0], A.get('pads', [0])[0], i[1].shape[2])
        elif op == 'Reshape':  # the adder's reshapes keep the (patches) tuple or the finished (N,K,P,Q) output
            out = i[0]
        elif op == 'Sub' and isinstance(i[0], tuple):
            _, xx, pad, r = i[0]; wcol = i[1][:, :, 0]; cols = unfold(xx, r, pad)
            y = np.stack([-np.abs(cols - wcol[k][None, :, None]).sum(1) for k in range(wcol.shape[0])], 1)
            out = ('done', y.reshape(xx.shape[0], wcol.shape[0], xx.shape[2], xx.shape[3]))
        elif op in ('Abs', 'ReduceSum', 'Neg'):
            out = i[0]
        elif op == 'Conv':
            xx, w = i[0], i[1]; r = w.shape[2]; cols = unfold(xx, r, A.get('pads', [0])[0])
            y = np.einsum('kc,ncp->nkp', w.reshape(w.shape[0], -1), cols) + (i[2][None, :, None] if len(i) > 2 else 0)
            out = y.reshape(xx.shape[0], w.shape[0], xx.shape[2], xx.shape[3])
        elif op == 'BatchNormalization':
            xx, s, b, mu, var = i; e = A.get('epsilon', 1e-5)
            out = (xx - mu[None, :, None, None]) / np.sqrt(var[None, :, None, None] + e) * s[None, :, None, None] + b[None, :, None, None]
        elif op == 'Relu': out = np.maximum(i[0], 0)
        elif op == 'MaxPool':
            xx = i[0]; n, c, h, w = xx.shape; out = xx[:, :, :h // 2 * 2, :w // 2 * 2].reshape(n, c, h // 2, 2, w // 2, 2).max((3, 5))
        elif op == 'Flatten': out = i[0].reshape(i[0].shape[0], -1)
        elif op == 'Gemm':
            out = i[0] @ (i[1].T if A.get('transB', 0) else i[1]) + (i[2] if len(i) > 2 else 0)
        elif op == 'Dropout': out = i[0]
        else: raise SystemExit('op ' + op)
        if isinstance(out, tuple) and out[0] == 'done': out = out[1]
        v[nd.output[0]] = out
        if op in ('BatchNormalization', 'Relu'): adder[nd.name] = out
    return v[m.graph.output[0].name], adder
x, y = images(int(sys.argv[2]))
logits, acts = run(sys.argv[1], x)
ref = run(sys.argv[3], x)[1] if len(sys.argv) > 3 else None
print(sys.argv[1], 'accuracy', (logits.argmax(1) == y).mean())
for k, a in acts.items():
    if a.ndim != 4: continue
    ch = a.transpose(1, 0, 2, 3).reshape(a.shape[1], -1)
    line = f'{k:24s} mean {a.mean():7.3f} std {a.std():6.3f}'
    if k.startswith('Relu'): line += f'  zeros {np.mean(a == 0):.3f} dead-ch {(ch.max(1) == 0).sum()}/{a.shape[1]}'
    if ref is not None and k in ref and k.startswith('Batch'):
        rc = ref[k].transpose(1, 0, 2, 3).reshape(a.shape[1], -1)
        cor = [np.corrcoef(ch[c], rc[c])[0, 1] for c in range(a.shape[1])]
        line += f'  corr with reference per channel: median {np.nanmedian(cor):.3f} min {np.nanmin(cor):.3f}'
    print(line)
