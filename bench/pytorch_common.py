"""Helpers shared by the PyTorch reference scripts in bench/ (run as scripts: this folder is on sys.path)."""


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
