#!/usr/bin/python3
"""Trains two small Fashion-MNIST classifiers in PyTorch on NORMALIZED input, (x/255 - 0.2860) / 0.3530, and
exports them with torch.onnx.export (opset 13, dynamic batch). The ONNX files carry no normalization metadata:
nnzip must be told it with --normalize, and its figures must then equal those with the normalization recorded.

  /usr/bin/python3 make_fixtures.py [DATA_DIR] [OUT_DIR] [MLP_EPOCHS,CNN_EPOCHS]

mlp.onnx: 784-300-100-10 (Flatten + Linear/ReLU), 2 epochs; cnn.onnx: 3 convs (16/32/32) + Linear, 1 epoch (the
checked-in fixtures; scripts/pytorch-bars.sh trains longer ones for the accuracy bars).
Needs Debian's python3-torch and dataset-fashion-mnist."""
import gzip, sys, os
import numpy as np
import torch
import torch.nn as nn

data = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
out = sys.argv[2] if len(sys.argv) > 2 else os.path.dirname(os.path.abspath(__file__))
epochs = [int(e) for e in sys.argv[3].split(",")] if len(sys.argv) > 3 else [2, 1]
MEAN, STD = 0.2860, 0.3530


def idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def split(prefix):
    x = idx(f"{data}/{prefix}-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28).astype(np.float32) / 255.0
    y = idx(f"{data}/{prefix}-labels-idx1-ubyte.gz", 8).astype(np.int64)
    return torch.from_numpy((x - MEAN) / STD), torch.from_numpy(y)


def train(model, x, y, epochs, lr):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        model.train()
        for idx_ in torch.randperm(len(x), generator=g).split(128):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x[idx_]), y[idx_]).backward()
            opt.step()
    return model


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


torch.manual_seed(0)
torch.set_num_threads(2)
xtr, ytr = split("train")
xte, yte = split("t10k")
mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 100), nn.ReLU(), nn.Linear(100, 10))
cnn = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(32 * 7 * 7, 10))
for name, model, n in (("mlp", mlp, epochs[0]), ("cnn", cnn, epochs[1])):
    train(model, xtr, ytr, n, 1e-3)
    model.eval()
    print(f"{name}: test accuracy {accuracy(model, xte, yte):.4f} on normalized input")
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), f"{out}/{name}.onnx", opset_version=13,
                      input_names=["input"], output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
