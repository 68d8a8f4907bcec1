import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runToyCli } from '../../src/cli/toy.ts';
import { createRng } from '../../src/data/prng.ts';
import {
  NOTEBOOK_DATASET,
  NOTEBOOK_EPOCH_ERRORS,
  NOTEBOOK_FINAL_NETWORK,
  NOTEBOOK_INITIAL_NETWORK,
  cloneNetwork,
  formatEpochLine,
  formatNetwork,
  initializeNetwork,
  trainNetwork,
  type ToyNetwork,
} from '../../src/reference/toy.ts';
import { captureCli } from '../support/cli.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

const cli = captureCli(runToyCli);

const dir = mkdtempSync(join(tmpdir(), 'toy-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** The notebook's 19 printed lines, plus epoch 19, which its export cut off (CPython prints
 * 0.687 there too). */
const NOTEBOOK_LINES = [
  ...NOTEBOOK_EPOCH_ERRORS.map((e, i) => `>epoch=${i}, lrate=0.400, error=${e.toFixed(3)}`),
  '>epoch=19, lrate=0.400, error=0.687',
];

const expectClose = (got: ToyNetwork, want: typeof NOTEBOOK_FINAL_NETWORK): void =>
  want.forEach((layer, i) =>
    layer.forEach((neuron, j) => {
      const g = got[i][j];
      neuron.weights.forEach((w, k) => expect(Math.abs(g.weights[k] - w)).toBeLessThan(1e-12));
      expect(Math.abs(g.output! - neuron.output!)).toBeLessThan(1e-12);
      expect(Math.abs(g.delta! - neuron.delta!)).toBeLessThan(1e-12);
    }),
  );

describe('npm run toy', () => {
  it("prints the notebook's 20 epoch lines, then the final network", async () => {
    const { code, out, err } = await cli();
    expect(code).toBe(0);
    expect(err).toEqual([]);
    expect(out.slice(0, 20)).toEqual(NOTEBOOK_LINES);
    const trained = cloneNetwork(NOTEBOOK_INITIAL_NETWORK);
    trainNetwork(trained, NOTEBOOK_DATASET, 0.4, 20, 2);
    expect(out.slice(20)).toEqual(formatNetwork(trained).split('\n'));
  });

  it('--json prints one object with the errors and the trained network', async () => {
    const { code, out } = await cli('--json');
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    const result = JSON.parse(out[0]) as { errors: number[]; network: ToyNetwork };
    expect(result.errors.map((e, i) => formatEpochLine(i, 0.4, e))).toEqual(NOTEBOOK_LINES);
    expect(Object.keys(result.network[1][0]).sort()).toEqual(['delta', 'output', 'weights']);
    expectClose(result.network, NOTEBOOK_FINAL_NETWORK);
  });

  it('the notebook data from a file, or its weights from --init, give the same run', async () => {
    const base = (await cli()).out;
    expect((await cli('--data', file('nb-data.json', NOTEBOOK_DATASET))).out).toEqual(base);
    expect((await cli('--init', file('nb-init.json', NOTEBOOK_INITIAL_NETWORK))).out).toEqual(base);
    // A saved final network is accepted as a starting point: its outputs/deltas are ignored.
    const resumed = await cli('--init', file('nb-final.json', NOTEBOOK_FINAL_NETWORK), '--epochs', '1');
    expect(resumed.code).toBe(0);
  });

  it('--lr and --epochs change the run and the printed lrate', async () => {
    const { code, out } = await cli('--lr', '0.0625', '--epochs', '3');
    expect(code).toBe(0);
    expect(out[0]).toMatch(/^>epoch=0, lrate=0\.062, error=/); // Python's half-to-even
    expect(out[2]).toMatch(/^>epoch=2, /);
    expect(out[3]).toMatch(/^layer 0 \(hidden\)/);
  });

  it('--hidden 3 starts from the seeded PRNG, deterministically', async () => {
    const a = await cli('--hidden', '3', '--json');
    const b = await cli('--hidden', '3', '--json');
    expect(a.code).toBe(0);
    expect(a.out).toEqual(b.out);
    const want = initializeNetwork(2, 3, 2, createRng(1));
    const errors = trainNetwork(want, NOTEBOOK_DATASET, 0.4, 20, 2);
    expect(JSON.parse(a.out[0])).toEqual({ errors, network: want });
    expect((await cli('--hidden', '3', '--seed', '2', '--json')).out).not.toEqual(a.out);
  });

  it('an explicit --seed replaces the notebook weights even for 2-2-2', async () => {
    const { out } = await cli('--seed', '1', '--json');
    const want = initializeNetwork(2, 2, 2, createRng(1));
    expect(JSON.parse(out[0]).errors).toEqual(trainNetwork(want, NOTEBOOK_DATASET, 0.4, 20, 2));
  });

  it('other data sizes the network from the rows: 3 inputs, 3 labels', async () => {
    const data = [
      [0, 0, 1, 0],
      [1, 0, 0, 1],
      [0, 1, 0, 2],
      [1, 1, 1, 0],
    ];
    const { code, out } = await cli('--data', file('three.json', data), '--json');
    expect(code).toBe(0);
    const { network } = JSON.parse(out[0]) as { network: ToyNetwork };
    expect(network.map((l) => l.map((n) => n.weights.length))).toEqual([
      [4, 4],
      [3, 3, 3],
    ]);
  });

  it('--help exits 0', async () => {
    const { code, out } = await cli('--help');
    expect(code).toBe(0);
    expect(out.join('\n')).toMatch(/--epochs/);
  });
});

describe('npm run toy: bad options and files exit 2 with one line naming the option', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['bad --lr', () => ['--lr', 'abc'], /--lr must be a finite number > 0, got "abc"/],
    ['--lr 0', () => ['--lr', '0'], /--lr/],
    ['--lr -1', () => ['--lr', '-1'], /--lr/],
    ['--lr Infinity', () => ['--lr', 'Infinity'], /--lr/],
    ['--lr without a value', () => ['--lr'], /--lr/],
    ['--epochs 0', () => ['--epochs', '0'], /--epochs must be an integer >= 1, got "0"/],
    ['--epochs 1.5', () => ['--epochs', '1.5'], /--epochs .*"1\.5"/],
    ['--hidden 0', () => ['--hidden', '0'], /--hidden must be an integer >= 1, got "0"/],
    ['--seed -1', () => ['--seed', '-1'], /--seed must be an integer in \[0, 4294967295\]/],
    // Options are checked before Dawn is loaded, so a typo costs no GPU start-up.
    ['--device gpu with a bad --lr', () => ['--device', 'gpu', '--lr', '0'], /--lr must be a finite number > 0/],
    ['--device tpu', () => ['--device', 'tpu'], /--device must be one of cpu, gpu, got "tpu"/],
    ['missing --data file', () => ['--data', join(dir, 'nope.json')], /--data ".*nope\.json" does not exist$/],
    ['malformed JSON', () => ['--data', file('bad.json', '[[1, 2, 0],')], /--data .* not valid JSON/],
    ['empty data', () => ['--data', file('empty.json', [])], /--data must hold a non-empty/],
    [
      'ragged rows',
      () => ['--data', file('ragged.json', [[1, 2, 0], [1, 0]])],
      /--data row 1 has 2 values, expected rows \[x1, \.\.\., xn, label\]/,
    ],
    ['one-value rows', () => ['--data', file('short.json', [[0], [1]])], /--data row 0/],
    ['non-number', () => ['--data', file('str.json', [[1, 'x', 0]])], /--data row 0 value 1/],
    ['fractional label', () => ['--data', file('frac.json', [[1, 2, 0.5]])], /--data row 0 label/],
    ['negative label', () => ['--data', file('neg.json', [[1, 2, -1]])], /--data row 0 label/],
    [
      'labels that are not 0..k-1',
      () => ['--data', file('gap.json', [[1, 2, 0], [3, 4, 2]])],
      /--data labels must be 0\.\.k-1/,
    ],
    [
      '--init with wrong weight counts',
      () => ['--init', file('w.json', [[{ weights: [1, 2] }], [{ weights: [1, 2] }, { weights: [1, 2] }]])],
      /--init hidden neuron 0 needs "weights": 3 finite numbers/,
    ],
    [
      '--init with wrong output weight counts',
      () => ['--init', file('o.json', [[{ weights: [1, 2, 3] }], [{ weights: [1, 2, 3] }, { weights: [1, 2] }]])],
      /--init output neuron 0 needs "weights": 2 finite numbers/,
    ],
    [
      '--init with the wrong number of outputs',
      () => ['--init', file('n.json', [[{ weights: [1, 2, 3] }], [{ weights: [1, 2] }]])],
      /--init output layer has 1 neurons, the data has 2 distinct labels/,
    ],
    ['--init not a network', () => ['--init', file('x.json', { weights: [] })], /--init must hold/],
    [
      '--init disagreeing with --hidden',
      () => ['--init', file('h.json', NOTEBOOK_INITIAL_NETWORK), '--hidden', '3'],
      /--hidden 3 disagrees with --init/,
    ],
    ['unknown option', () => ['--lrr', '1'], /unknown option '--lrr'.*accepted: --data, .*--lr/],
    ['a positional argument', () => ['extra'], /too many arguments/],
  ];

  it.each(cases)('%s', async (_, argv, message) => {
    const { code, out, err } = await cli(...argv());
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]).not.toContain('\n');
    expect(err[0]).toMatch(/^error: /);
    expect(err[0]).toMatch(message);
  });
});

type Spawned = { code: number; stdout: string; stderr: string };
const execResult = (resolve: (r: Spawned) => void) => (error: { code?: unknown } | null, stdout: string, stderr: string) =>
  resolve({ code: error ? Number(error.code) : 0, stdout, stderr });

// Started as `npm run toy` starts it: through the launcher, which loads WGSL as text (the
// configuration reaches the layer modules, and they the GPU kernels).
describe('src/cli/toy.ts as a process', () => {
  const spawn = (args: string[]) =>
    new Promise<Spawned>((resolve) => {
      execFile(process.execPath, ['src/node/launch.mjs', 'src/cli/toy.ts', ...args], { cwd: repoRoot }, execResult(resolve));
    });

  it('prints the first notebook line and exits 0', async () => {
    const { code, stdout } = await spawn([]);
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toBe('>epoch=0, lrate=0.400, error=6.128');
    expect(stdout.split('\n')[19]).toBe('>epoch=19, lrate=0.400, error=0.687');
  });

  it('exits 2 with one stderr line on a bad option', async () => {
    const { code, stdout, stderr } = await spawn(['--epochs', '0']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/--epochs/);
  });
});
