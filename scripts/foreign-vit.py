# Foreign-model check for `nnzip quantize --scheme int8` (issue 13): a timm-style ViT written differently from
# src/test/resources/transformers/make_fixtures.py -- a learned class token concatenated in front (torch.cat), learned
# positions added after it, patch-4 Conv (49 patches + cls = 50 tokens), LayerNorm eps 1e-6, head on x[:, 0] -- and its
# own input normalization (mean 0.2860, std 0.3530 on /255 images).
# Run with Debian's torch: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE nice -n 15 /usr/bin/python3 scripts/foreign-vit.py
#   train [epochs] [outdir]   64-wide, 4-block model trained on Fashion-MNIST; writes cls13.onnx, cls17.onnx, cls.npz
#                             (x: 8 normalized test images, y: PyTorch logits, acc: PyTorch test accuracy on 10 000)
#   tiny [outdir]             untrained 16-wide, 1-block, patch-14 model (4 patches + cls) for the regression fixture
#                             cls_tiny_op13/17.onnx + cls_tiny.npz (x, y)
import gzip, os, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(2)
D = '/usr/share/datasets/fashion-mnist/'
MEAN, STD = 0.2860, 0.3530


def idx(p, off):
    with gzip.open(D + p) as f:
        return np.frombuffer(f.read(), np.uint8, offset=off)


def images(p):
    return torch.tensor((idx(p, 16).reshape(-1, 1, 28, 28).astype(np.float32) / 255 - MEAN) / STD)


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.num_heads = heads
        self.head_dim = dim // heads
        self.scale = self.head_dim ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = (q @ k.transpose(-2, -1)) * self.scale
        attn = attn.softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(B, N, C)
        return self.proj(x)


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1, self.act, self.fc2 = nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, hidden)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        x = x + self.mlp(self.norm2(x))
        return x


class ClsViT(nn.Module):
    def __init__(self, dim=64, depth=4, heads=4, hidden=128, patch=4, classes=10):
        super().__init__()
        n = (28 // patch) ** 2
        self.patch_embed = nn.Conv2d(1, dim, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, n + 1, dim) * 0.02)
        self.blocks = nn.Sequential(*[Block(dim, heads, hidden) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)
        nn.init.normal_(self.cls_token, std=1e-6)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1)
        x = x + self.pos_embed
        x = self.blocks(x)
        x = self.norm(x)
        return self.head(x[:, 0])


def export(m, x, path, opset):
    torch.onnx.export(m, x, path, opset_version=opset, input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}}, do_constant_folding=True)


def fit(m, epochs, xtr, ytr, xte, yte, label=''):
    """Adam + one-cycle (peak 2e-3), batch 128; returns the test accuracy on all of xte. Also used by
    train-foreign-vits.py, so every trained foreign ViT of the issue-13 checks is trained the same way."""
    opt = torch.optim.Adam(m.parameters(), 1e-3)
    steps = epochs * ((len(xtr) + 127) // 128)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 2e-3, total_steps=steps)
    t0 = time.time()
    for ep in range(epochs):
        m.train()
        perm = torch.randperm(len(xtr))
        for s in range(0, len(xtr), 128):
            i = perm[s:s + 128]
            loss = F.cross_entropy(m(xtr[i]), ytr[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            if s // 128 % 100 == 0:
                print(label, 'epoch', ep, 'step', s // 128, 'loss', round(loss.item(), 4), 'elapsed', round(time.time() - t0), 's', flush=True)
        print(label, 'epoch', ep, 'loss', round(loss.item(), 4), 'elapsed', round(time.time() - t0), 's', flush=True)
    m.eval()
    with torch.no_grad():
        pred = torch.cat([m(xte[s:s + 500]).argmax(1) for s in range(0, len(xte), 500)])
        return (pred == yte).float().mean().item()


def train(epochs, out):
    torch.manual_seed(0)
    xtr, ytr = images('train-images-idx3-ubyte.gz'), torch.tensor(idx('train-labels-idx1-ubyte.gz', 8).astype(np.int64))
    xte, yte = images('t10k-images-idx3-ubyte.gz'), torch.tensor(idx('t10k-labels-idx1-ubyte.gz', 8).astype(np.int64))
    m = ClsViT()
    acc = fit(m, epochs, xtr, ytr, xte, yte)
    with torch.no_grad():
        x = xte[:8]
        y = m(x)
    print('pytorch test accuracy (10000)', acc, flush=True)
    for op in (13, 17):
        export(m, x, os.path.join(out, 'cls%d.onnx' % op), op)
    np.savez(os.path.join(out, 'cls.npz'), x=x.numpy(), y=y.numpy(), acc=np.float32(acc))


def tiny(out):
    torch.manual_seed(3)
    m = ClsViT(dim=16, depth=1, heads=2, hidden=32, patch=14, classes=3)
    with torch.no_grad():  # move gamma/beta and the class token off their init so a dropped fold shows in the logits
        for name, p in m.named_parameters():
            if 'norm' in name or 'cls_token' in name:
                p.add_(torch.randn_like(p) * 0.3)
    m.eval()
    x = (torch.rand(2, 1, 28, 28) - MEAN) / STD
    with torch.no_grad():
        y = m(x)
    for op in (13, 17):
        export(m, x, os.path.join(out, 'cls_tiny_op%d.onnx' % op), op)
    np.savez(os.path.join(out, 'cls_tiny.npz'), x=x.numpy(), y=y.numpy())


if __name__ == '__main__':
    what = sys.argv[1] if len(sys.argv) > 1 else 'train'
    if what == 'train':
        train(int(sys.argv[2]) if len(sys.argv) > 2 else 3, sys.argv[3] if len(sys.argv) > 3 else '/work/art/q19')
    elif what == 'tiny':
        tiny(sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                              '../src/test/resources/transformers'))
