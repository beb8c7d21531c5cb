"""specs/fer2013.emo's network in PyTorch, beside bench/fer2013-spec.ts (same layers, same step).

stem: conv 32 3x3 stride 2 + BN + ReLU (24x24); three ResNet basic blocks (conv 3x3 stride 2 + BN + ReLU,
conv 3x3 + BN, shortcut 1x1 conv stride 2 without bias + BN, add, ReLU) of 64, 128 and 256 filters;
global average pooling; dropout 0.3; fc 7. Glorot-uniform kernels and zero biases as emoc initialises
them; batch norm with the IR's epsilon (1e-3) and momentum (0.9, i.e. PyTorch's 0.1). Input 48x48x1,
batch 64, AdamW (lr 2e-3, weight decay 0.05 on conv and fc kernels only, as emoc decays), cross-entropy
with label smoothing 0.1. A step is what emoc's step does: forward, loss, backward, update, and the
loss and predicted classes read back. Prints one JSON line with the median images/s of the timed steps
after warm-up.
Usage: python3 pytorch_fer2013.py [threads] [steps]
"""
import json
import sys
import time

import torch
import torch.nn as nn

from pytorch_common import median

BATCH = 64


def bn(c: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(c, eps=1e-3, momentum=0.1)


def convbn(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1), bn(cout), nn.ReLU())


class Basic(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(convbn(cin, cout, stride), nn.Conv2d(cout, cout, 3, padding=1), bn(cout))
        same = cin == cout and stride == 1
        self.shortcut = nn.Identity() if same else nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), bn(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.shortcut(x))


def network() -> nn.Module:
    model = nn.Sequential(
        convbn(1, 32, 2),       # 24x24x32
        Basic(32, 64, 2),       # 12x12x64
        Basic(64, 128, 2),      # 6x6x128
        Basic(128, 256, 2),     # 3x3x256
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.3),
        nn.Linear(256, 7),
    )
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return model


def main() -> None:
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    warmup = 3
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = network()
    kernels = [p for p in model.parameters() if p.dim() >= 2]
    others = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": kernels, "weight_decay": 0.05}, {"params": others, "weight_decay": 0.0}], lr=2e-3)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    x = torch.rand(BATCH, 1, 48, 48)
    y = torch.randint(0, 7, (BATCH,))
    ms = []
    cpu_ms = []
    for i in range(warmup + steps):
        t = time.perf_counter()
        c = time.process_time()
        opt.zero_grad()
        out = model(x)
        loss = loss_fn(out, y)
        loss.backward()
        opt.step()
        loss.item()
        out.argmax(1).tolist()
        if i >= warmup:
            ms.append((time.perf_counter() - t) * 1000)
            # CPU time of all threads (with more than one, OpenMP's spin-waiting is in it).
            cpu_ms.append((time.process_time() - c) * 1000)
    # Parameters plus batch norm's moving mean and variance: the total `emoc explain` prints.
    params = sum(p.numel() for p in model.parameters()) + sum(
        m.running_mean.numel() + m.running_var.numel() for m in model.modules() if isinstance(m, nn.BatchNorm2d)
    )
    print(json.dumps({
        "torch": torch.__version__, "threads": threads, "batch": BATCH, "params": params,
        "trainImagesPerSec": BATCH / (median(ms) / 1000), "stepMs": ms, "cpuStepMs": cpu_ms,
    }))


if __name__ == "__main__":
    main()
