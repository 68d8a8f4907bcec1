// The library is the path `npm run train` takes, on WebGPU (Node, Dawn): the notebook's recipe on
// the first 320 MNIST images gives the command's per-step losses and test results, bit for bit.
// In one process both meet the same kernel choices (kernel-choice.ts keeps them per adapter).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runTrainCli } from '../../src/cli/train.ts';
import { createTrainer, type Dataset } from '../../src/lib/index.ts';
import { loadMnist } from '../../src/lib/mnist.ts';

const dir = mkdtempSync(join(tmpdir(), 'lib-api-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const first = (ds: Dataset, n: number): Dataset =>
  ({ images: ds.images.subarray(0, n * 784), labels: ds.labels.subarray(0, n), shape: [n, 28, 28] });

it("the notebook's recipe through the API equals npm run train -- --runtime node (320 images, 1 epoch)", async () => {
  const json = join(dir, 'cli.json');
  const err: string[] = [];
  const code = await runTrainCli(['--runtime', 'node', '--limit-train', '320', '--limit-test', '100', '--epochs', '1', '--json', json, '--no-progress'],
    { out: () => {}, err: (s) => err.push(s) });
  expect(code, err.join('\n')).toBe(0);
  const cli = JSON.parse(readFileSync(json, 'utf8')) as { stepLosses: number[]; epochs: { testLoss: number; testAccuracy: number }[]; kernels: unknown };

  const mnist = await loadMnist();
  const trainer = await createTrainer({ layers: [784, 512, 256, 10] });
  try {
    const fit = await trainer.fit(first(mnist.train, 320), { epochs: 1, validation: first(mnist.test, 100) });
    expect(fit.stepLosses).toHaveLength(10);
    expect(fit.stepLosses).toEqual(cli.stepLosses);
    expect(fit.epochs[0].testLoss).toBe(cli.epochs[0].testLoss);
    expect(fit.epochs[0].testAccuracy).toBe(cli.epochs[0].testAccuracy);
    console.log(`API = CLI on ${trainer.adapter?.description}: step losses ${fit.stepLosses.map((l) => l.toFixed(6)).join(' ')}`);
  } finally {
    trainer.dispose();
  }
});
