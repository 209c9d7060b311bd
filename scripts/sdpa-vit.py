# A 4-block, 64-wide ViT (src/test/resources/transformers/make_fixtures.py's, random weights) whose attention is
# written the way PyTorch 2 exports F.scaled_dot_product_attention (make_sdpa_fixture.py's SdpaAttention), exported at
# opset 17 with a dynamic batch, for timing the engine against ONNX Runtime on that form (`nnzip bench`).
# Run: /usr/bin/python3 scripts/sdpa-vit.py OUT.onnx
import os, sys
import torch
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'src', 'test', 'resources', 'transformers'))
import make_fixtures as mf
from make_sdpa_fixture import SdpaAttention


torch.manual_seed(0)
m = mf.ViT()
for b in m.blocks:
    old = b.attn
    b.attn = SdpaAttention(64, 4)
    b.attn.load_state_dict(old.state_dict())
m.eval()
torch.onnx.export(m, torch.rand(2, 1, 28, 28), sys.argv[1], opset_version=17, input_names=['input'], output_names=['logits'],
                  dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}}, do_constant_folding=True)
