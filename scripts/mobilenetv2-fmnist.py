#!/usr/bin/python3
"""A MobileNetV2-style graph for the search benchmark (issue 17): torchvision's mobilenet_v2 (width 0.5, 10 classes)
with a 1-channel stride-1 stem for 28x28 Fashion-MNIST, trained briefly by PyTorch on (x - 0.2860) / 0.3530 and
exported by torch.onnx.export (opset 13, dynamic batch; BatchNorm folded into the convs in eval mode).

  /usr/bin/python3 scripts/mobilenetv2-fmnist.py OUT.onnx [TRAIN_IMAGES] [EPOCHS]
"""
import gzip, sys, time
import numpy as np
import torch
import torch.nn as nn
import torchvision

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 12000
epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 1
data = "/usr/share/datasets/fashion-mnist"


def idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def split(prefix, count):
    x = idx(f"{data}/{prefix}-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)[:count].astype(np.float32) / 255.0
    y = idx(f"{data}/{prefix}-labels-idx1-ubyte.gz", 8)[:count].astype(np.int64)
    return torch.from_numpy((x - 0.2860) / 0.3530), torch.from_numpy(y)


torch.manual_seed(0)
torch.set_num_threads(2)
m = torchvision.models.mobilenet_v2(width_mult=0.5, num_classes=10)
stem = m.features[0][0]
m.features[0][0] = nn.Conv2d(1, stem.out_channels, 3, stride=1, padding=1, bias=False)
x, y = split("train", n)
opt = torch.optim.Adam(m.parameters(), lr=2e-3)
g = torch.Generator().manual_seed(0)
t0 = time.time()
for _ in range(epochs):
    m.train()
    for i in torch.randperm(len(x), generator=g).split(128):
        opt.zero_grad()
        nn.functional.cross_entropy(m(x[i]), y[i]).backward()
        opt.step()
print(f"training {time.time() - t0:.0f} s", flush=True)
m.eval()
xt, yt = split("t10k", 10000)
# in batches: one 10,000-image forward holds several GB of activations (the 96-channel 28x28 expansions)
with torch.no_grad():
    acc = sum((m(xt[i:i + 500]).argmax(1) == yt[i:i + 500]).sum().item() for i in range(0, len(xt), 500)) / len(xt)
print(f"test accuracy {acc:.4f}")
torch.onnx.export(m, torch.zeros(1, 1, 28, 28), out, opset_version=13, input_names=["input"], output_names=["output"],
                  dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
