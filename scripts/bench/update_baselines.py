#!/usr/bin/python3
# Generic-compressor baselines for a model update (BENCHMARKS.md, issue 14): sizes of
#   zstd -19 of the float32 difference (new - base, all float initializers concatenated),
#   ZipNN-style byte grouping of that difference (the 4 bytes of each float32 split into 4 planes, each plane zstd -19),
#   ZipNN-style delta: XOR of the two models' float32 bit patterns, byte-grouped, zstd -19 (lossless: the receiver
#   XORs it back onto its base), and zstd -19 of the new model's float32 weights alone,
# each as % of the new model's float32 weight bytes. Usage: update_baselines.py BASE.onnx NEW.onnx
import sys, subprocess, numpy as np, onnx
from onnx import numpy_helper

def weights(p):
    return {i.name: numpy_helper.to_array(i) for i in onnx.load(p).graph.initializer if i.data_type == onnx.TensorProto.FLOAT}

def zstd(b):
    return len(subprocess.run(['zstd', '-19', '-q', '-c'], input=b, stdout=subprocess.PIPE, check=True).stdout)

def planes(u32):
    return sum(zstd(((u32 >> (8 * k)) & 0xFF).astype(np.uint8).tobytes()) for k in range(4))

a, b = weights(sys.argv[1]), weights(sys.argv[2])
names = [k for k in b if k in a and a[k].shape == b[k].shape]
na = np.concatenate([a[k].ravel() for k in names]).astype(np.float32)
nb = np.concatenate([b[k].ravel() for k in names]).astype(np.float32)
full = nb.nbytes
d = (nb - na).astype(np.float32)
x = na.view(np.uint32) ^ nb.view(np.uint32)
rows = [('zstd -19 of the float32 difference', zstd(d.tobytes())),
        ('byte-grouped float32 difference + zstd -19', planes(d.view(np.uint32))),
        ('ZipNN-style delta: XOR of bit patterns, byte-grouped + zstd -19 (lossless)', planes(x)),
        ('zstd -19 of the new model alone (float32)', zstd(nb.tobytes())),
        ('byte-grouped new model + zstd -19 (ZipNN-style, lossless)', planes(nb.view(np.uint32)))]
print('float32 weight bytes of the new model: %d' % full)
for name, n in rows: print('%-80s %9d B  %6.2f %%' % (name, n, 100.0 * n / full))
