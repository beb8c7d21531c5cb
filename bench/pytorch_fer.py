"""S1 and S2 at FER2013 sizes in PyTorch, beside bench/fer-sizes.ts (same case names, same step).

S1: conv 64 k5 s2 'same' + ReLU, BN, maxpool 2, twice; flatten; fc 128 + ReLU; fc 7.
S2: conv 64 k9 s4 'same' + ReLU, BN, maxpool 2; flatten; fc 128 + ReLU; fc 7.
Input 48x48x1 and 48x48x3, batch 64, Adam (lr 1e-3), softmax cross-entropy. A step is what emoc's step
does: forward, loss, backward, update, and the loss and predicted classes read back. Prints one JSON
line with the median images/s of the timed steps after warm-up.
Usage: python3 pytorch_fer.py [threads] [steps]
"""
import json
import sys
import time

import torch
import torch.nn as nn

from pytorch_common import median

BATCH = 64


def s1(c: int) -> nn.Module:
    # 48 -> conv s2 24 -> pool 12 -> conv s2 6 -> pool 3: 3*3*64 features.
    return nn.Sequential(
        nn.Conv2d(c, 64, 5, stride=2, padding=2), nn.ReLU(), nn.BatchNorm2d(64), nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 5, stride=2, padding=2), nn.ReLU(), nn.BatchNorm2d(64), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3 * 3 * 64, 128), nn.ReLU(), nn.Linear(128, 7),
    )


def s2(c: int) -> nn.Module:
    # 48 -> conv s4 12 -> pool 6: 6*6*64 features.
    return nn.Sequential(
        nn.Conv2d(c, 64, 9, stride=4, padding=4), nn.ReLU(), nn.BatchNorm2d(64), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(6 * 6 * 64, 128), nn.ReLU(), nn.Linear(128, 7),
    )


def bench(make, c: int, steps: int, warmup: int = 3) -> dict:
    torch.manual_seed(0)
    model = make(c)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(BATCH, c, 48, 48)
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
            cpu_ms.append((time.process_time() - c) * 1000)
    # cpuStepMs: CPU time of all threads per step (as bench/fer-sizes.ts reports it); with more than
    # one thread it includes OpenMP's spin-waiting.
    return {"trainImagesPerSec": BATCH / (median(ms) / 1000), "stepMs": ms, "cpuStepMs": cpu_ms}


def main() -> None:
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    torch.set_num_threads(threads)
    results = []
    for name, make in (("s1", s1), ("s2", s2)):
        for c in (1, 3):
            results.append({"name": f"{name}-48x48x{c}", **bench(make, c, steps)})
    print(json.dumps({"torch": torch.__version__, "threads": threads, "batch": BATCH, "results": results}))


if __name__ == "__main__":
    main()
