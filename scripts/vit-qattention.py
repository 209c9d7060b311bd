# Prototype (issue 13, session 17): rewrites nnzip's int8 ViT (quantize --scheme int8, transformer placement) so each
# block's Q/K/V QGemms, head split, scores, softmax, a.v and head merge become one com.microsoft QAttention (ORT-only;
# nnzip's engine and IR do not run it). Fused QKV weight re-quantized s8 per-tensor from the per-channel weights; input =
# the u8 QuantizeLinear that fed the Q/K/V projections. Assumes 16 tokens (28x28, 7x7 patches).
# Run: /usr/bin/python3 scripts/vit-qattention.py int8.onnx out.onnx
import sys, numpy as np, onnx
from onnx import numpy_helper as nh, helper as oh
src, dst = sys.argv[1], sys.argv[2]
m = onnx.load(src); g = m.graph
init = {t.name: t for t in g.initializer}
def arr(n):
    if n in init: return nh.to_array(init[n])
    for nd in g.node:
        if nd.op_type == 'Constant' and nd.output[0] == n: return nh.to_array(nd.attribute[0].t)
    raise KeyError(n)
def dq(prefix, w):
    q = arr(prefix + '_q').astype(np.float32); s = arr(prefix + '_scale')
    zp = arr(prefix + '_zp').astype(np.float32) if (prefix + '_zp') in init else 0.0
    return (q - zp) * s if w else q * s
nblocks = sum(1 for t in init if t.endswith('/attn/qkv/MatMul_q_weight_q'))
prod = {o: n for n in g.node for o in n.output}
newnodes = []
for b in range(nblocks):
    p = f'/blocks.{b}/attn/qkv/MatMul_'
    W = np.concatenate([dq(p + x + '_weight', True) for x in 'qkv'], axis=1)  # [C, 3C]
    B = np.concatenate([dq(p + x + '_bias', False) for x in 'qkv']).astype(np.float32)
    C = W.shape[0]
    ws = np.float32(np.abs(W).max() / 127.0)
    Wq = np.clip(np.round(W / ws), -127, 127).astype(np.int8)
    heads = arr(p + 'head_shape'); nh_ = int(heads[2]); d = int(heads[3])
    sc = float(arr(f'/blocks.{b}/attn/Constant_10_output_0'))
    qin = p + 'q/MatMul_2d_in_q'
    s_in = p + 'q/MatMul_2d_in_scale'; z_in = p + 'q/MatMul_2d_in_zp'
    T = None
    for nm, val in [(f'qa{b}_w', Wq), (f'qa{b}_b', B), (f'qa{b}_ws', np.array(ws, np.float32)),
                    (f'qa{b}_shape', np.array([-1, 16, C], np.int64))]:
        g.initializer.append(nh.from_array(val, nm))
    newnodes.append(oh.make_node('Reshape', [qin, f'qa{b}_shape'], [f'qa{b}_in3']))
    attrs = dict(num_heads=nh_)
    if abs(sc - 1 / np.sqrt(d)) > 1e-6: print('scale', sc, 1 / np.sqrt(d)); attrs['scale'] = sc
    newnodes.append(oh.make_node('QAttention', [f'qa{b}_in3', f'qa{b}_w', f'qa{b}_b', s_in, f'qa{b}_ws', '', z_in],
                                 [f'/blocks.{b}/attn/Reshape_1_output_0'], domain='com.microsoft', **attrs))
# drop the old producers of Reshape_1_output_0, append new nodes, then remove dead nodes
outs = {f'/blocks.{b}/attn/Reshape_1_output_0' for b in range(nblocks)}
nodes = [n for n in g.node if not (set(n.output) & outs)]
# insert new nodes right after their input's producer: simple topological sort
allnodes = nodes + newnodes
avail = {i.name for i in g.input} | {t.name for t in g.initializer} | {''}
order = []; pending = list(allnodes)
while pending:
    rest = []
    for n in pending:
        if all(i in avail for i in n.input): order.append(n); avail |= set(n.output)
        else: rest.append(n)
    if len(rest) == len(pending): raise RuntimeError('cycle ' + str([n.name for n in rest[:3]]))
    pending = rest
# dead code
need = {o.name for o in g.output}; keep = []
for n in reversed(order):
    if set(n.output) & need: keep.append(n); need |= set(n.input)
keep.reverse()
del g.node[:]; g.node.extend(keep)
used = {i for n in keep for i in n.input}
live = [t for t in g.initializer if t.name in used]
del g.initializer[:]; g.initializer.extend(live)
if not any(o.domain == 'com.microsoft' for o in m.opset_import): m.opset_import.append(oh.make_opsetid('com.microsoft', 1))
onnx.save(m, dst); print('nodes', len(keep), 'C', C, 'heads', nh_, d)
