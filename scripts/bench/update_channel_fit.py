#!/usr/bin/python3
# Measurement aid for BENCHMARKS "Issue 14, session 15": how much of an update's divergence a trained per-channel
# recovery (biases; biases + output-channel scales) could win, with the coded weights frozen.
# Usage: update_channel_fit.py PAIR_DIR PATCHED.onnx bias|scale STEPS   (small CNN of train_update_cnn.py only)
# Offline estimate: train per-channel biases (and optionally per-output-channel scales) of the patched model with its
# coded weights fixed, KL to NEW on training images (first 50,000 = the models' own training images); report on split.npz.
import sys, numpy as np, torch, torch.nn as nn, onnx, onnx.numpy_helper as nh
torch.set_num_threads(1); torch.manual_seed(0)
D, patched, mode, steps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
import gzip
def idx(p, off):
    with gzip.open('/usr/share/datasets/fashion-mnist/' + p) as f: return np.frombuffer(f.read(), np.uint8, offset=off)
X = torch.tensor(idx('train-images-idx3-ubyte.gz', 16).reshape(-1, 1, 28, 28)[:50000].astype(np.float32) / 255)
v = np.load(D + '/split.npz'); Xv = torch.tensor(v['x'].astype(np.float32) / 255)
def net():
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(32 * 49, 128), nn.ReLU(), nn.Linear(128, 10))
def load(path):
    m = net(); p = onnx.load(path)
    m.load_state_dict({i.name: torch.tensor(nh.to_array(i).copy()) for i in p.graph.initializer}); return m.eval()
new, P = load(D + '/next.onnx'), load(patched)
layers = [P[0], P[3], P[7], P[9]]
for p in P.parameters(): p.requires_grad_(False)
params = []
scales = []
for l in layers:
    l.bias.requires_grad_(True); params.append(l.bias)
    if mode == 'scale':
        s = torch.ones(l.weight.shape[0], requires_grad=True); scales.append(s); params.append(s)
W0 = [l.weight.clone() for l in layers]
def fwd(x):
    if mode == 'scale':
        for l, w, s in zip(layers, W0, scales): l.weight = nn.Parameter(w * s.view(-1, *([1] * (w.dim() - 1))), requires_grad=False)
    return P(x)
def evaluate():
    with torch.no_grad():
        if mode == 'scale':
            for l, w, s in zip(layers, W0, scales): l.weight = nn.Parameter(w * s.view(-1, *([1] * (w.dim() - 1))), requires_grad=False)
        a = torch.cat([new(Xv[i:i+1000]) for i in range(0, 10000, 1000)]); b = torch.cat([P(Xv[i:i+1000]) for i in range(0, 10000, 1000)])
        kl = (a.softmax(1) * (a.log_softmax(1) - b.log_softmax(1))).sum(1).mean().item()
        y = torch.tensor(v['y']); pa, pb = a.argmax(1), b.argmax(1)
        return kl, int((pa != pb).sum()), int(((pa == y) & (pb != y)).sum()), int(((pa != y) & (pb == y)).sum())
print('before', evaluate(), flush=True)
opt = torch.optim.Adam(params, 1e-3 if mode == 'bias' else 3e-4)
g = torch.Generator().manual_seed(0)
for it in range(steps):
    b = torch.randint(0, 50000, (256,), generator=g)
    with torch.no_grad(): t = new(X[b]).log_softmax(1)
    o = fwd(X[b]).log_softmax(1)
    loss = (t.exp() * (t - o)).sum(1).mean()
    opt.zero_grad(); loss.backward(); opt.step()
    if (it + 1) % (steps // 4) == 0: print(it + 1, 'val KL, changed, lost, gained', evaluate(), flush=True)
