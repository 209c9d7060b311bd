#!/usr/bin/python3
# Three children of one parent for the pack --root auto figure (BENCHMARKS.md, issue 14): loads the parent CNN that
# src/test/resources/codec/train_fashion_torch.py wrote (BatchNorm already folded into the convolutions, so the
# model here has biased convolutions and no BN) and fine-tunes it three ways, each with a fresh Adam for one epoch:
#   child0.onnx lr 1e-4, data order seed 1;  child1.onnx lr 1e-4, seed 2;  child2.onnx lr 5e-5, seed 3.
# Usage: /usr/bin/python3 children_cnn.py PARENT.onnx OUTDIR
import gzip, sys, os, numpy as np, torch, torch.nn as nn, onnx
from onnx import numpy_helper
D = os.environ.get('FASHION_MNIST', '/usr/share/datasets/fashion-mnist') + '/'
def idx(p, off):
    with gzip.open(D + p) as f: return np.frombuffer(f.read(), np.uint8, offset=off)
Xtr = torch.tensor(idx('train-images-idx3-ubyte.gz', 16).reshape(-1, 1, 28, 28).astype(np.float32) / 255)
Ytr = torch.tensor(idx('train-labels-idx1-ubyte.gz', 8).astype(np.int64))
Xte = torch.tensor(idx('t10k-images-idx3-ubyte.gz', 16).reshape(-1, 1, 28, 28).astype(np.float32) / 255)
Yte = torch.tensor(idx('t10k-labels-idx1-ubyte.gz', 8).astype(np.int64))
parent, out = sys.argv[1], sys.argv[2]
epochs = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
os.makedirs(out, exist_ok=True)
torch.set_num_threads(2)
def block(i, o): return [nn.Conv2d(i, o, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
def load():
    m = nn.Sequential(*block(1, 32), *block(32, 64), *block(64, 128), nn.Flatten(), nn.Linear(1152, 256), nn.ReLU(), nn.Linear(256, 10))
    w = [numpy_helper.to_array(i) for i in onnx.load(parent).graph.initializer]
    with torch.no_grad():
        for p in m.parameters():
            # each parameter has a unique shape in this architecture (a Linear weight is stored as is by the exporter)
            a = next(x for x in w if tuple(x.shape) == tuple(p.shape))
            p.copy_(torch.tensor(a))
    return m
def acc(m):
    m.eval()
    with torch.no_grad(): return sum((m(Xte[s:s + 1000]).argmax(1) == Yte[s:s + 1000]).sum().item() for s in range(0, 10000, 1000)) / 100
def export(m, name):
    m.eval(); p = os.path.join(out, name)
    torch.onnx.export(m, torch.zeros(1, 1, 28, 28), p, input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'n'}, 'logits': {0: 'n'}}, opset_version=13)
    mp = onnx.load(p)
    for k, v in (('nnzip.input.mean', '0'), ('nnzip.input.std', '1')):
        e = mp.metadata_props.add(); e.key, e.value = k, v
    onnx.save(mp, p)
    print(name, 'test accuracy %.2f %%' % acc(m), flush=True)
print('parent test accuracy %.2f %%' % acc(load()), flush=True)
for i, (lr, seed) in enumerate(((1e-4, 1), (1e-4, 2), (5e-5, 3))):
    m = load(); opt = torch.optim.Adam(m.parameters(), lr)
    torch.manual_seed(seed); m.train()
    perm = torch.cat([torch.randperm(len(Xtr)) for _ in range(int(np.ceil(epochs)))])[:int(epochs * len(Xtr))]
    for s in range(0, len(perm), 128):
        b = perm[s:s + 128]
        opt.zero_grad(); nn.functional.cross_entropy(m(Xtr[b]), Ytr[b]).backward(); opt.step()
    export(m, 'child%d.onnx' % i)
