"""One-layer ONNX models of a ViT's token projections (batch 256 x 17 tokens, width 64, MLP 128), for comparing the
engine's MatMul kernels with ONNX Runtime's on the same shapes: `./nnzip bench DIR/qkv.onnx --input DIR/x64.npy`.

qkv: x (B,17,64) . W (64,192) + b        proj: x . W (64,64) + b + x       fc1: x . W (64,128) + b, then erf GELU
fc2: x (B,17,128) . W (128,64) + b       mm192 / mm64 / mm128 / mmk128: the plain MatMuls of those shapes
Usage: /usr/bin/python3 scripts/bench/linear-shapes.py DIR
"""
import sys
import numpy as np
import onnx
from onnx import helper as h, TensorProto as T, numpy_helper as nh

out = sys.argv[1]
rng = np.random.default_rng(0)


def model(name, k, n, bias=True, gelu=False, res=False):
    x = h.make_tensor_value_info("x", T.FLOAT, ["B", 17, k])
    y = h.make_tensor_value_info("y", T.FLOAT, ["B", 17, n])
    inits = [nh.from_array((rng.standard_normal((k, n)) / np.sqrt(k)).astype(np.float32), "w")]
    nodes = [h.make_node("MatMul", ["x", "w"], ["mm"])]
    cur = "mm"
    if bias:
        inits.append(nh.from_array(rng.standard_normal(n).astype(np.float32) * 0.1, "b"))
        nodes.append(h.make_node("Add", [cur, "b"], ["ab"]))
        cur = "ab"
    if gelu:  # the form torch.onnx writes for nn.GELU() at opset 17
        for nm, v in [("s2", 1.4142135381698608), ("one", 1.0), ("half", 0.5)]:
            inits.append(nh.from_array(np.array(v, np.float32), nm))
        nodes += [h.make_node("Div", [cur, "s2"], ["g0"]), h.make_node("Erf", ["g0"], ["g1"]),
                  h.make_node("Add", ["g1", "one"], ["g2"]), h.make_node("Mul", [cur, "g2"], ["g3"]),
                  h.make_node("Mul", ["g3", "half"], ["g4"])]
        cur = "g4"
    if res:
        nodes.append(h.make_node("Add", [cur, "x"], ["r"]))
    nodes[-1].output[0] = "y"
    m = h.make_model(h.make_graph(nodes, name, [x], [y], inits), opset_imports=[h.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, f"{out}/{name}.onnx")


model("qkv", 64, 192)
model("proj", 64, 64, res=True)
model("fc1", 64, 128, gelu=True)
model("fc2", 128, 64)
for name, k, n in [("mm192", 64, 192), ("mm64", 64, 64), ("mm128", 64, 128), ("mmk128", 128, 64)]:
    model(name, k, n, bias=False)
for k in (64, 128):
    np.save(f"{out}/x{k}.npy", rng.random((256, 17, k), dtype=np.float32))
