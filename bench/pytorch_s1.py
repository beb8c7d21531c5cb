"""S1 in PyTorch, as the write-up describes it, for a side-by-side speed reference (issue: CPU training).

Same shapes as emoc's S1: 160x160x3 input, conv 64 k5 s2 'same' + ReLU, BN, maxpool 2, twice; flatten
(6400); fc 128 + ReLU; fc 7; Adam; softmax cross-entropy. Prints one JSON line with the median
images/s of training and inference steps after warm-up. Usage: python3 pytorch_s1.py [threads] [steps]
"""
import json
import sys
import time

import torch
import torch.nn as nn

from pytorch_common import median


def s1() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 64, 5, stride=2, padding=2), nn.ReLU(), nn.BatchNorm2d(64), nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 5, stride=2, padding=2), nn.ReLU(), nn.BatchNorm2d(64), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(6400, 128), nn.ReLU(), nn.Linear(128, 7),
    )


def main() -> None:
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    batch = 32
    model = s1()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.randn(batch, 3, 160, 160)
    y = torch.randint(0, 7, (batch,))
    train_ms = []
    for i in range(steps + 2):
        t = time.perf_counter()
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        if i >= 2:
            train_ms.append((time.perf_counter() - t) * 1000)
    model.eval()
    infer_ms = []
    with torch.no_grad():
        for i in range(steps + 2):
            t = time.perf_counter()
            model(x)
            if i >= 2:
                infer_ms.append((time.perf_counter() - t) * 1000)
    print(json.dumps({
        "torch": torch.__version__, "threads": threads, "batch": batch,
        "trainImagesPerSec": batch / (median(train_ms) / 1000), "inferImagesPerSec": batch / (median(infer_ms) / 1000),
        "trainStepMs": train_ms, "inferStepMs": infer_ms,
    }))


if __name__ == "__main__":
    main()
