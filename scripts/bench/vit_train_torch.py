#!/usr/bin/python3
# PyTorch's side of scripts/bench/vit-train-vs-torch.sh: one epoch (or the first LIMIT images) of the fixture ViT
# (src/test/resources/transformers/make_fixtures.py: 4 blocks, 64 wide, 4 heads) on Fashion-MNIST, batch 128, Adam
# lr 1e-3, 2 threads; prints one JSON line with the epoch's wall and CPU seconds and images/s.
#   /usr/bin/python3 vit_train_torch.py [LIMIT] [BATCH] [THREADS (default 2)]
# With VIT=tv the model is torchvision's VisionTransformer at the same size (patch 7, 4 layers, 4 heads, width 64,
# MLP 128, 1-channel conv_proj; its attention is nn.MultiheadAttention); VIT_EXPORT=F.onnx then only exports that
# model (opset 17, or VIT_OPSET; dynamic batch) for nnzip's side and exits.
import gzip, importlib.util, json, os, sys, time
import numpy as np
import torch
import torch.nn.functional as F

limit = int(sys.argv[1]) if len(sys.argv) > 1 and int(sys.argv[1]) > 0 else 60000
batch = int(sys.argv[2]) if len(sys.argv) > 2 else 128
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location('fixtures', os.path.join(here, '../../src/test/resources/transformers/make_fixtures.py'))
fixtures = importlib.util.module_from_spec(spec)
sys.argv = [sys.argv[0], 'none']  # make_fixtures runs what argv names: nothing
spec.loader.exec_module(fixtures)
torch.set_num_threads(threads)
torch.manual_seed(1)
xtr = torch.tensor(fixtures.idx('train-images-idx3-ubyte.gz', 16).reshape(-1, 1, 28, 28)[:limit].astype(np.float32) / 255)
ytr = torch.tensor(fixtures.idx('train-labels-idx1-ubyte.gz', 8)[:limit].astype(np.int64))
if os.environ.get('VIT') == 'tv':
    from torchvision.models.vision_transformer import VisionTransformer
    m = VisionTransformer(image_size=28, patch_size=7, num_layers=4, num_heads=4, hidden_dim=64, mlp_dim=128, num_classes=10)
    m.conv_proj = torch.nn.Conv2d(1, 64, kernel_size=7, stride=7)
    torch.nn.init.normal_(m.heads.head.weight, std=0.02)  # torchvision starts the head at zero
    if os.environ.get('VIT_EXPORT'):
        m.eval()
        torch.onnx.export(m, torch.zeros(2, 1, 28, 28), os.environ['VIT_EXPORT'], opset_version=int(os.environ.get('VIT_OPSET', '17')), input_names=['input'],
                          output_names=['logits'], dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})
        sys.exit(0)
else:
    m = fixtures.ViT()
opt = torch.optim.Adam(m.parameters(), 1e-3)
m.train()
perm = torch.randperm(len(xtr))
t0, c0 = time.perf_counter(), time.process_time()
for s in range(0, len(xtr), batch):
    i = perm[s:s + batch]
    loss = F.cross_entropy(m(xtr[i]), ytr[i])
    opt.zero_grad()
    loss.backward()
    opt.step()
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({'images': len(xtr), 'batch': batch, 'seconds': round(wall, 3), 'cpu_seconds': round(cpu, 2),
                  'images_per_second': round(len(xtr) / wall, 1), 'final_loss': round(loss.item(), 4)}))
