#!/usr/bin/env python3
"""Writes results.md: each network and recipe of runs.md with its epoch-5 test accuracy per seed
and their mean, sorted by the network's forward multiply-adds."""
import collections
import os

HERE = os.path.dirname(os.path.abspath(__file__))
groups = collections.OrderedDict()
with open(os.path.join(HERE, 'runs.md')) as f:
    for line in f:
        if not line.startswith('| `'):
            continue
        arch, recipe, seed, macs, accs = [c.strip() for c in line.strip().strip('|').split('|')][:5]
        groups.setdefault((arch, recipe, int(macs)), {})[int(seed)] = float(accs.split()[-1])
out = ['# MNIST CNN recipe search: epoch-5 test accuracy (PyTorch 2.13.0+cpu)', '',
       'From runs.md (written by search.py). Chosen: the cnn preset with AdamW lr 3e-3, weight decay 0.05.', '',
       '| network | recipe | MACs/image | epoch-5 accuracy by seed (%) | mean (runs) |', '|---|---|---|---|---|']
for (arch, recipe, macs), by_seed in sorted(groups.items(), key=lambda kv: kv[0][2]):
    seeds = ', '.join(f's{k}: {v:.2f}' for k, v in sorted(by_seed.items()))
    out.append(f'| {arch} | {recipe} | {macs:,} | {seeds} | {sum(by_seed.values()) / len(by_seed):.3f} ({len(by_seed)}) |')
with open(os.path.join(HERE, 'results.md'), 'w') as f:
    f.write('\n'.join(out) + '\n')
