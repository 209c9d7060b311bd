# PyTorch-trained Fashion-MNIST models for the codec's rate-accuracy figures (BENCHMARKS.md, "Codec core v5"):
#   cnn.onnx      3 conv (32-64-128, BN, ReLU, 2x2 max-pool) + FC 256 + FC 10, Adam, EPOCHS epochs
#   cnn-next.onnx the same model after one more epoch of Adam (an "update")
#   mlp.onnx      784-300-100-10 MLP, Adam, EPOCHS epochs;  mlp-next.onnx one more epoch
#   cnn-ft.onnx / mlp-ft.onnx  the EPOCHS model after one more epoch of Adam fine-tuning at lr 1e-4 (optimizer state
#                 continued), the update figure of issue 14 at a fine-tuning rate (written after the others, so
#                 they are unchanged)
# Exported in eval mode, so the exporter folds each BatchNorm into its Conv (ten weight/bias tensors for the CNN).
# Inputs are pixels/255 (metadata nnzip.input.mean=0, std=1).
# Usage: /usr/bin/python3 train_fashion_torch.py OUTDIR [EPOCHS [MODELS]]   (MODELS: mlp,cnn by default)
import gzip, sys, os, numpy as np, torch, torch.nn as nn, onnx
D = os.environ.get('FASHION_MNIST', '/usr/share/datasets/fashion-mnist') + '/'
def idx(p, off):
    with gzip.open(D + p) as f: return np.frombuffer(f.read(), np.uint8, offset=off)
Xtr = torch.tensor(idx('train-images-idx3-ubyte.gz', 16).reshape(-1, 1, 28, 28).astype(np.float32) / 255)
Ytr = torch.tensor(idx('train-labels-idx1-ubyte.gz', 8).astype(np.int64))
Xte = torch.tensor(idx('t10k-images-idx3-ubyte.gz', 16).reshape(-1, 1, 28, 28).astype(np.float32) / 255)
Yte = torch.tensor(idx('t10k-labels-idx1-ubyte.gz', 8).astype(np.int64))
out, epochs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3
torch.manual_seed(0); torch.set_num_threads(2)
wanted = sys.argv[3].split(',') if len(sys.argv) > 3 else ['mlp', 'cnn']
def block(i, o): return [nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(), nn.MaxPool2d(2)]
cnn = nn.Sequential(*block(1, 32), *block(32, 64), *block(64, 128), nn.Flatten(), nn.Linear(1152, 256), nn.ReLU(), nn.Linear(256, 10))
mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 100), nn.ReLU(), nn.Linear(100, 10))
def epoch(m, opt):
    m.train()
    perm = torch.randperm(len(Xtr))
    for s in range(0, len(Xtr), 128):
        b = perm[s:s + 128]
        opt.zero_grad(); nn.functional.cross_entropy(m(Xtr[b]), Ytr[b]).backward(); opt.step()
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
for m, name in ((mlp, 'mlp'), (cnn, 'cnn')):
    if name not in wanted: continue
    opt = torch.optim.Adam(m.parameters(), 1e-3)
    for e in range(epochs): epoch(m, opt)
    export(m, name + '.onnx')
    import copy
    snap, osnap = copy.deepcopy(m.state_dict()), copy.deepcopy(opt.state_dict())
    epoch(m, opt)
    export(m, name + '-next.onnx')
    m.load_state_dict(snap); opt.load_state_dict(osnap)
    for g in opt.param_groups: g['lr'] = 1e-4
    epoch(m, opt)
    export(m, name + '-ft.onnx')
