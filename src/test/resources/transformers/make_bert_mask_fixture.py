#!/usr/bin/python3
# A BERT-style encoder whose attention takes a padding mask the way Hugging Face's BERT applies it: an int64
# attention_mask (B, N) input turned into additive scores (1 - mask[:, None, None, :]) * float32's lowest value,
# added to q·kᵀ/√d before the softmax; separate query/key/value Linears, post-norm. Untrained (random init, seed 7):
# the tests compare against PyTorch's own logits. Two inputs, both with a dynamic batch.
# Run with Debian's python3-torch (1.13): /usr/bin/python3 make_bert_mask_fixture.py   (writes bert_mask_op13.onnx + bert_mask.npz)
import math, os
import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(7)
HERE = os.path.dirname(os.path.abspath(__file__))
DIM, HEADS, TOKENS = 16, 2, 6


class SelfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.d = DIM // HEADS
        self.query, self.key, self.value, self.dense = (nn.Linear(DIM, DIM) for _ in range(4))

    def split(self, x):
        B, N, _ = x.shape
        return x.view(B, N, HEADS, self.d).permute(0, 2, 1, 3)

    def forward(self, x, ext):
        B, N, C = x.shape
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        a = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.d) + ext
        o = torch.matmul(a.softmax(dim=-1), v).permute(0, 2, 1, 3).contiguous().view(B, N, C)
        return self.dense(o)


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp, self.attn, self.ln1 = nn.Linear(5, DIM), SelfAttention(), nn.LayerNorm(DIM)
        self.fc1, self.fc2, self.ln2, self.head = nn.Linear(DIM, 2 * DIM), nn.Linear(2 * DIM, DIM), nn.LayerNorm(DIM), nn.Linear(DIM, 3)

    def forward(self, x, attention_mask):
        ext = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min
        h = self.inp(x)
        h = self.ln1(h + self.attn(h, ext))
        h = self.ln2(h + self.fc2(torch.nn.functional.gelu(self.fc1(h))))
        return self.head(h[:, 0])


if __name__ == '__main__':
    m = Encoder().eval()
    x = torch.randn(4, TOKENS, 5)
    mask = torch.ones(4, TOKENS, dtype=torch.long)
    mask[1, 4:] = 0
    mask[2, 2:] = 0
    mask[3, 5:] = 0
    with torch.no_grad():
        y = m(x, mask)
    torch.onnx.export(m, (x, mask), os.path.join(HERE, 'bert_mask_op13.onnx'), opset_version=13, input_names=['input', 'attention_mask'],
                      output_names=['logits'], dynamic_axes={'input': {0: 'batch'}, 'attention_mask': {0: 'batch'}, 'logits': {0: 'batch'}},
                      do_constant_folding=True)
    np.savez(os.path.join(HERE, 'bert_mask.npz'), x=x.numpy(), mask=mask.numpy(), y=y.numpy())
