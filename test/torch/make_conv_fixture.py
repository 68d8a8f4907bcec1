#!/usr/bin/python3
"""PyTorch's conv2d and max_pool2d, forward and backward, on a few small NCHW shapes: the fixture
test/unit/conv-torch.test.ts checks the CPU twins (src/reference/conv.ts) against. Inputs are
float32 (seeded torch.randn); torch computes in float64 from them, so the twins' float64 sums
rounded to float32 are compared with the exact answer, not with another float32 summation order.
Shapes: odd sizes, stride 1 and 2, padding 0/1/2, kernel 1/3/5 (one filling the image), 1 and
several channels. Max pooling (kernel = stride, floor) on inputs with ties: ReLU outputs (ties at
0) and values rounded to halves, where PyTorch takes each window's first maximum. CI does not run
it (it has no PyTorch); regenerate by hand with Debian's python3-torch:

    /usr/bin/python3 test/torch/make_conv_fixture.py
"""
import json

import torch
import torch.nn.functional as F

OUT = 'test/torch/conv-fixture.json'
# batch, inC, outC, H, W, k, stride, pad
CONV = [
    (2, 1, 3, 7, 9, 3, 1, 1),
    (2, 3, 4, 9, 7, 5, 2, 2),
    (1, 4, 2, 6, 5, 1, 1, 0),
    (3, 2, 3, 8, 8, 3, 2, 0),
    (1, 2, 2, 5, 5, 5, 1, 0),
    (2, 3, 2, 7, 7, 3, 2, 1),
]
# batch, C, H, W, k, how x is drawn
POOL = [
    (2, 3, 7, 9, 2, 'relu'),
    (1, 2, 6, 6, 3, 'halves'),
    (2, 2, 5, 8, 2, 'normal'),
]


def values(t):
    """Row-major, 9 significant digits: every float32 reads back exactly."""
    return [float(f'{v:.9g}') for v in t.reshape(-1).tolist()]


def conv_case(batch, inC, outC, H, W, k, stride, pad):
    x = torch.randn(batch, inC, H, W)
    w = torch.randn(outC, inC, k, k) / k
    b = torch.randn(outC)
    x64, w64, b64 = (t.double().requires_grad_() for t in (x, w, b))
    y = F.conv2d(x64, w64, b64, stride=stride, padding=pad)
    dy = torch.randn(y.shape)
    y.backward(dy.double())
    shape = dict(batch=batch, inC=inC, outC=outC, H=H, W=W, k=k, stride=stride, pad=pad)
    return {'shape': shape, 'x': values(x), 'w': values(w), 'b': values(b), 'dy': values(dy),
            'y': values(y.detach()), 'dx': values(x64.grad), 'dW': values(w64.grad), 'db': values(b64.grad)}


def pool_case(batch, C, H, W, k, draw):
    x = torch.randn(batch, C, H, W)
    if draw == 'relu':
        x = F.relu(x)
    elif draw == 'halves':
        x = torch.round(2 * x) / 2
    x64 = x.double().requires_grad_()
    y = F.max_pool2d(x64, k)
    dy = torch.randn(y.shape)
    y.backward(dy.double())
    return {'shape': dict(batch=batch, C=C, H=H, W=W, k=k), 'draw': draw, 'x': values(x), 'dy': values(dy),
            'y': values(y.detach()), 'dx': values(x64.grad)}


def main():
    torch.manual_seed(21)
    fixture = {'torch': torch.__version__, 'conv': [conv_case(*c) for c in CONV], 'pool': [pool_case(*c) for c in POOL]}
    with open(OUT, 'w') as f:
        json.dump(fixture, f, separators=(',', ':'))
    print(f'wrote {OUT}: {len(CONV)} convolutions, {len(POOL)} poolings')


if __name__ == '__main__':
    main()
