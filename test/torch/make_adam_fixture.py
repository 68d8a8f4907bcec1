#!/usr/bin/env python3
"""Writes test/torch/adam-20-16-10.json: a small MLP (20-16-10, sigmoid hidden layer, log-softmax
and NLL as the notebook's Net) trained with torch.optim.Adam and torch.optim.AdamW at their
defaults (lr 1e-3; AdamW weight decay 1e-2) for 100 steps of batch 8, from the initial weights
the file holds, on a deterministic synthetic set that test/gpu/adam-torch.test.ts makes again
(sample i of 800: feature j = ((7 i + 13 j) mod 23) / 22 - 0.5 rounded to f32, label
(3 i + (i // 5)) mod 10; batch s is samples 8 s .. 8 s + 7, in order). The file holds the
initial weights, every step's loss and the final weights of each optimizer. CI has no PyTorch:
the file is committed; regenerate it with Debian's python3-torch (torch 1.13):

    /usr/bin/python3 test/torch/make_adam_fixture.py
"""
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import fixture_training

SIZES = [20, 16, 10]
BATCH = 8
STEPS = 100
OUT = 'test/torch/adam-20-16-10.json'


def dataset():
    n = BATCH * STEPS
    i = np.arange(n)[:, None]
    j = np.arange(SIZES[0])[None, :]
    x = (((7 * i + 13 * j) % 23) / 22 - 0.5).astype(np.float32)
    y = (3 * np.arange(n) + np.arange(n) // 5) % 10
    return torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(SIZES[0], SIZES[1])
        self.fc2 = nn.Linear(SIZES[1], SIZES[2])

    def forward(self, x):
        return F.log_softmax(self.fc2(torch.sigmoid(self.fc1(x))), dim=1)


def state_of(state_dict):
    # float32 values as Python floats: exact, and exact again as f32 in JavaScript.
    return {k: v.detach().flatten().tolist() for k, v in state_dict.items()}


def train(init, make_optimizer, x, y):
    return fixture_training.train(Net(), init, make_optimizer, x, y, BATCH, STEPS, state_of)


def main():
    torch.manual_seed(0)
    init = Net().state_dict()
    x, y = dataset()
    fixture = {
        'torch': torch.__version__,
        'sizes': SIZES,
        'batch': BATCH,
        'steps': STEPS,
        'init': state_of(init),
        'adam': train(init, lambda p: torch.optim.Adam(p, lr=1e-3), x, y),
        'adamw': train(init, lambda p: torch.optim.AdamW(p, lr=1e-3), x, y),
    }
    with open(OUT, 'w') as f:
        json.dump(fixture, f)
    print(f'wrote {OUT}: losses {fixture["adam"]["losses"][0]:.4f} -> adam {fixture["adam"]["losses"][-1]:.4f}, '
          f'adamw {fixture["adamw"]["losses"][-1]:.4f}')


if __name__ == '__main__':
    main()
