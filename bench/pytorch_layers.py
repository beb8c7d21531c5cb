"""Every layer kind of the language in PyTorch, at the shapes bench/layers.ts uses (same names), batch 32.

For each layer: forward ms and forward+backward ms (gradients for the input and the weights from a fixed upstream gradient dy), median
of the timed steps after warm-up. Prints one JSON line. Usage: python3 pytorch_layers.py [threads] [steps]
"""
import json
import sys
import time

import torch
import torch.nn as nn

from pytorch_common import median

# (name, input shape NCHW without the batch, module); names match LAYER_CASES in bench/layers.ts.
CASES = [
    ("conv 64 k5 s2 (S1 #1, 160x160x3)", (3, 160, 160), lambda: nn.Sequential(nn.Conv2d(3, 64, 5, stride=2, padding=2), nn.ReLU())),
    ("conv 64 k5 s2 (S1 #2, 40x40x64)", (64, 40, 40), lambda: nn.Sequential(nn.Conv2d(64, 64, 5, stride=2, padding=2), nn.ReLU())),
    ("conv 64 k9 s4 (S2 #1, 160x160x3)", (3, 160, 160), lambda: nn.Sequential(nn.Conv2d(3, 64, 9, stride=4, padding=4), nn.ReLU())),
    ("bn (80x80x64)", (64, 80, 80), lambda: nn.BatchNorm2d(64, momentum=0.1)),
    ("maxpool 2 (80x80x64)", (64, 80, 80), lambda: nn.MaxPool2d(2)),
    ("avgpool 2 (80x80x64)", (64, 80, 80), lambda: nn.AvgPool2d(2)),
    ("relu (80x80x64)", (64, 80, 80), lambda: nn.ReLU()),
    ("flatten (10x10x64)", (64, 10, 10), lambda: nn.Flatten()),
    ("fc 128 (S1, 6400)", (6400,), lambda: nn.Sequential(nn.Linear(6400, 128), nn.ReLU())),
    ("fc 128 (S2, 25600)", (25600,), lambda: nn.Sequential(nn.Linear(25600, 128), nn.ReLU())),
    ("dropout 0.5 (6400)", (6400,), lambda: nn.Dropout(0.5)),
    # S1 and S2 at FER2013 size (48x48), batch 64 (the " b64" cases).
    ("conv 64 k5 s2 (S1 #1, 48x48x1) b64", (1, 48, 48), lambda: nn.Sequential(nn.Conv2d(1, 64, 5, stride=2, padding=2), nn.ReLU())),
    ("conv 64 k5 s2 (S1 #1, 48x48x3) b64", (3, 48, 48), lambda: nn.Sequential(nn.Conv2d(3, 64, 5, stride=2, padding=2), nn.ReLU())),
    ("conv 64 k5 s2 (S1 #2, 12x12x64) b64", (64, 12, 12), lambda: nn.Sequential(nn.Conv2d(64, 64, 5, stride=2, padding=2), nn.ReLU())),
    ("conv 64 k9 s4 (S2 #1, 48x48x1) b64", (1, 48, 48), lambda: nn.Sequential(nn.Conv2d(1, 64, 9, stride=4, padding=4), nn.ReLU())),
    ("conv 64 k9 s4 (S2 #1, 48x48x3) b64", (3, 48, 48), lambda: nn.Sequential(nn.Conv2d(3, 64, 9, stride=4, padding=4), nn.ReLU())),
    ("bn (24x24x64) b64", (64, 24, 24), lambda: nn.BatchNorm2d(64, momentum=0.1)),
    ("maxpool 2 (24x24x64) b64", (64, 24, 24), lambda: nn.MaxPool2d(2)),
    ("fc 128 (S1, 576) b64", (576,), lambda: nn.Sequential(nn.Linear(576, 128), nn.ReLU())),
    ("fc 128 (S2, 2304) b64", (2304,), lambda: nn.Sequential(nn.Linear(2304, 128), nn.ReLU())),
]


def timed(f, steps, warmup=1):
    ms = []
    for i in range(warmup + steps):
        t = time.perf_counter()
        f()
        if i >= warmup:
            ms.append((time.perf_counter() - t) * 1000)
    return median(ms)


def main() -> None:
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    rows = []
    for name, shape, make in CASES:
        layer = make().train()
        x = torch.randn(64 if name.endswith(" b64") else 32, *shape, requires_grad=True)
        # The gradient arriving from the layer above, fixed (as in bench/layers.ts).
        dy = torch.randn_like(layer(x))

        def forward():
            layer(x)

        def train():
            layer.zero_grad()
            x.grad = None
            layer(x).backward(dy)

        rows.append({"name": name, "forwardMs": timed(forward, steps), "trainMs": timed(train, steps)})
    print(json.dumps({"torch": torch.__version__, "threads": threads, "layers": rows}))


if __name__ == "__main__":
    main()
