#!/usr/bin/env python3
"""Loads a checkpoint of this project into PyTorch the two ways the README gives, and continues its
optimizer: the check that the files stay usable from PyTorch. Needs torch and numpy only (not the
safetensors package: load_file below reads the format's F32 files as safetensors.torch.load_file
does). CI does not run it; run it by hand where PyTorch is installed:

    python3 test/torch/check_load.py                      # the committed fixture (784-8-4-10)
    python3 test/torch/check_load.py run.safetensors      # any --checkpoint or --save file

The network is the notebook's Net with its layer widths read from the file (784-512-256-10 for
the notebook's own)."""
import json
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

EXTRA = ('optimizer.', 'history.')


def load_file(path):
    """safetensors.torch.load_file for F32 tensors, and the header's __metadata__."""
    with open(path, 'rb') as f:
        data = f.read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n])
    metadata = header.pop('__metadata__', {})
    tensors = {}
    for name, entry in header.items():
        assert entry['dtype'] == 'F32', f'{name}: {entry["dtype"]}'
        begin, end = entry['data_offsets']
        array = np.frombuffer(data, dtype='<f4', count=(end - begin) // 4, offset=8 + n + begin)
        tensors[name] = torch.from_numpy(array.reshape(entry['shape']).copy())
    return tensors, metadata


class Net(nn.Module):
    """The notebook's Net (fc1, fc2, fc3; sigmoid between; log_softmax out), widths as given."""

    def __init__(self, sizes):
        super().__init__()
        self.sizes = sizes
        for i in range(len(sizes) - 1):
            setattr(self, f'fc{i + 1}', nn.Linear(sizes[i], sizes[i + 1]))

    def forward(self, x):
        x = x.view(-1, self.sizes[0])
        layers = len(self.sizes) - 1
        for i in range(1, layers):
            x = torch.sigmoid(getattr(self, f'fc{i}')(x))
        return F.log_softmax(getattr(self, f'fc{layers}')(x), dim=1)


def main(path):
    state, metadata = load_file(path)
    widths = [state['fc1.weight'].shape[1]]
    i = 1
    while f'fc{i}.weight' in state:
        widths.append(state[f'fc{i}.weight'].shape[0])
        i += 1
    net = Net(widths)

    # 1. As saved: strict=False loads every parameter and reports the rest as unexpected.
    result = net.load_state_dict(state, strict=False)
    assert result.missing_keys == [], result.missing_keys
    assert all(k.startswith(EXTRA) for k in result.unexpected_keys), result.unexpected_keys
    for name, p in net.named_parameters():
        assert torch.equal(p.data, state[name]), name
    print(f'load_state_dict(strict=False): {len(state) - len(result.unexpected_keys)} parameters of a '
          f'{"-".join(map(str, widths))} Net loaded; ignored {sorted(result.unexpected_keys)}')

    # 2. Filtered: the parameters alone, strictly.
    params = {k: v for k, v in state.items() if not k.startswith(EXTRA)}
    Net(widths).load_state_dict(params, strict=True)
    print('load_state_dict(filtered, strict=True): OK')

    if metadata.get('checkpoint'):
        config = json.loads(metadata['config'])
        progress = json.loads(metadata['progress'])
        where = ('the end of the run' if progress['epoch'] == config['epochs']
                 else f'epoch {progress["epoch"] + 1}, step {progress["step"]}')
        print(f'checkpoint at {where}; lr {config["lr"]}, '
              f'momentum {config["momentum"]}; {state["history.step_losses"].numel()} step losses')
        # 3. The optimizer continues: SGD's momentum buffers are the checkpoint's velocities.
        if config['momentum'] > 0:
            opt = torch.optim.SGD(net.parameters(), lr=config['lr'], momentum=config['momentum'],
                                  nesterov=config['nesterov'], weight_decay=config['weightDecay'])
            for name, p in net.named_parameters():
                opt.state[p]['momentum_buffer'] = state[f'optimizer.{name}.momentum_buffer'].clone()
            before = {n: p.detach().clone() for n, p in net.named_parameters()}
            loss = F.nll_loss(net(torch.rand(32, widths[0])), torch.arange(32) % widths[-1])
            opt.zero_grad()
            loss.backward()
            # By hand, PyTorch's rule: v = momentum * v + g; p -= lr * v (without Nesterov or decay).
            expected = {n: before[n] - config['lr'] * (config['momentum'] * state[f'optimizer.{n}.momentum_buffer'] + p.grad)
                        for n, p in net.named_parameters()}
            opt.step()
            if not config['nesterov'] and config['weightDecay'] == 0:
                for n, p in net.named_parameters():
                    assert torch.allclose(p.data, expected[n], atol=1e-6), n
            print('torch.optim.SGD continued from the momentum buffers: OK')
    out = net(torch.zeros(1, widths[0]))
    assert out.shape == (1, widths[-1])
    print(f'forward: log-probabilities of shape {tuple(out.shape)}; all checks passed')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'test/torch/checkpoint-784-8-4-10.safetensors')
