# torchvision's VisionTransformer (its encoder attention is nn.MultiheadAttention, as in nn.TransformerEncoderLayer),
# exported by PyTorch's own exporter, for nnzip's TorchMhaFusionTest.
# Run with Debian's python3-torch (1.13) + torchvision: /usr/bin/python3 make_tv_fixture.py (writes into this folder).
#   tv_vit_op13.onnx / tv_vit_op17.onnx  untrained (the head random, not torchvision's zeros): image 28, patch 14 (4 patches + class token), 2 layers, 2 heads,
#                                        width 16, MLP 32, 1-channel conv_proj, dynamic batch.
#   tv_vit.npz                           x (8 random images, N(0.5, 0.3)), y (PyTorch's logits).
import os
import numpy as np
import torch
from torchvision.models.vision_transformer import VisionTransformer

torch.manual_seed(0)
HERE = os.path.dirname(os.path.abspath(__file__))
m = VisionTransformer(image_size=28, patch_size=14, num_layers=2, num_heads=2, hidden_dim=16, mlp_dim=32, num_classes=10)
m.conv_proj = torch.nn.Conv2d(1, 16, kernel_size=14, stride=14)
torch.nn.init.normal_(m.heads.head.weight, std=0.5)  # torchvision starts the head at zero
m.eval()
x = 0.5 + 0.3 * torch.randn(8, 1, 28, 28)
with torch.no_grad():
    y = m(x)
for op in (13, 17):
    torch.onnx.export(m, x[:2], os.path.join(HERE, f"tv_vit_op{op}.onnx"), opset_version=op, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, do_constant_folding=True)
np.savez(os.path.join(HERE, "tv_vit.npz"), x=x.numpy(), y=y.numpy())
