#!/usr/bin/python3
"""A MobileNetV2-style graph for the search benchmark (issue 17), small enough for PyTorch to train in minutes on a
loaded CPU: a stride-2 stem to 14x14, seven inverted residual blocks (1x1 expand, 3x3 depthwise, 1x1 linear
projection, residual Add where the shapes match, ReLU6), a 1x1 head conv, global average pooling and a Linear.
torchvision's width-0.5 mobilenet_v2 with a stride-1 stem (this script's former model) trained at ~117 s per 1,000
images under load; this one keeps the block structure the pruning must handle at a fraction of the MACs.

Trained by PyTorch on the FIRST 50,000 training images only (the last 10,000 stay held out for the search's fitness
and budget choices), normalization (x - 0.2860) / 0.3530, Adam with a cosine schedule, then exported by
torch.onnx.export (opset 13, dynamic batch; BatchNorm folded into the convs in eval mode).

  OPENBLAS_NUM_THREADS=1 nice -n 10 /usr/bin/python3 scripts/mobilenetv2-fmnist.py OUT.onnx [TRAIN_IMAGES] [EPOCHS]
"""
import gzip, sys, time
import numpy as np
import torch
import torch.nn as nn

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 50000
epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 6
data = "/usr/share/datasets/fashion-mnist"


def idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def split(prefix, start, count):
    x = idx(f"{data}/{prefix}-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)[start:start + count]
    y = idx(f"{data}/{prefix}-labels-idx1-ubyte.gz", 8)[start:start + count].astype(np.int64)
    return torch.from_numpy((x.astype(np.float32) / 255.0 - 0.2860) / 0.3530), torch.from_numpy(y)


def conv_bn(cin, cout, k, stride=1, groups=1, act=True):
    layers = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    return nn.Sequential(*layers, nn.ReLU6(inplace=True)) if act else nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        layers = [conv_bn(cin, hidden, 1)] if expand != 1 else []
        layers += [conv_bn(hidden, hidden, 3, stride, groups=hidden), conv_bn(hidden, cout, 1, act=False)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.body(x) if self.residual else self.body(x)


# (expansion, output channels, repeats, stride of the first): MobileNetV2's table, cut to 28x28 inputs
SETTING = [(1, 16, 1, 1), (4, 24, 2, 2), (4, 32, 2, 1), (4, 48, 2, 2)]


class MobileNetV2Small(nn.Module):
    def __init__(self):
        super().__init__()
        layers, cin = [conv_bn(1, 16, 3, 2)], 16
        for t, c, reps, s in SETTING:
            for r in range(reps):
                layers.append(InvertedResidual(cin, c, s if r == 0 else 1, t))
                cin = c
        layers.append(conv_bn(cin, 128, 1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(128, 10)

    def forward(self, x):
        return self.classifier(self.features(x).mean((2, 3)))


torch.manual_seed(0)
# one thread: two threads on the loaded 2-core machine made every step ~10x slower (0.42 vs 2-4.6 s)
torch.set_num_threads(1)
m = MobileNetV2Small()
x, y = split("train", 0, n)
steps = epochs * ((len(x) + 127) // 128)
opt = torch.optim.Adam(m.parameters(), lr=3e-3)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps, pct_start=0.15)
g = torch.Generator().manual_seed(0)
t0 = time.time()
for e in range(epochs):
    m.train()
    loss_sum, seen = 0.0, 0
    for i in torch.randperm(len(x), generator=g).split(128):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(m(x[i]), y[i])
        loss.backward()
        opt.step()
        sched.step()
        loss_sum, seen = loss_sum + loss.item() * len(i), seen + len(i)
    print(f"epoch {e + 1}: loss {loss_sum / seen:.4f}, {time.time() - t0:.0f} s", flush=True)
m.eval()


def accuracy(xs, ys):
    with torch.no_grad():
        return sum((m(xs[i:i + 1000]).argmax(1) == ys[i:i + 1000]).sum().item() for i in range(0, len(xs), 1000)) / len(xs)


xh, yh = split("train", 50000, 10000)
xt, yt = split("t10k", 0, 10000)
print(f"held-out accuracy (last 10,000 training images) {accuracy(xh, yh):.4f}")
print(f"test accuracy {accuracy(xt, yt):.4f}", flush=True)
torch.onnx.export(m, torch.zeros(1, 1, 28, 28), out, opset_version=13, input_names=["input"], output_names=["output"],
                  dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
