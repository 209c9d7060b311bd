#!/usr/bin/python3
"""Writes the PyTorch-exported fixtures next to this script (rerun: /usr/bin/python3 make_fixtures.py).

Small Fashion-MNIST models trained briefly with Debian's python3-torch, exported by torch.onnx.export at opsets 13
and 17 with a dynamic batch axis, with the hazards real exports carry: deduplicated initializers fed through
Identity (equal zero biases), Constant nodes, view(x.size(0), -1) shape subgraphs, x.chunk() as Slices with
computed bounds, Flatten into Gemm and a bias-free Linear as MatMul. The models expect normalized input
(x - 0.2860) / 0.3530, which is not recorded in the files, as with any foreign export.
reference.npz holds a normalized test batch "x" and PyTorch's own outputs "cnn" and "mlp" for it.
"""
import gzip
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.environ.get("FASHION_MNIST", "/usr/share/datasets/fashion-mnist")
MEAN, STD = 0.2860, 0.3530


def idx(name):
    with gzip.open(os.path.join(DATA, name)) as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * dims).reshape(shape)


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.conv3 = nn.Conv2d(16, 32, 3, stride=2, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(32)
        self.conv4 = nn.Conv2d(32, 32, 3, padding=1, bias=False)
        self.bn4 = nn.BatchNorm2d(32)
        self.fc = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        a, b = x.chunk(2, dim=1)  # Slices whose bounds are computed from x.shape
        x = torch.cat([a, F.relu(self.bn2(self.conv2(b)))], 1)
        x = F.relu(self.bn3(self.conv3(x)))
        x = F.relu(self.bn4(self.conv4(x)) + x)  # residual Add
        x = F.max_pool2d(x, 2)
        return self.fc(torch.flatten(x, 1))  # Flatten -> Gemm


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, 64)
        self.out = nn.Linear(64, 10, bias=False)  # MatMul, no Gemm

    def forward(self, x):
        x = x.view(x.size(0), -1)  # Shape -> Gather -> Unsqueeze -> Concat -> Reshape
        x = F.relu(self.fc1(x * 1.0))
        x = F.relu(self.fc2(x))
        x = F.relu(self.fc3(x)) + 0.5  # a Constant node
        return self.out(x)


def train(model, x, y, epochs):
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(len(x))
        for i in range(0, len(x), 128):
            j = perm[i:i + 128]
            opt.zero_grad()
            F.cross_entropy(model(x[j]), y[j]).backward()
            opt.step()
    model.eval()


def main():
    torch.manual_seed(0)
    xs = (torch.from_numpy(idx("train-images-idx3-ubyte.gz").copy()).float() / 255 - MEAN) / STD
    ys = torch.from_numpy(idx("train-labels-idx1-ubyte.gz").astype(np.int64))
    xt = (torch.from_numpy(idx("t10k-images-idx3-ubyte.gz").copy()).float() / 255 - MEAN) / STD
    yt = torch.from_numpy(idx("t10k-labels-idx1-ubyte.gz").astype(np.int64))
    xs, ys, xt, yt = xs[:20000].unsqueeze(1), ys[:20000], xt.unsqueeze(1), yt
    refs = {"x": xt[:8].numpy()}
    for name, model in (("cnn", Cnn()), ("mlp", Mlp())):
        train(model, xs, ys, 2)
        with torch.no_grad():
            # equal zero biases the exporter will deduplicate: the hazard torchvision models carry after BN folding
            if name == "cnn":
                for bn in (model.bn3, model.bn4):
                    bn.bias.zero_(), bn.running_mean.zero_()
            else:
                model.fc2.bias[:] = 0
                model.fc3.bias[:] = 0
            acc = (model(xt).argmax(1) == yt).float().mean().item()
            refs[name] = model(xt[:8]).numpy()
        print(f"{name}: test accuracy {acc:.4f}")
        for opset in (13, 17):
            path = os.path.join(HERE, f"{name}_op{opset}.onnx")
            torch.onnx.export(model, xt[:2], path, opset_version=opset, input_names=["input"], output_names=["logits"],
                              dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
            print(path, os.path.getsize(path))
    np.savez(os.path.join(HERE, "reference.npz"), **refs)


if __name__ == "__main__":
    main()
