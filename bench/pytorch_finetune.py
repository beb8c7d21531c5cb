"""Fine-tuning step of MobileNetV1 (faceres' network) in PyTorch, beside bench/finetune-step.ts.

The network emoc fine-tunes: faceres (MobileNetV1 width 1.0, batch norm folded into the convolutions as
in the shipped graph: a conv with bias, ReLU6), global average pool, then a head fc 7. The last N of its
14 blocks (conv1, then 13 depthwise+pointwise blocks) train, the rest are frozen (requires_grad False, run
under no_grad as emoc's interpreter does not differentiate them); N = 14 trains everything. Adam, softmax
cross-entropy; a step is forward, loss, backward, update, and the loss read back.
Prints one JSON line per case: {"case", "imagesPerSec", "stepMs"} (median of the timed steps).
Usage: python3 pytorch_finetune.py [threads] [steps] [size] [batch] [N ...]
"""
import json
import sys
import time

import torch
import torch.nn as nn

from pytorch_common import median
from pytorch_mobilenet import BLOCKS


def blocks() -> list:
    out = [nn.Sequential(nn.Conv2d(3, 32, 3, stride=2, padding=1), nn.ReLU6())]
    cin = 32
    for cout, stride in BLOCKS:
        out.append(nn.Sequential(nn.Conv2d(cin, cin, 3, stride=stride, padding=1, groups=cin), nn.ReLU6(),
                                 nn.Conv2d(cin, cout, 1), nn.ReLU6()))
        cin = cout
    return out


def bench(threads: int, steps: int, size: int, batch: int, trained: int, warmup: int = 2) -> dict:
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    parts = blocks()
    frozen = nn.Sequential(*parts[: len(parts) - trained])
    tuned = nn.Sequential(*parts[len(parts) - trained:], nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1024, 7))
    for p in frozen.parameters():
        p.requires_grad_(False)
    opt = torch.optim.Adam(tuned.parameters(), lr=1e-4)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(batch, 3, size, size) * 255
    y = torch.randint(0, 7, (batch,))
    ms = []
    for i in range(warmup + steps):
        t = time.perf_counter()
        with torch.no_grad():
            f = frozen(x)
        opt.zero_grad()
        loss = loss_fn(tuned(f), y)
        loss.backward()
        opt.step()
        loss.item()
        if i >= warmup:
            ms.append((time.perf_counter() - t) * 1000)
    return {"case": f"faceres {size}x{size} finetune {trained}", "threads": threads, "batch": batch,
            "imagesPerSec": batch * 1000 / median(ms), "stepMs": ms}


def main() -> None:
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 96
    batch = int(sys.argv[4]) if len(sys.argv) > 4 else 32
    trained = [int(a) for a in sys.argv[5:]] or [4, 14]
    print(json.dumps({"torch": torch.__version__}))
    for n in trained:
        print(json.dumps(bench(threads, steps, size, batch, n)))


if __name__ == "__main__":
    main()
