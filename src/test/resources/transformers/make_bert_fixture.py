#!/usr/bin/python3
# A BERT-style encoder block with SEPARATE query/key/value Linears (HF layout: view(B,N,H,d).transpose(1,2), scores
# q·kᵀ/√d, softmax, ·v, permute back, view(B,N,C)), for the structured-pruning tests of the head split the fused-QKV
# ViT fixtures do not have. Untrained (random init, seed 3): the tests compare the pruned model with the original
# whose removed heads are zeroed, which needs no accuracy.
# Run with Debian's python3-torch (1.13): /usr/bin/python3 make_bert_fixture.py   (writes bert_tiny_op13.onnx + bert_tiny.npz)
import math, os
import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(3)
HERE = os.path.dirname(os.path.abspath(__file__))


class SelfAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads, self.d = heads, dim // heads
        self.query, self.key, self.value = nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.dense = nn.Linear(dim, dim)

    def split(self, x):
        B, N, _ = x.shape
        return x.view(B, N, self.heads, self.d).permute(0, 2, 1, 3)

    def forward(self, x):
        B, N, C = x.shape
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        a = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.d)
        a = a.softmax(dim=-1)
        o = torch.matmul(a, v).permute(0, 2, 1, 3).contiguous().view(B, N, C)
        return self.dense(o)


class Encoder(nn.Module):
    def __init__(self, dim=32, heads=4, hidden=64, tokens=8, classes=5):
        super().__init__()
        self.inp = nn.Linear(6, dim)
        self.attn, self.ln1 = SelfAttention(dim, heads), nn.LayerNorm(dim)
        self.fc1, self.fc2, self.ln2 = nn.Linear(dim, hidden), nn.Linear(hidden, dim), nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):  # post-norm, as BERT
        h = self.inp(x)
        h = self.ln1(h + self.attn(h))
        h = self.ln2(h + self.fc2(torch.nn.functional.gelu(self.fc1(h))))
        return self.head(h.mean(1))


m = Encoder().eval()
x = torch.randn(4, 8, 6)
with torch.no_grad():
    y = m(x)
torch.onnx.export(m, x, os.path.join(HERE, 'bert_tiny_op13.onnx'), opset_version=13, input_names=['input'], output_names=['logits'],
                  dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}}, do_constant_folding=True)
np.savez(os.path.join(HERE, 'bert_tiny.npz'), x=x.numpy(), y=y.numpy())
