// examples/node/train-mnist.mjs as a user runs it, against the built package (its imports resolve
// to build/lib through package.json "exports"), on a small subset: it trains on Dawn, reads a
// test image back and writes weights that load as the 784-128-10 network.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { safetensorsSizes } from '../../src/train/safetensors.ts';
import { builtLibrary, ROOT } from '../support/built-lib.ts';

const cwd = mkdtempSync(join(tmpdir(), 'example-node-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

it('examples/node/train-mnist.mjs trains 1 epoch on 1,000 images through the built package', async () => {
  builtLibrary();
  const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'examples/node/train-mnist.mjs'), '1', '1000', '500'], { cwd, timeout: 120_000 });
  const lines = stdout.trim().split('\n');
  expect(lines[0]).toMatch(/^training on \S/);
  const epoch = /^epoch 1: train loss (\d+\.\d{4}), test accuracy (\d+\.\d\d)%$/.exec(lines[1]);
  expect(epoch, stdout).not.toBeNull();
  // Measured on SwiftShader: 71.00% after these 16 steps; a network that did not learn stays near 10%.
  expect(Number(epoch![2])).toBeGreaterThan(50);
  expect(lines[2]).toMatch(/^trained in \d+\.\d s$/);
  expect(lines[3]).toMatch(/^the first test image, a 7: read as \d with p = 0\.\d{4}$/);
  expect(safetensorsSizes(new Uint8Array(readFileSync(join(cwd, 'mnist-relu.safetensors'))), 'weights')).toEqual([784, 128, 10]);
});
