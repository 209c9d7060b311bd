#!/usr/bin/python3
"""Trains the MLP of issue 19's bar, 784-300-100-10 with ReLU, in PyTorch on the FIRST 55,000 Fashion-MNIST training
images only, and exports it to ONNX (opset 13, dynamic batch) without any normalization metadata.

The last 5,000 training images are never seen, so `compress --val-images 5000` can make its choices on images the
model did not learn from (a model trained on all 60,000 scores ~2-3 points higher on them than on the test split,
and every fine-tuning step that drops them looks like a loss). The input normalization is the model's own: the mean
and standard deviation of the 55,000 training pixels, rounded to 4 decimals and printed so the user can pass them
as `--normalize MEAN,STD`.

  /usr/bin/python3 scripts/train-pytorch-mlp.py OUT.onnx [EPOCHS] [DATA_DIR]

Fixed settings, none chosen on the test split: Adam lr 1e-3 halved every 4 epochs, batch 128, 12 epochs, seed 0.
TORCH_THREADS (default 1) sets torch's intra-op threads."""
import gzip, json, os, sys
import numpy as np
import torch
import torch.nn as nn

out = sys.argv[1]
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 12
data = sys.argv[3] if len(sys.argv) > 3 else "/usr/share/datasets/fashion-mnist"
TRAIN, HELD_OUT = 55000, 5000


def idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def split(prefix):
    x = idx(f"{data}/{prefix}-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28).astype(np.float32) / 255.0
    y = idx(f"{data}/{prefix}-labels-idx1-ubyte.gz", 8).astype(np.int64)
    return x, y


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


torch.manual_seed(0)
# one thread by default: on a loaded machine a second intra-op thread mostly spins waiting for the first
torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "1")))
xall, yall = split("train")
xte, yte = split("t10k")
xtr, ytr = xall[:TRAIN], yall[:TRAIN]
xho, yho = xall[TRAIN:TRAIN + HELD_OUT], yall[TRAIN:TRAIN + HELD_OUT]
mean, std = round(float(xtr.mean()), 4), round(float(xtr.std()), 4)


def norm(x):
    return torch.from_numpy((x - mean) / std)


xtr_t, xho_t, xte_t = norm(xtr), norm(xho), norm(xte)
ytr_t, yho_t, yte_t = torch.from_numpy(ytr), torch.from_numpy(yho), torch.from_numpy(yte)

mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 100), nn.ReLU(), nn.Linear(100, 10))
opt = torch.optim.Adam(mlp.parameters(), lr=1e-3)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=4, gamma=0.5)
g = torch.Generator().manual_seed(0)
for epoch in range(epochs):
    mlp.train()
    for b in torch.randperm(TRAIN, generator=g).split(128):
        opt.zero_grad()
        nn.functional.cross_entropy(mlp(xtr_t[b]), ytr_t[b]).backward()
        opt.step()
    sched.step()
    print(f"epoch {epoch + 1}: held-out {accuracy(mlp, xho_t, yho_t):.4f}", file=sys.stderr, flush=True)

mlp.eval()
torch.onnx.export(mlp, torch.zeros(1, 1, 28, 28), out, opset_version=13, input_names=["input"],
                  output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
print(json.dumps({"onnx": out, "normalize": f"{mean},{std}", "epochs": epochs, "trained_on": f"first {TRAIN} training images",
                  "held_out_accuracy": round(accuracy(mlp, xho_t, yho_t), 4), "test_accuracy": round(accuracy(mlp, xte_t, yte_t), 4)}))
