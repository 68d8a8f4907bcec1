// docs/inference.md's Node snippet as a user runs it, against the built package (its imports
// resolve to build/lib through package.json "exports"): on a checkpoint of a small network trained
// here, it prints where it runs and reads five test images as the Trainer's predict does.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { loadEmbeddedMnist } from '../../src/data/mnist-node.ts';
import { createTrainer } from '../../src/lib/index.ts';
import { builtLibrary, ROOT } from '../support/built-lib.ts';

const cwd = mkdtempSync(join(tmpdir(), 'docs-inference-'));
// Inside the package, so that its own name resolves through "exports", as in a user's project.
const snippet = join(ROOT, 'build/docs-inference-predict.mjs');
afterAll(() => rmSync(cwd, { recursive: true, force: true }));
afterAll(() => rmSync(snippet, { force: true }));

it("docs/inference.md's snippet predicts on WebGPU through the built package", async () => {
  builtLibrary();
  const blocks = [...readFileSync(join(ROOT, 'docs/inference.md'), 'utf8').matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  writeFileSync(snippet, blocks[0]);
  const mnist = await loadEmbeddedMnist();
  const trainer = await createTrainer({ layers: [784, 64, 10], activation: 'relu', optimizer: { lr: 0.03, momentum: 0.9 } });
  await trainer.fit({ images: mnist.train.features.subarray(0, 2000 * 784), labels: mnist.train.labels.subarray(0, 2000), shape: [2000, 28, 28] }, { epochs: 1 });
  writeFileSync(join(cwd, 'model.safetensors'), trainer.save());
  const expected = await trainer.predict(mnist.test.features.subarray(0, 5 * 784));
  trainer.dispose();

  const { stdout } = await promisify(execFile)(process.execPath, [snippet, 'model.safetensors'], { cwd, timeout: 120_000 });
  const lines = stdout.trim().split('\n');
  expect(lines[0], stdout).toMatch(/^on WebGPU: \S/);
  expect(lines.slice(1)).toEqual(Array.from(expected.classes, (c, i) =>
    `test image ${i}, a ${mnist.test.labels[i]}: read as ${c} with p = ${expected.probabilities[i * 10 + c].toFixed(4)}`));
});
