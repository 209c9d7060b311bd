#!/usr/bin/python3
"""Exports torchvision classifiers exactly as torch.onnx.export writes them (random weights, dynamic batch).

usage: scripts/torchvision-export.py OUT_DIR [--small] [--opset 13] [NAME ...]
  NAME: resnet18 mobilenet_v2 squeezenet1_1 shufflenet_v2_x1_0 shufflenet_v2_x0_5
        (default: the first four; with --small shufflenet_v2_x0_5 instead of x1_0)
  --small: reduced width/classes/blocks, so a test can export and prune them in seconds
Writes OUT_DIR/NAME.onnx and prints one line per file.
"""
import os
import sys

import torch
import torchvision.models as tvm
from torchvision.models.resnet import BasicBlock, ResNet

NAMES = ["resnet18", "mobilenet_v2", "squeezenet1_1", "shufflenet_v2_x1_0"]


class NarrowResNet(ResNet):
    """torchvision's ResNet (its forward, its _make_layer, its BasicBlock) at 1/8 width with one block per stage."""

    def __init__(self, widths=(8, 16, 32, 64), classes=10):
        torch.nn.Module.__init__(self)
        self._norm_layer = torch.nn.BatchNorm2d
        self.inplanes, self.dilation, self.groups, self.base_width = widths[0], 1, 1, 64
        self.conv1 = torch.nn.Conv2d(3, widths[0], kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(widths[0])
        self.relu = torch.nn.ReLU(inplace=True)
        self.maxpool = torch.nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(BasicBlock, widths[0], 1)
        self.layer2 = self._make_layer(BasicBlock, widths[1], 1, stride=2)
        self.layer3 = self._make_layer(BasicBlock, widths[2], 1, stride=2)
        self.layer4 = self._make_layer(BasicBlock, widths[3], 1, stride=2)
        self.avgpool = torch.nn.AdaptiveAvgPool2d((1, 1))
        self.fc = torch.nn.Linear(widths[3], classes)


def build(name, small):
    torch.manual_seed(0)
    classes = 10 if small else 1000
    if name == "resnet18":
        # one narrow block per stage keeps every hazard (stride-2 downsample shortcuts, residual Adds, Flatten->Gemm)
        return NarrowResNet() if small else tvm.resnet18()
    if name == "mobilenet_v2":
        return tvm.mobilenet_v2(width_mult=0.25, num_classes=classes) if small else tvm.mobilenet_v2()
    if name == "squeezenet1_1":
        return tvm.squeezenet1_1(num_classes=classes)
    if name == "shufflenet_v2_x0_5":
        return tvm.shufflenet_v2_x0_5(num_classes=classes)
    if name == "shufflenet_v2_x1_0":
        return tvm.shufflenet_v2_x1_0(num_classes=classes)
    raise SystemExit("unknown model " + name)


def main(argv):
    out, small, opset, names = None, False, 13, []
    it = iter(argv)
    for a in it:
        if a == "--small":
            small = True
        elif a == "--opset":
            opset = int(next(it))
        elif out is None:
            out = a
        else:
            names.append(a)
    if out is None:
        raise SystemExit(__doc__)
    os.makedirs(out, exist_ok=True)
    side = 64 if small else 224
    for name in names or [n.replace("x1_0", "x0_5") if small else n for n in NAMES]:
        # torchvision's own initialization: BatchNorm at identity, so the exporter folds it into equal zero
        # biases and deduplicates them behind Identity nodes, as it does for any freshly built model
        m = build(name, small).eval()
        x = torch.randn(2, 3, side, side)
        path = os.path.join(out, name + ".onnx")
        torch.onnx.export(m, x, path, opset_version=opset, input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
        print(path, os.path.getsize(path))


if __name__ == "__main__":
    main(sys.argv[1:])
