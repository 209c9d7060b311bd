#!/usr/bin/python3
# A ViT in Hugging Face's layout (ViTSelfAttention: separate query/key/value Linears, transpose_for_scores =
# view(B, N, h, d).permute(0, 2, 1, 3), scores / √d, softmax, permute back; pre-norm blocks, class token, GELU MLP)
# at the size of issue 13's ViT (patch 7, 4 blocks, width 64, 4 heads, MLP 128), random weights, exported by
# PyTorch for `nnzip bench` (engine against ONNX Runtime on this attention form).
#   /usr/bin/python3 scripts/hf-vit.py OUT.onnx [OPSET (default 17)]
#   /usr/bin/python3 scripts/hf-vit.py tiny DIR   the test fixture: width 16, 2 heads, 1 block, MLP 32, patch 14 (4 patches
#                                                 + class token), head weights N(0, 0.5), class token and
#                                                 positions N(0, 1); writes DIR/hf_vit_tiny_op17.onnx
#                                                 and DIR/hf_vit_tiny.npz (x: 8 images N(0.5, 0.3), y: PyTorch's logits)
import math, os, sys
import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(0)
TINY = len(sys.argv) > 1 and sys.argv[1] == 'tiny'
D, HEADS, DEPTH, MLP, PATCH = (16, 2, 1, 32, 14) if TINY else (64, 4, 4, 128, 7)
TOKENS = (28 // PATCH) ** 2 + 1


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.d = D // HEADS
        self.query, self.key, self.value, self.out = (nn.Linear(D, D) for _ in range(4))

    def heads(self, x):
        return x.view(x.shape[0], x.shape[1], HEADS, self.d).permute(0, 2, 1, 3)

    def forward(self, x):
        q, k, v = self.heads(self.query(x)), self.heads(self.key(x)), self.heads(self.value(x))
        a = (torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.d)).softmax(-1)
        o = torch.matmul(a, v).permute(0, 2, 1, 3).contiguous()
        return self.out(o.view(o.shape[0], o.shape[1], D))


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.attn, self.ln2 = nn.LayerNorm(D, eps=1e-12), Attention(), nn.LayerNorm(D, eps=1e-12)
        self.fc1, self.fc2 = nn.Linear(D, MLP), nn.Linear(MLP, D)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.fc2(nn.functional.gelu(self.fc1(self.ln2(x))))


class ViT(nn.Module):
    def __init__(self):
        super().__init__()
        self.patch = nn.Conv2d(1, D, PATCH, PATCH)
        self.cls, self.pos = nn.Parameter(torch.randn(1, 1, D) * 0.02), nn.Parameter(torch.randn(1, TOKENS, D) * 0.02)
        self.layers = nn.ModuleList([Layer() for _ in range(DEPTH)])
        self.ln, self.head = nn.LayerNorm(D, eps=1e-12), nn.Linear(D, 10)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], 1) + self.pos
        for l in self.layers:
            x = l(x)
        return self.head(self.ln(x)[:, 0])


if __name__ == '__main__':
    m = ViT().eval()
    out, opset = (os.path.join(sys.argv[2], 'hf_vit_tiny_op17.onnx'), 17) if TINY else (sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 17)
    if TINY:
        # off their near-zero init, so the class token's row is not normalized from a tiny norm (finite differences)
        nn.init.normal_(m.head.weight, std=0.5)
        nn.init.normal_(m.cls)
        nn.init.normal_(m.pos)
    torch.onnx.export(m, torch.randn(2, 1, 28, 28), out, opset_version=opset, input_names=['input'],
                      output_names=['logits'], dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})
    if TINY:
        x = 0.5 + 0.3 * torch.randn(8, 1, 28, 28)
        with torch.no_grad():
            np.savez(os.path.join(sys.argv[2], 'hf_vit_tiny.npz'), x=x.numpy(), y=m(x).numpy())
