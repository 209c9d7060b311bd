#!/usr/bin/python3
"""Trains the larger foreign teacher of the issue-18 distillation benchmark (not checked in: ~1.6 MB).
A PyTorch CNN shaped like nnzip's built-in `cnn` (3 × [conv3×3 + BN + ReLU + maxpool], Linear 1152→256→10,
~390k parameters) trained on NORMALIZED input (x/255 − 0.2860)/0.3530 and exported with torch.onnx.export
(opset 13, dynamic batch, no normalization metadata: nnzip must be told with --normalize). The BatchNormalization
nodes are kept (TrainingMode.PRESERVE on the eval-mode model, not folded into the convolutions): data-free
distillation and bn-stats calibration read their running statistics.

  /usr/bin/python3 make_teacher.py OUT.onnx [EPOCHS] [DATA_DIR]
"""
import gzip, sys
import numpy as np
import torch
import torch.nn as nn

out = sys.argv[1]
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
data = sys.argv[3] if len(sys.argv) > 3 else "/usr/share/datasets/fashion-mnist"
MEAN, STD = 0.2860, 0.3530


def load(prefix):
    """Images normalized as the teacher will expect them, and labels, of one Fashion-MNIST split."""
    with gzip.open(f"{data}/{prefix}-images-idx3-ubyte.gz", "rb") as f:
        pixels = np.frombuffer(f.read()[16:], np.uint8).astype(np.float32).reshape(-1, 1, 28, 28)
    with gzip.open(f"{data}/{prefix}-labels-idx1-ubyte.gz", "rb") as f:
        labels = np.frombuffer(f.read()[8:], np.uint8).astype(np.int64)
    return torch.from_numpy((pixels / 255.0 - MEAN) / STD), torch.from_numpy(labels)


def block(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(2)]


torch.manual_seed(0)
torch.set_num_threads(1)
xtr, ytr = load("train")
xte, yte = load("t10k")
model = nn.Sequential(*block(1, 32), *block(32, 64), *block(64, 128), nn.Flatten(), nn.Linear(128 * 3 * 3, 256), nn.ReLU(),
                      nn.Dropout(0.25), nn.Linear(256, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs * ((len(xtr) + 127) // 128))
g = torch.Generator().manual_seed(0)
for e in range(epochs):
    model.train()
    for i in torch.randperm(len(xtr), generator=g).split(128):
        opt.zero_grad()
        nn.functional.cross_entropy(model(xtr[i]), ytr[i]).backward()
        opt.step()
        sched.step()
    model.eval()
    with torch.no_grad():
        acc = (torch.cat([model(b).argmax(1) for b in xte.split(1000)]) == yte).float().mean().item()
    print(f"epoch {e + 1}: test accuracy {acc:.4f} on normalized input", flush=True)
print("parameters", sum(p.numel() for p in model.parameters()))
torch.onnx.export(model, torch.zeros(1, 1, 28, 28), out, opset_version=13, input_names=["input"], output_names=["logits"],
                  dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                  training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
