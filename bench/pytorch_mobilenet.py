"""MobileNetV1 (width 1.0) inference in PyTorch, the reference for bench/mobilenet.ts.

Same network as emoc's benchmark: 160x160x3 input, batch 32, batch norm folded into each convolution's
bias (as a deployed model has it, and as emoc's converted graph models run), ReLU6, global average
pool, fc 1000. Prints one JSON line with the median images/s after warm-up.
Usage: python3 pytorch_mobilenet.py [threads] [steps]
"""
import json
import sys
import time

import torch
import torch.nn as nn

from pytorch_common import median

BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
          (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]


def mobilenet_v1() -> nn.Module:
    layers = [nn.Conv2d(3, 32, 3, stride=2, padding=1), nn.ReLU6()]
    cin = 32
    for cout, stride in BLOCKS:
        layers += [nn.Conv2d(cin, cin, 3, stride=stride, padding=1, groups=cin), nn.ReLU6(),
                   nn.Conv2d(cin, cout, 1), nn.ReLU6()]
        cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1024, 1000)]
    return nn.Sequential(*layers)


def main() -> None:
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    steps = max(5, int(sys.argv[2]) if len(sys.argv) > 2 else 5)
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    batch = 32
    model = mobilenet_v1().eval()
    x = torch.randn(batch, 3, 160, 160)
    ms = []
    with torch.no_grad():
        for i in range(steps + 2):
            t = time.perf_counter()
            model(x)
            if i >= 2:
                ms.append((time.perf_counter() - t) * 1000)
    print(json.dumps({"torch": torch.__version__, "threads": threads, "batch": batch,
                      "inferImagesPerSec": batch * 1000 / median(ms), "inferStepMs": ms}))


if __name__ == "__main__":
    main()
