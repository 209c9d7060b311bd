# Trained counterparts of the foreign fixtures in src/test/resources/transformers (which are untrained), for the issue-13
# user checklist (BENCHMARKS.md, issue 13 session 20): on Fashion-MNIST, inputs /255 (no mean/std), Adam + one-cycle
# lr 2e-3, batch 128, 2 threads.
#   tv N OUT    torchvision VisionTransformer (nn.MultiheadAttention), image 28, patch 7, 4 layers, 4 heads, width 64,
#               MLP 128, 1-channel conv_proj; writes OUT/tv13.onnx, OUT/tv17.onnx
#   sdpa N OUT  make_fixtures.ViT (4 blocks, 64 wide) with make_sdpa_fixture.SdpaAttention; writes OUT/sdpa17.onnx
# Run: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE nice -n 15 /usr/bin/python3 scripts/train-foreign-vits.py tv 2 /tmp/out
import importlib.util, os, sys
import numpy as np, torch
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'src', 'test', 'resources', 'transformers'))
import make_fixtures as mf
from make_sdpa_fixture import SdpaAttention
from torchvision.models.vision_transformer import VisionTransformer
spec = importlib.util.spec_from_file_location('foreign_vit', os.path.join(here, 'foreign-vit.py'))
fv = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fv)  # its training loop (fit); sets 2 threads
def images(p):
    return torch.tensor(mf.idx(p, 16).reshape(-1, 1, 28, 28).astype(np.float32) / 255)
xtr, ytr = images('train-images-idx3-ubyte.gz'), torch.tensor(mf.idx('train-labels-idx1-ubyte.gz', 8).astype(np.int64))
xte, yte = images('t10k-images-idx3-ubyte.gz'), torch.tensor(mf.idx('t10k-labels-idx1-ubyte.gz', 8).astype(np.int64))
which, epochs, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
torch.manual_seed(0)
if which == 'tv':
    m = VisionTransformer(image_size=28, patch_size=7, num_layers=4, num_heads=4, hidden_dim=64, mlp_dim=128, num_classes=10)
    m.conv_proj = torch.nn.Conv2d(1, 64, kernel_size=7, stride=7)
else:
    m = mf.ViT()
    for b in m.blocks:
        old = b.attn; b.attn = SdpaAttention(64, 4); b.attn.load_state_dict(old.state_dict())
acc = fv.fit(m, epochs, xtr, ytr, xte, yte, which)
print(which, 'pytorch test accuracy (10000)', acc, flush=True)
for op in ((13, 17) if which == 'tv' else (17,)):
    torch.onnx.export(m, xte[:2], os.path.join(out, '%s%d.onnx' % (which, op)), opset_version=op, input_names=['input'],
                      output_names=['logits'], dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}}, do_constant_folding=True)
