#!/usr/bin/python3
# Peer for issue 13's int4 bar: PyTorch's own dynamic int8 (torch.quantization.quantize_dynamic on every nn.Linear)
# of the ViT in src/test/resources/transformers, rebuilt from make_fixtures.py's classes with the weights read back
# from the exported ONNX file (the exporter stores each Linear's weight transposed as a MatMul initializer).
# Prints one JSON line: float / int8 accuracy on the first N test images and the size of each state_dict as torch.save writes it.
# Run: env OPENBLAS_NUM_THREADS=2 /usr/bin/python3 scripts/torch-dynamic-int8-vit.py [vit_op17.onnx] [N]
import gzip, io, json, os, sys
import numpy as np
import onnx
import torch
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, '..', 'src', 'test', 'resources', 'transformers')
src = open(os.path.join(FIX, 'make_fixtures.py')).read()
ns = {'__file__': os.path.join(FIX, 'make_fixtures.py')}
exec(src.split('\nwhat = ')[0], ns)  # the model classes and helpers, without running the fixture generation

onnx_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(FIX, 'vit_op17.onnx')
n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
torch.set_num_threads(2)

g = onnx.load(onnx_path).graph
inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
m = ns['ViT']()
sd = m.state_dict()
for k in sd:
    if k in inits:
        sd[k] = torch.tensor(inits[k].reshape(sd[k].shape))
for node in g.node:
    # '/blocks.0/attn/qkv/MatMul' reads W^T of 'blocks.0.attn.qkv'
    if node.op_type == 'MatMul' and node.input[1] in inits:
        k = node.name.strip('/').rsplit('/', 1)[0].replace('/', '.') + '.weight'
        sd[k] = torch.tensor(inits[node.input[1]].T.copy())
    if node.op_type == 'Gemm' and node.input[1] in inits:
        k = node.name.strip('/').rsplit('/', 1)[0].replace('/', '.') + '.weight'
        w = inits[node.input[1]]
        sd[k] = torch.tensor(w if any(a.name == 'transB' and a.i for a in node.attribute) else w.T.copy())
missing = [k for k in sd if k not in inits and not any(k == nd.name.strip('/').rsplit('/', 1)[0].replace('/', '.') + '.weight' for nd in g.node)]
m.load_state_dict(sd)
m.eval()

D = '/usr/share/datasets/fashion-mnist/'
x = torch.tensor(ns['idx']('t10k-images-idx3-ubyte.gz', 16).reshape(-1, 1, 28, 28)[:n].astype(np.float32) / 255)
y = torch.tensor(ns['idx']('t10k-labels-idx1-ubyte.gz', 8)[:n].astype(np.int64))


def acc(model):
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def size(model):
    b = io.BytesIO()
    torch.save(model.state_dict(), b)
    return b.getbuffer().nbytes


q = torch.quantization.quantize_dynamic(m, {torch.nn.Linear}, dtype=torch.qint8)
fa, qa, fs, qs = acc(m), acc(q), size(m), size(q)
print(json.dumps({'model': os.path.basename(onnx_path), 'samples': n, 'float_accuracy': fa, 'int8_accuracy': qa,
                  'accuracy_drop_points': round(100 * (fa - qa), 2), 'float_state_dict_bytes': fs, 'int8_state_dict_bytes': qs,
                  'size_ratio': round(qs / fs, 4), 'not_loaded_from_onnx': missing}))
