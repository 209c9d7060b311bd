# Trained counterparts of the foreign fixtures in src/test/resources/transformers (which are untrained), for the issue-13
# user checklist (BENCHMARKS.md, issue 13 session 20): on Fashion-MNIST, inputs /255 (no mean/std), Adam + one-cycle
# lr 2e-3, batch 128, 2 threads.
#   tv N OUT    torchvision VisionTransformer (nn.MultiheadAttention), image 28, patch 7, 4 layers, 4 heads, width 64,
#               MLP 128, 1-channel conv_proj; writes OUT/tv13.onnx, OUT/tv17.onnx
#   sdpa N OUT  make_fixtures.ViT (4 blocks, 64 wide) with make_sdpa_fixture.SdpaAttention; writes OUT/sdpa17.onnx
# Run: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE nice -n 15 /usr/bin/python3 scripts/train-foreign-vits.py tv 2 /tmp/out
import gzip, os, sys, time
import numpy as np, torch, torch.nn.functional as F
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'src', 'test', 'resources', 'transformers'))
import make_fixtures as mf
from make_sdpa_fixture import SdpaAttention
from torchvision.models.vision_transformer import VisionTransformer
torch.set_num_threads(2)
D = '/usr/share/datasets/fashion-mnist/'
def idx(p, off):
    with gzip.open(D + p) as f: return np.frombuffer(f.read(), np.uint8, offset=off)
xtr = torch.tensor(idx('train-images-idx3-ubyte.gz', 16).reshape(-1, 1, 28, 28).astype(np.float32) / 255)
ytr = torch.tensor(idx('train-labels-idx1-ubyte.gz', 8).astype(np.int64))
xte = torch.tensor(idx('t10k-images-idx3-ubyte.gz', 16).reshape(-1, 1, 28, 28).astype(np.float32) / 255)
yte = torch.tensor(idx('t10k-labels-idx1-ubyte.gz', 8).astype(np.int64))
which, epochs, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
torch.manual_seed(0)
if which == 'tv':
    m = VisionTransformer(image_size=28, patch_size=7, num_layers=4, num_heads=4, hidden_dim=64, mlp_dim=128, num_classes=10)
    m.conv_proj = torch.nn.Conv2d(1, 64, kernel_size=7, stride=7)
else:
    m = mf.ViT()
    for b in m.blocks:
        old = b.attn; b.attn = SdpaAttention(64, 4); b.attn.load_state_dict(old.state_dict())
opt = torch.optim.Adam(m.parameters(), 1e-3)
steps = epochs * ((len(xtr) + 127) // 128)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, 2e-3, total_steps=steps)
t0 = time.time()
for ep in range(epochs):
    m.train(); perm = torch.randperm(len(xtr))
    for s in range(0, len(xtr), 128):
        i = perm[s:s + 128]
        loss = F.cross_entropy(m(xtr[i]), ytr[i]); opt.zero_grad(); loss.backward(); opt.step(); sched.step()
    print(which, 'epoch', ep, 'loss', round(loss.item(), 4), 'elapsed', round(time.time() - t0), flush=True)
m.eval()
with torch.no_grad():
    pred = torch.cat([m(xte[s:s + 500]).argmax(1) for s in range(0, len(xte), 500)])
    acc = (pred == yte).float().mean().item()
print(which, 'pytorch test accuracy (10000)', acc, flush=True)
for op in ((13, 17) if which == 'tv' else (17,)):
    torch.onnx.export(m, xte[:2], os.path.join(out, '%s%d.onnx' % (which, op)), opset_version=op, input_names=['input'],
                      output_names=['logits'], dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}}, do_constant_folding=True)
