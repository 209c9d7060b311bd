#!/usr/bin/python3
"""Foreign CNNs for the low-bit schemes (issue 16): three PyTorch-built, PyTorch-trained Fashion-MNIST classifiers on
NORMALIZED input, (x/255 - 0.2860) / 0.3530, exported by torch.onnx.export (opset 13, dynamic batch, no
normalization metadata: nnzip must be told with --normalize 0.2860,0.3530).

  /usr/bin/python3 make_fixtures.py [OUT_DIR] [STEPS] [DATA_DIR] [NAMES]

NAMES: comma-separated subset of resnet,mobilenetv2,shufflenetv2 (default all).

resnet.onnx         ResNet-style: 3x3 stem + BN, three basic blocks (stride-2 blocks with 1x1 downsample + BN,
                    residual Add), 16/24/40 channels (24 and 40 fill no 32-bit word), GlobalAveragePool, Flatten, Linear.
                    Eval-mode export: BatchNorm folded into the convs by the exporter.
resnet_bn.onnx      The same weights exported with training=TrainingMode.PRESERVE and do_constant_folding=False:
                    BatchNormalization nodes kept.
mobilenetv2.onnx    torchvision.models.MobileNetV2 with its own inverted-residual setting (depthwise 3x3, linear
                    bottlenecks, ReLU6 as Clip), a 1-channel stride-1 stem and a 128-channel head in place of the
                    1280-channel one (the checked-in file stays small).
shufflenetv2.onnx   torchvision.models.ShuffleNetV2 (stages [2, 2, 2], channels 16/24/48/96/128): channel Split
                    (chunk), channel shuffle Reshape/Transpose/Reshape, Concat, depthwise convs, ReduceMean head;
                    a 1-channel stride-1 stem.
Each is trained STEPS Adam steps (batch 128, lr 3e-3 cosine to 0, seed 0); test accuracies are printed.
"""
import gzip, os, sys
import numpy as np
import torch
import torch.nn as nn
import torchvision

out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 400
data = sys.argv[3] if len(sys.argv) > 3 else "/usr/share/datasets/fashion-mnist"
names = sys.argv[4].split(",") if len(sys.argv) > 4 else ["resnet", "mobilenetv2", "shufflenetv2"]
MEAN, STD = 0.2860, 0.3530


def load(prefix):
    with gzip.open(f"{data}/{prefix}-images-idx3-ubyte.gz", "rb") as f:
        x = np.frombuffer(f.read()[16:], np.uint8).astype(np.float32).reshape(-1, 1, 28, 28)
    with gzip.open(f"{data}/{prefix}-labels-idx1-ubyte.gz", "rb") as f:
        y = np.frombuffer(f.read()[8:], np.uint8).astype(np.int64)
    return torch.from_numpy((x / 255.0 - MEAN) / STD), torch.from_numpy(y)


class Basic(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.down = None if stride == 1 and cin == cout else nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.b2(self.c2(torch.relu(self.b1(self.c1(x)))))
        return torch.relu(y + (x if self.down is None else self.down(x)))


def resnet():
    return nn.Sequential(nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                         Basic(16, 16, 1), Basic(16, 24, 2), Basic(24, 40, 2),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(40, 10))


def mobilenet():
    m = torchvision.models.MobileNetV2(num_classes=10, inverted_residual_setting=[[1, 8, 1, 1], [6, 12, 2, 2], [6, 16, 2, 2], [6, 24, 2, 2], [6, 32, 1, 1]])
    m.features[0][0] = nn.Conv2d(1, m.features[0][0].out_channels, 3, 1, 1, bias=False)
    cin = m.features[-1][0].in_channels
    m.features[-1] = torchvision.ops.Conv2dNormActivation(cin, 128, kernel_size=1, activation_layer=nn.ReLU6)
    m.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(128, 10))
    return m


def shufflenet():
    m = torchvision.models.ShuffleNetV2([2, 2, 2], [16, 24, 48, 96, 128], num_classes=10)
    m.conv1 = nn.Sequential(nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True))
    return m


def train(model, x, y, n):
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, n)
    g = torch.Generator().manual_seed(0)
    model.train()
    done = 0
    while done < n:
        for i in torch.randperm(len(x), generator=g).split(128):
            if done == n:
                break
            opt.zero_grad()
            nn.functional.cross_entropy(model(x[i]), y[i]).backward()
            opt.step()
            sched.step()
            done += 1
    model.eval()


def accuracy(model, x, y):
    with torch.no_grad():
        return (torch.cat([model(b).argmax(1) for b in x.split(1000)]) == y).float().mean().item()


def export(model, path, **kw):
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), path, opset_version=13, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, **kw)


torch.manual_seed(0)
torch.set_num_threads(2)
xtr, ytr = load("train")
xte, yte = load("t10k")
for name, make in (("resnet", resnet), ("mobilenetv2", mobilenet), ("shufflenetv2", shufflenet)):
    if name not in names:
        continue
    torch.manual_seed(0)
    model = make()
    train(model, xtr, ytr, steps)
    print(f"{name}: {sum(p.numel() for p in model.parameters())} parameters, test accuracy {accuracy(model, xte, yte):.4f} "
          f"after {steps} steps", flush=True)
    export(model, f"{out}/{name}.onnx")
    if name == "resnet":
        export(model, f"{out}/resnet_bn.onnx", training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
