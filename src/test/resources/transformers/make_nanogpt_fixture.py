#!/usr/bin/python3
# A GPT written the way nanoGPT writes it (its CausalSelfAttention: one c_attn Linear split on the last axis, each
# part view(B, T, h, d).transpose(1, 2), scores masked_fill(tril == 0, -inf) from a registered buffer, softmax,
# transpose back; pre-norm blocks, GELU MLP, learned positions, lm_head tied to the token embedding), exported by
# PyTorch with dynamic batch AND sequence length, for nnzip's fusion tests on a foreign causal LM.
# Untrained (random init, seed 5): the tests compare against PyTorch's own logits, which needs no accuracy.
# Run with Debian's python3-torch (1.13): /usr/bin/python3 make_nanogpt_fixture.py   (writes nanogpt_tiny.onnx + nanogpt_tiny.npz)
import math, os
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(5)
HERE = os.path.dirname(os.path.abspath(__file__))
VOCAB, BLOCK, EMBD, HEADS, LAYERS = 16, 8, 16, 2, 2


class CausalSelfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.c_attn, self.c_proj = nn.Linear(EMBD, 3 * EMBD), nn.Linear(EMBD, EMBD)
        self.register_buffer("bias", torch.tril(torch.ones(BLOCK, BLOCK)).view(1, 1, BLOCK, BLOCK))

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(EMBD, dim=2)
        k = k.view(B, T, HEADS, C // HEADS).transpose(1, 2)
        q = q.view(B, T, HEADS, C // HEADS).transpose(1, 2)
        v = v.view(B, T, HEADS, C // HEADS).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float('-inf'))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1, self.attn, self.ln_2 = nn.LayerNorm(EMBD), CausalSelfAttention(), nn.LayerNorm(EMBD)
        self.c_fc, self.mlp_proj = nn.Linear(EMBD, 4 * EMBD), nn.Linear(4 * EMBD, EMBD)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x))))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(VOCAB, EMBD), nn.Embedding(BLOCK, EMBD)
        self.h = nn.ModuleList([Block() for _ in range(LAYERS)])
        self.ln_f = nn.LayerNorm(EMBD)
        self.lm_head = nn.Linear(EMBD, VOCAB, bias=False)
        self.lm_head.weight = self.wte.weight

    def forward(self, idx):
        t = idx.size(1)
        pos = torch.arange(0, t, dtype=torch.long, device=idx.device)
        x = self.wte(idx) + self.wpe(pos)
        for b in self.h:
            x = b(x)
        return self.lm_head(self.ln_f(x))


if __name__ == '__main__':
    m = GPT().eval()
    idx = torch.randint(0, VOCAB, (3, BLOCK))
    with torch.no_grad():
        y = m(idx)
    torch.onnx.export(m, idx, os.path.join(HERE, 'nanogpt_tiny.onnx'), opset_version=17, input_names=['ids'], output_names=['logits'],
                      dynamic_axes={'ids': {0: 'batch', 1: 'seq'}, 'logits': {0: 'batch', 1: 'seq'}}, do_constant_folding=True)
    np.savez(os.path.join(HERE, 'nanogpt_tiny.npz'), x=idx.numpy(), y=y.numpy())
