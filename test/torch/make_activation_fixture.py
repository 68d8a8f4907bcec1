#!/usr/bin/python3
"""PyTorch's training of a small MLP with GELU and with leaky ReLU hidden layers, the fixture that
test/gpu/torch-activations.test.ts trains the CPU reference and the GPU against. Deterministic
synthetic data (64 samples of 20 features, 10 classes given by a random linear teacher), a
20-16-12-10 network from PyTorch's default init, 100 steps of plain SGD (lr 0.1) on batches of 8
taken in order (step s: samples 8 (s mod 8) .. 8 (s mod 8) + 7), cross-entropy (log-softmax +
NLL, the mean). Records the initial weights, every step's loss and the final weights. CI does not
run it (it has no PyTorch); regenerate by hand with Debian's python3-torch:

    /usr/bin/python3 test/torch/make_activation_fixture.py
"""
import json

import torch
import torch.nn as nn
import torch.nn.functional as F

SIZES = [20, 16, 12, 10]
SAMPLES, BATCH, STEPS, LR = 64, 8, 100, 0.1
OUT = 'test/torch/activations-20-16-12-10.json'
ACTIVATIONS = {'gelu': F.gelu, 'leaky_relu': F.leaky_relu}


class Net(nn.Module):
    def __init__(self, act):
        super().__init__()
        self.fcs = nn.ModuleList(nn.Linear(i, o) for i, o in zip(SIZES, SIZES[1:]))
        self.act = act

    def forward(self, x):
        for fc in self.fcs[:-1]:
            x = self.act(fc(x))
        return self.fcs[-1](x)


def tensors(net):
    """Parameters in state_dict order (fc1.weight, fc1.bias, ...), row-major."""
    return [p.detach().reshape(-1).tolist() for p in net.parameters()]


def main():
    torch.manual_seed(19)
    x = torch.randn(SAMPLES, SIZES[0])
    labels = (x @ torch.randn(SIZES[0], SIZES[-1])).argmax(dim=1)
    init = Net(F.gelu)
    runs = {}
    for name, act in ACTIVATIONS.items():
        net = Net(act)
        net.load_state_dict(init.state_dict())
        opt = torch.optim.SGD(net.parameters(), lr=LR)
        losses = []
        for s in range(STEPS):
            rows = slice(BATCH * (s % (SAMPLES // BATCH)), BATCH * (s % (SAMPLES // BATCH) + 1))
            opt.zero_grad()
            loss = F.cross_entropy(net(x[rows]), labels[rows])
            loss.backward()
            opt.step()
            losses.append(loss.item())
        runs[name] = {'losses': losses, 'final': tensors(net)}
    fixture = {
        'torch': torch.__version__, 'sizes': SIZES, 'batch': BATCH, 'steps': STEPS, 'lr': LR,
        'x': x.reshape(-1).tolist(), 'labels': labels.tolist(), 'init': tensors(init), 'runs': runs,
    }
    with open(OUT, 'w') as f:
        json.dump(fixture, f, separators=(',', ':'))
    print(f'wrote {OUT}: ' + ', '.join(f'{n} loss {r["losses"][0]:.4f} -> {r["losses"][-1]:.4f}' for n, r in runs.items()))


if __name__ == '__main__':
    main()
