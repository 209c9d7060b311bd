#!/usr/bin/python3
"""Writes foreign CNN graphs for nnzip's sparse-execution and --bottleneck tests (rerun: /usr/bin/python3 make_fixtures.py [BIG_DIR]).

Next to this script (small, checked in), 1x28x28 inputs, dynamic batch, random weights with BatchNorm statistics
calibrated on random batches (so activations stay O(1) through the depth), exported by Debian's torch.onnx at opset 13:
  mini_mbv2.onnx    MobileNetV2-style: stride-2 stem, inverted residuals (1x1 expand, depthwise 3x3 s1/s2, ReLU6 = Clip,
                    1x1 project, residual Add), GlobalAveragePool, Flatten, Gemm (transB)
  mini_resnet.onnx  ResNet-style: 7x7 s2 pad 3 stem, 3x3 s2 pad 1 MaxPool, basic blocks, 1x1 s2 downsample, GAP, Gemm
  mini_shuffle.onnx ShuffleNetV2-style: chunk (Split), depthwise s2, Concat, channel shuffle (Reshape/Transpose/Reshape)
  mini_squeeze.onnx SqueezeNet-style: fire modules (Concat of 1x1 and 3x3 expands), ceil-mode MaxPool, a dilated 3x3
                    (dilation 2), a grouped 3x3 (4 groups), zero Pad, a 1x1 classifier conv + GAP + Flatten
and, hand-built with the onnx package in the form TensorFlow's exporter writes:
  tf_style.onnx     NHWC input + Transpose, Conv with explicit asymmetric pads (stride 2), Conv with dilations 2
                    (explicit pads), depthwise auto_pad=SAME_UPPER stride 2, Clip with min/max inputs (Relu6), 1x1 Conv, Transpose back
                    to NHWC, Reshape with a shape constant, MatMul + Add (no Gemm)
reference.npz holds "x" (4x1x28x28) and "x_nhwc", and each model's PyTorch/numpy output under its name.

With BIG_DIR, also torchvision resnet18, mobilenet_v2, squeezenet1_1 and shufflenet_v2_x1_0 at 3x224x224 (*_224.onnx)
and with a 1-channel stem at 1x28x28 (*_28.onnx), random weights, BN statistics calibrated the same way.
"""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(7)


def bn(c):
    return nn.BatchNorm2d(c)


class InvRes(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        mid = cin * expand
        self.use_res = stride == 1 and cin == cout
        self.body = nn.Sequential(
            nn.Conv2d(cin, mid, 1, bias=False), bn(mid), nn.ReLU6(),
            nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False), bn(mid), nn.ReLU6(),
            nn.Conv2d(mid, cout, 1, bias=False), bn(cout))

    def forward(self, x):
        y = self.body(x)
        return x + y if self.use_res else y


class MiniMbv2(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 32, 3, 2, 1, bias=False), bn(32), nn.ReLU6())
        self.blocks = nn.Sequential(InvRes(32, 32, 1, 4), InvRes(32, 64, 2, 4), InvRes(64, 64, 1, 2))
        self.head = nn.Sequential(nn.Conv2d(64, 160, 1, bias=False), bn(160), nn.ReLU6())
        self.fc = nn.Linear(160, 10)

    def forward(self, x):
        x = self.head(self.blocks(self.stem(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class Basic(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), bn(cout)
        self.c2, self.b2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), bn(cout)
        self.down = None if stride == 1 and cin == cout else nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), bn(cout))

    def forward(self, x):
        y = self.b2(self.c2(F.relu(self.b1(self.c1(x)))))
        return F.relu(y + (x if self.down is None else self.down(x)))


