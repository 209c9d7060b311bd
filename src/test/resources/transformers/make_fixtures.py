# Transformer fixtures written by PyTorch's own exporter, for nnzip's transformer tests (TransformerFixturesTest).
# Run with Debian's python3-torch (1.13): env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 /usr/bin/python3 make_fixtures.py [all|tiny|gpt|vit] [vit-epochs]
# (writes into this folder; the checked-in ViT had 1 epoch).
#   vit_op13.onnx / vit_op17.onnx  4-block, 64-wide ViT trained briefly on Fashion-MNIST; LayerNorm decomposed (13) or
#                                  LayerNormalization (17); GELU as Erf.   vit.npz: x (8 test images), y (PyTorch logits),
#                                  acc (PyTorch's test accuracy over the first 2000 test images).
#   vit_tiny_op13/17.onnx + vit_tiny.npz  an untrained 1-block, 16-wide ViT with x, y, the seed w of the loss
#                                  L = sum(w * logits), every parameter (p.<name>; the exporter renames, transposes and
#                                  merges equal ones) and PyTorch's dL/dparam (g.<name>).
#   gpt_tiny.onnx + gpt_tiny.npz   a 2-block causal LM (token Gather embedding, learned positions, causal mask via
#                                  Where, head tied to the embedding), trained briefly on a counting task; x tokens, y logits.
import gzip, math, os, sys
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_num_threads(2)
HERE = os.path.dirname(os.path.abspath(__file__))
D = '/usr/share/datasets/fashion-mnist/'


def idx(p, off):
    with gzip.open(D + p) as f:
        return np.frombuffer(f.read(), np.uint8, offset=off)


class Attention(nn.Module):
    # timm layout: one qkv Linear, heads split by reshape/permute, q·kᵀ scaled, softmax, ·v, merge, proj
    def __init__(self, dim, heads):
        super().__init__()
        self.heads, self.scale = heads, (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, mask=None):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        a = (q @ k.transpose(-2, -1)) * self.scale
        if mask is not None:
            a = torch.where(mask[:N, :N], a, torch.tensor(float('-inf')))
        a = a.softmax(dim=-1)
        return self.proj((a @ v).transpose(1, 2).reshape(B, N, C))


class Block(nn.Module):
    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.norm1, self.attn = nn.LayerNorm(dim), Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.fc1, self.act, self.fc2 = nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim)

    def forward(self, x, mask=None):
        x = x + self.attn(self.norm1(x), mask)
        return x + self.fc2(self.act(self.fc1(self.norm2(x))))


class ViT(nn.Module):
    def __init__(self, dim=64, depth=4, heads=4, hidden=128, patch=7, classes=10):
        super().__init__()
        n = (28 // patch) ** 2
        self.patch = nn.Conv2d(1, dim, patch, stride=patch)
        self.pos = nn.Parameter(torch.randn(1, n, dim) * 0.02)
        self.blocks = nn.ModuleList([Block(dim, heads, hidden) for _ in range(depth)])
        self.norm, self.head = nn.LayerNorm(dim), nn.Linear(dim, classes)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2) + self.pos
        for b in self.blocks:
            x = b(x)
        return self.head(self.norm(x).mean(1))


class TinyLM(nn.Module):
    def __init__(self, vocab=16, ctx=8, dim=32, depth=2, heads=2):
        super().__init__()
        self.tok, self.pos = nn.Embedding(vocab, dim), nn.Parameter(torch.randn(1, ctx, dim) * 0.02)
        self.blocks = nn.ModuleList([Block(dim, heads, dim * 2) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.register_buffer('mask', torch.tril(torch.ones(ctx, ctx, dtype=torch.bool)))

    def forward(self, ids):
        x = self.tok(ids) + self.pos[:, :ids.shape[1]]
        for b in self.blocks:
            x = b(x, self.mask)
        return self.norm(x) @ self.tok.weight.t()


def export(model, x, name, opset, in_name='input', axes=None):
    torch.onnx.export(model, x, os.path.join(HERE, name), opset_version=opset, input_names=[in_name], output_names=['logits'],
                      dynamic_axes=axes or {in_name: {0: 'batch'}, 'logits': {0: 'batch'}}, do_constant_folding=True)


def vit(epochs):
    xtr = torch.tensor(idx('train-images-idx3-ubyte.gz', 16).reshape(-1, 1, 28, 28).astype(np.float32) / 255)
    ytr = torch.tensor(idx('train-labels-idx1-ubyte.gz', 8).astype(np.int64))
    xte = torch.tensor(idx('t10k-images-idx3-ubyte.gz', 16).reshape(-1, 1, 28, 28).astype(np.float32) / 255)
    yte = torch.tensor(idx('t10k-labels-idx1-ubyte.gz', 8).astype(np.int64))
    m = ViT()
    opt = torch.optim.Adam(m.parameters(), 1e-3)
    for ep in range(epochs):
        perm = torch.randperm(len(xtr))
        for s in range(0, len(xtr), 128):
            i = perm[s:s + 128]
            loss = F.cross_entropy(m(xtr[i]), ytr[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
    m.eval()
    with torch.no_grad():
        acc = (m(xte[:2000]).argmax(1) == yte[:2000]).float().mean().item()
        x = xte[:8]
        y = m(x)
    print('vit test accuracy (first 2000)', acc, flush=True)
    for op in (13, 17):
        export(m, x, 'vit_op%d.onnx' % op, op)
    np.savez(os.path.join(HERE, 'vit.npz'), x=x.numpy(), y=y.numpy(), acc=np.float32(acc))


def vit_tiny():
    torch.manual_seed(1)
    m = ViT(dim=16, depth=1, heads=2, hidden=32, patch=14, classes=3)
    x = torch.rand(2, 1, 28, 28)
    y = m(x)
    w = torch.randn_like(y)
    (w * y).sum().backward()
    g = {'g.' + k: p.grad.numpy() for k, p in m.named_parameters()}
    g.update({'p.' + k: p.detach().numpy() for k, p in m.named_parameters()})
    for op in (13, 17):
        export(m, x, 'vit_tiny_op%d.onnx' % op, op)
    np.savez(os.path.join(HERE, 'vit_tiny.npz'), x=x.numpy(), y=y.detach().numpy(), w=w.numpy(), **g)


def gpt_tiny():
    torch.manual_seed(2)
    m = TinyLM()
    opt = torch.optim.Adam(m.parameters(), 3e-3)
    for step in range(150):
        # next token = previous + 1 (mod 16) from a random start: learnable, so the logits are far from uniform
        ids = (torch.randint(0, 16, (32, 1)) + torch.arange(8)) % 16
        logits = m(ids[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, 16), ids[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    print('gpt final loss', loss.item(), flush=True)
    m.eval()
    x = (torch.tensor([[3], [9], [15]]) + torch.arange(7)) % 16
    with torch.no_grad():
        y = m(x)
    export(m, x, 'gpt_tiny.onnx', 13, 'ids', {'ids': {0: 'batch', 1: 'seq'}, 'logits': {0: 'batch', 1: 'seq'}})
    np.savez(os.path.join(HERE, 'gpt_tiny.npz'), x=x.numpy(), y=y.numpy())


if __name__ == '__main__':  # make_sdpa_fixture.py imports the modules
    what = sys.argv[1] if len(sys.argv) > 1 else 'all'
    if what in ('all', 'tiny'):
        vit_tiny()
    if what in ('all', 'gpt'):
        gpt_tiny()
    if what in ('all', 'vit'):
        vit(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
