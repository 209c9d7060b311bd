# A ViT whose attention is exported the way PyTorch 2's exporter writes F.scaled_dot_product_attention (timm's
# default attention path on PyTorch 2), reproduced with Debian's PyTorch 1.13, which has no such function: the
# TorchScript exporter's symbolic (opset >= 14) transposes k's last two axes, scales q and kᵀ each by
# sqrt(scale) with scale = 1/sqrt(q.shape[-1]) computed from q's shape at run time, then MatMul → Softmax → MatMul(·, v).
# Run: /usr/bin/python3 make_sdpa_fixture.py (writes into this folder).
#   sdpa_tiny_op17.onnx  untrained 1-block, 16-wide, 2-head ViT (patch 14: 4 tokens, mean-pooled head), dynamic batch
#   sdpa_tiny.npz        x (8 random images), y (PyTorch's logits)
import os
import numpy as np
import torch
from make_fixtures import Attention, ViT, export, HERE


class SdpaAttention(Attention):
    def forward(self, x, mask=None):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        scale = 1.0 / torch.sqrt(torch.tensor(q.shape[-1], dtype=torch.float32))
        a = (q * torch.sqrt(scale)) @ (k.transpose(-2, -1) * torch.sqrt(scale))
        return self.proj((a.softmax(dim=-1) @ v).transpose(1, 2).reshape(B, N, C))


if __name__ == '__main__':  # scripts/sdpa-vit.py imports SdpaAttention
    torch.manual_seed(3)
    m = ViT(dim=16, depth=1, heads=2, hidden=32, patch=14, classes=3)
    for b in m.blocks:
        old = b.attn
        b.attn = SdpaAttention(16, 2)
        b.attn.load_state_dict(old.state_dict())
        with torch.no_grad():  # sharper scores than at init, so a wrong score scale changes the logits
            b.attn.qkv.weight.mul_(4)
    m.eval()
    x = torch.rand(8, 1, 28, 28)
    with torch.no_grad():
        y = m(x)
    export(m, x[:2], 'sdpa_tiny_op17.onnx', 17)
    np.savez(os.path.join(HERE, 'sdpa_tiny.npz'), x=x.numpy(), y=y.numpy())
