#!/usr/bin/python3
# PyTorch-trained Fashion-MNIST CNN and its one-epoch Adam fine-tuning, for the update-coding figures in
# BENCHMARKS.md (section "Model repository: updates"). Writes into the directory given:
#   parent.onnx (1 epoch Adam), next.onnx (parent + 1 epoch Adam), child0..2.onnx (parent + a quarter epoch, different
#   data orders and learning rates), and test.npz (the test split as x/y for accuracy checks in ORT).
# Usage: train_update_cnn.py DIR [children|no-children] [--arch small|issue21] [--epochs E] [--holdout N]
#   --arch issue21  issue 21's CNN (3 x conv 32/64/128 + BN + ReLU + pool, FC 256, FC 10; BN folded on export)
#   --epochs E      epochs of the parent (default 1); next.onnx is always one more epoch
#   --holdout N     train on the first 60000-N training images only and write the last N to split.npz (x uint8,
#                   y), a validation split neither model has seen (for `--val-data`)
#   --seed S        initialization and data-order seed (default 0: the earlier figures); a second pair for checking
#                   that a rule chosen on one pair is not tuned to it
# Defaults reproduce the earlier figures (small CNN, 1 epoch, all 60000 training images).
import sys, os, gzip, numpy as np, torch, torch.nn as nn
torch.set_num_threads(1)  # 2 threads spin at OpenMP barriers on a loaded machine
out = sys.argv[1]; os.makedirs(out, exist_ok=True)
args = sys.argv[2:]
def opt_arg(name, default):
    return args[args.index(name) + 1] if name in args else default
arch, epochs, holdout = opt_arg('--arch', 'small'), int(opt_arg('--epochs', '1')), int(opt_arg('--holdout', '0'))
seed = int(opt_arg('--seed', '0'))
mode = args[0] if args and not args[0].startswith('--') else ''
D = '/usr/share/datasets/fashion-mnist/'
def idx(p, off):
    with gzip.open(D + p) as f: return np.frombuffer(f.read(), np.uint8, offset=off)
Xraw = idx('train-images-idx3-ubyte.gz', 16).reshape(-1, 1, 28, 28)
Yraw = idx('train-labels-idx1-ubyte.gz', 8).astype(np.int64)
if holdout > 0:
    np.savez(os.path.join(out, 'split.npz'), x=Xraw[-holdout:], y=Yraw[-holdout:])
    Xraw, Yraw = Xraw[:-holdout], Yraw[:-holdout]
Xtr = torch.tensor(Xraw.astype(np.float32) / 255)
Ytr = torch.tensor(Yraw)
Xte = idx('t10k-images-idx3-ubyte.gz', 16).reshape(-1, 1, 28, 28).astype(np.float32) / 255
Yte = idx('t10k-labels-idx1-ubyte.gz', 8).astype(np.int64)
np.savez(os.path.join(out, 'test.npz'), x=Xte, y=Yte)
def net():
    if arch == 'issue21':
        def block(i, o): return [nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(), nn.MaxPool2d(2)]
        return nn.Sequential(*block(1, 32), *block(32, 64), *block(64, 128), nn.Flatten(), nn.Linear(1152, 256), nn.ReLU(), nn.Linear(256, 10))
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(32 * 49, 128), nn.ReLU(), nn.Linear(128, 10))
def train(m, opt, epochs, seed):
    g = torch.Generator().manual_seed(seed)
    n = int(len(Xtr) * epochs)
    perm = torch.cat([torch.randperm(len(Xtr), generator=g) for _ in range(int(np.ceil(epochs)))])[:n]
    m.train()
    for i in range(0, n, 128):
        b = perm[i:i + 128]
        opt.zero_grad(); nn.functional.cross_entropy(m(Xtr[b]), Ytr[b]).backward(); opt.step()
def acc(m):
    m.eval()
    with torch.no_grad(): return sum((m(torch.tensor(Xte[s:s + 1000])).argmax(1).numpy() == Yte[s:s + 1000]).sum() for s in range(0, len(Xte), 1000)) / len(Xte) * 100
def export(m, name):
    m.eval()
    torch.onnx.export(m, torch.zeros(1, 1, 28, 28), os.path.join(out, name), input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'n'}, 'logits': {0: 'n'}}, opset_version=13)
    print(name, 'accuracy %.2f' % acc(m), flush=True)
def children(state):
    for c in range(3):
        ch = net(); ch.load_state_dict(state); oc = torch.optim.Adam(ch.parameters(), [1e-3, 5e-4, 2e-4][c])
        train(ch, oc, 0.25, 10 + c); export(ch, 'child%d.onnx' % c)
if mode == 'children':  # only the children, from an existing parent.onnx (runs beside the rest)
    import onnx, onnx.numpy_helper as nh
    p = onnx.load(os.path.join(out, 'parent.onnx'))
    children({i.name: torch.tensor(nh.to_array(i).copy()) for i in p.graph.initializer}); sys.exit()
torch.manual_seed(seed)
parent = net(); opt = torch.optim.Adam(parent.parameters(), 1e-3)
train(parent, opt, epochs, 1 + 100 * seed); export(parent, 'parent.onnx')
state = {k: v.clone() for k, v in parent.state_dict().items()}; ostate = opt.state_dict()
nxt = net(); nxt.load_state_dict(state); o2 = torch.optim.Adam(nxt.parameters(), 1e-3); o2.load_state_dict(ostate)
train(nxt, o2, 1, 2 + 100 * seed); export(nxt, 'next.onnx')
if mode != 'no-children': children(state)