class MiniResnet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 24, 7, 2, 3, bias=False), bn(24), nn.ReLU(), nn.MaxPool2d(3, 2, 1))
        self.l1 = Basic(24, 24, 1)
        self.l2 = Basic(24, 48, 2)
        self.fc = nn.Linear(48, 10)

    def forward(self, x):
        x = self.l2(self.l1(self.stem(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def shuffle(x, groups):
    n, c, h, w = x.size()
    x = x.view(n, groups, c // groups, h, w).transpose(1, 2).contiguous()
    return x.view(n, c, h, w)


class ShuffleUnit(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.stride = stride
        half = cout // 2
        bin_ = cin if stride > 1 else cin // 2
        if stride > 1:
            self.left = nn.Sequential(nn.Conv2d(cin, cin, 3, 2, 1, groups=cin, bias=False), bn(cin),
                                      nn.Conv2d(cin, half, 1, bias=False), bn(half), nn.ReLU())
        self.right = nn.Sequential(nn.Conv2d(bin_, half, 1, bias=False), bn(half), nn.ReLU(),
                                   nn.Conv2d(half, half, 3, stride, 1, groups=half, bias=False), bn(half),
                                   nn.Conv2d(half, half, 1, bias=False), bn(half), nn.ReLU())

    def forward(self, x):
        if self.stride == 1:
            a, b = x.chunk(2, dim=1)
            out = torch.cat((a, self.right(b)), 1)
        else:
            out = torch.cat((self.left(x), self.right(x)), 1)
        return shuffle(out, 2)


class MiniShuffle(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 24, 3, 2, 1, bias=False), bn(24), nn.ReLU())
        self.units = nn.Sequential(ShuffleUnit(24, 128, 2), ShuffleUnit(128, 128, 1))
        self.last = nn.Sequential(nn.Conv2d(128, 192, 1, bias=False), bn(192), nn.ReLU())
        self.fc = nn.Linear(192, 10)

    def forward(self, x):
        x = self.last(self.units(self.stem(x)))
        return self.fc(x.mean([2, 3]))


class Fire(nn.Module):
    def __init__(self, cin, sq, ex):
        super().__init__()
        self.s = nn.Conv2d(cin, sq, 1)
        self.e1 = nn.Conv2d(sq, ex, 1)
        self.e3 = nn.Conv2d(sq, ex, 3, padding=1)

    def forward(self, x):
        x = F.relu(self.s(x))
        return torch.cat([F.relu(self.e1(x)), F.relu(self.e3(x))], 1)


class MiniSqueeze(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 48, 3, 2)
        self.f1 = Fire(48, 16, 64)
        self.f2 = Fire(128, 24, 48)
        self.dil = nn.Conv2d(96, 32, 3, padding=2, dilation=2)
        self.grp = nn.Conv2d(32, 64, 3, groups=4)
        self.cls = nn.Conv2d(64, 10, 1)

    def forward(self, x):
        x = F.relu(self.stem(x))                                  # 13x13
        x = F.max_pool2d(x, 3, 2, ceil_mode=True)                  # 6x6
        x = self.f2(self.f1(x))
        x = F.relu(self.dil(x))                                    # dilated, 6x6
        x = F.pad(x, (1, 1, 1, 1))                                 # Pad op
        x = F.relu(self.grp(x))                                    # grouped, 6x6
        x = F.dropout(x, 0.5, self.training)
        return torch.flatten(F.adaptive_avg_pool2d(F.relu(self.cls(x)), 1), 1)


def calibrate(model, shape):
    """Random weights; BN running statistics from random batches (train mode), then eval."""
    model.train()
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.momentum = None  # cumulative average
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    with torch.no_grad():
        for _ in range(4):
            model(torch.rand(8, *shape))
    model.eval()
    return model


def export(model, x, path):
    torch.onnx.export(model, x, path, opset_version=13, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, do_constant_folding=True)
    with torch.no_grad():
        return model(x).numpy()


def tf_style(path, x_nhwc):
    """TensorFlow-exporter-style graph, weights random; returns its numpy reference output."""
    rng = np.random.default_rng(3)
    w = lambda *s: (rng.standard_normal(s) * np.sqrt(2.0 / np.prod(s[1:]))).astype(np.float32)
    b = lambda n: (rng.standard_normal(n) * 0.1).astype(np.float32)
    inits = {"w1": w(32, 1, 3, 3), "b1": b(32), "w2": w(64, 32, 3, 3), "b2": b(64), "wd": w(64, 1, 3, 3), "bd": b(64),
             "w3": w(32, 64, 1, 1), "b3": b(32), "shape": np.array([-1, 4 * 4 * 32], np.int64),
             "m1": w(64, 512).T.copy(), "a1": b(64), "m2": w(10, 64).T.copy(), "a2": b(10),
             "lo": np.array(0, np.float32), "hi": np.array(6, np.float32)}
    nodes = [
        helper.make_node("Transpose", ["input"], ["nchw"], perm=[0, 3, 1, 2]),
        # TF SAME at stride 2 on 28: pads 0 before, 1 after -> 14x14
        helper.make_node("Conv", ["nchw", "w1", "b1"], ["c1"], kernel_shape=[3, 3], strides=[2, 2], pads=[0, 0, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        # ONNX Runtime rejects dilations under auto_pad SAME_*, so TF's exporter spells a dilated SAME conv's pads out
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], kernel_shape=[3, 3], pads=[2, 2, 2, 2], dilations=[2, 2]),
        helper.make_node("Clip", ["c2", "lo", "hi"], ["r2"]),
        helper.make_node("Conv", ["r2", "wd", "bd"], ["c3"], kernel_shape=[3, 3], auto_pad="SAME_UPPER", strides=[2, 2], group=64),
        helper.make_node("Relu", ["c3"], ["r3"]),
        helper.make_node("Conv", ["r3", "w3", "b3"], ["c4"], kernel_shape=[1, 1], strides=[2, 2], pads=[0, 0, 0, 0]),
        helper.make_node("Relu", ["c4"], ["r4"]),
        helper.make_node("Transpose", ["r4"], ["nhwc"], perm=[0, 2, 3, 1]),
        helper.make_node("Reshape", ["nhwc", "shape"], ["flat"]),
        helper.make_node("MatMul", ["flat", "m1"], ["mm1"]),
        helper.make_node("Add", ["mm1", "a1"], ["h1"]),
        helper.make_node("Relu", ["h1"], ["hr"]),
        helper.make_node("MatMul", ["hr", "m2"], ["mm2"]),
        helper.make_node("Add", ["mm2", "a2"], ["logits"]),
    ]
    g = helper.make_graph(nodes, "tf_style",
                          [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 28, 28, 1])],
                          [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])],
                          [numpy_helper.from_array(v, k) for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="tf2onnx-style")
    m.ir_version = 7
    onnx.checker.check_model(m)
    onnx.save(m, path)
    # numpy reference through torch's functional ops
    t = torch.from_numpy(x_nhwc).permute(0, 3, 1, 2)
    T = {k: torch.from_numpy(v) for k, v in inits.items()}
    y = F.relu(F.conv2d(F.pad(t, (0, 1, 0, 1)), T["w1"], T["b1"], stride=2))
    y = torch.clamp(F.conv2d(y, T["w2"], T["b2"], padding=2, dilation=2), 0, 6)
    y = F.relu(F.conv2d(F.pad(y, (0, 1, 0, 1)), T["wd"], T["bd"], stride=2, groups=64))  # 14 -> 7, SAME_UPPER: pad 0/1
    y = F.relu(F.conv2d(y, T["w3"], T["b3"], stride=2))  # 7 -> 4
    y = y.permute(0, 2, 3, 1).reshape(-1, 512)
    y = F.relu(y @ T["m1"] + T["a1"]) @ T["m2"] + T["a2"]
    return y.numpy()


def main():
    x = torch.rand(4, 1, 28, 28)
    ref = {"x": x.numpy()}
    for name, cls in [("mini_mbv2", MiniMbv2), ("mini_resnet", MiniResnet), ("mini_shuffle", MiniShuffle), ("mini_squeeze", MiniSqueeze)]:
        ref[name] = export(calibrate(cls(), (1, 28, 28)), x, os.path.join(HERE, name + ".onnx"))
    ref["x_nhwc"] = x.permute(0, 2, 3, 1).contiguous().numpy()
    ref["tf_style"] = tf_style(os.path.join(HERE, "tf_style.onnx"), ref["x_nhwc"])
    np.savez(os.path.join(HERE, "reference.npz"), **ref)
    if len(sys.argv) > 1:
        import torchvision.models as tvm
        big = sys.argv[1]
        for name, make in [("resnet18", tvm.resnet18), ("mobilenet_v2", tvm.mobilenet_v2),
                           ("squeezenet1_1", tvm.squeezenet1_1), ("shufflenet_v2", tvm.shufflenet_v2_x1_0)]:
            m = calibrate(make(num_classes=10), (3, 224, 224))
            export(m, torch.rand(1, 3, 224, 224), os.path.join(big, name + "_224.onnx"))
            m = make(num_classes=10)
            first = [(n, mod) for n, mod in m.named_modules() if isinstance(mod, nn.Conv2d)][0]
            parent = m.get_submodule(first[0].rsplit(".", 1)[0]) if "." in first[0] else m
            c = first[1]
            setattr(parent, first[0].rsplit(".", 1)[-1], nn.Conv2d(1, c.out_channels, c.kernel_size, c.stride, c.padding, bias=c.bias is not None))
            export(calibrate(m, (1, 28, 28)), torch.rand(1, 1, 28, 28), os.path.join(big, name + "_28.onnx"))


if __name__ == "__main__":
    main()
