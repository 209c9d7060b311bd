#!/usr/bin/python3
# nn.TransformerEncoder (PyTorch's own nn.TransformerEncoderLayer, GELU, dropout 0) exported by PyTorch, both ways a
# user builds it: batch_first=True with norm_first=True (tel_bf_nf.onnx), and the default batch_first=False, post-norm,
# the model transposing to (T, B, D) itself, with a dynamic sequence length (tel_tf_post.onnx); 2 layers, width 32, 4 heads, FFN 64, a mean-pooled
# Linear head on a (B, 7, 32) float input, dynamic batch. Untrained (seed 0): the tests compare with PyTorch's logits.
# Run with Debian's python3-torch (1.13): /usr/bin/python3 make_tel_fixture.py  (writes tel_*.onnx + tel_*.npz)
import os
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)
for bf, nf, name in ((True, True, 'tel_bf_nf'), (False, False, 'tel_tf_post')):
    layer = torch.nn.TransformerEncoderLayer(d_model=32, nhead=4, dim_feedforward=64, batch_first=bf, norm_first=nf, dropout=0.0, activation='gelu')
    enc = torch.nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
    class M(torch.nn.Module):
        def __init__(s):
            super().__init__(); s.enc = enc; s.head = torch.nn.Linear(32, 5)
        def forward(s, x):
            if not bf: x = x.transpose(0, 1)
            y = s.enc(x)
            if not bf: y = y.transpose(0, 1)
            return s.head(y.mean(1))
    m = M().eval()
    x = torch.randn(3, 7, 32)
    with torch.no_grad(): y = m(x)
    torch.onnx.export(m, x, os.path.join(HERE, f'{name}.onnx'), opset_version=17, input_names=['input'], output_names=['logits'], dynamic_axes={'input': {0: 'batch', 1: 'seq'} if not bf else {0: 'batch'}, 'logits': {0: 'batch'}})
    np.savez(os.path.join(HERE, f'{name}.npz'), x=x.numpy(), y=y.numpy())
