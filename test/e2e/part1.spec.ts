// The Part 1 tab: the notebook's toy network as an interactive lesson. Stepped sample by sample and
// then run to the end, on the CPU reference and on WebGPU, its numbers must be those of
// `npm run toy` given the same inputs (written from the page's own fields to files).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { NOTEBOOK_DATASET } from '../../src/reference/toy.ts';
import { collectErrors } from './helpers.ts';

/** `npm run toy` as the npm script runs it; its stdout lines. */
function toyCli(args: string[]): Promise<string[]> {
  return new Promise((resolve, reject) =>
    execFile('node', ['src/node/launch.mjs', 'src/cli/toy.ts', ...args], (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout.trimEnd().split('\n')),
    ),
  );
}

const field = (page: Page, name: string) => page.locator(`#toy-form [name="${name}"]`);
const output = (page: Page) => page.locator('#toy-output');

/** Every number in a line, for the float32 comparison of two GPU runs. */
const numbers = (line: string) => (line.match(/-?\d+\.\d+(e-?\d+)?/g) ?? []).map(Number);

async function openPart1(page: Page): Promise<void> {
  await page.goto('/#part1');
  await expect(page.locator('#tab-part1')).toBeVisible();
  // Ready for WebGPU once the worker has its adapter and the toy network's buffers.
  await expect(page.locator('#toy-device-note')).toContainText('Shown: WebGPU', { timeout: 120_000 });
  await expect(page.locator('#toy-step')).toBeEnabled({ timeout: 120_000 });
}

test("stepped and run on WebGPU and on the CPU, it prints what npm run toy prints", async ({ page }, info) => {
  const errors = collectErrors(page);
  await openPart1(page);
  // The notebook's run is preselected.
  await expect(page.locator('#toy-position')).toContainText('Epoch 0 of 20, next: row 1 of 10');
  await expect(page.locator('#toy-command')).toHaveText('npm run toy');

  // Other inputs: lr 0.3, 6 epochs, 3 hidden neurons (weights then drawn as `npm run toy --hidden 3`
  // draws them), one row of the data edited.
  const data = NOTEBOOK_DATASET.map((r) => [...r]);
  data[2] = [3.1, 4.2, 0];
  await field(page, 'lr').fill('0.3');
  await field(page, 'epochs').fill('6');
  await field(page, 'hidden').fill('3');
  await field(page, 'data').fill(JSON.stringify(data));
  await expect(page.locator('#toy-command')).toHaveText('npm run toy -- --lr 0.3 --epochs 6 --data data.json --hidden 3');
  await expect(page.locator('#toy-weights-source')).toContainText('seed 1');
  await page.locator('#toy-apply').click();
  await expect(page.locator('#toy-position')).toContainText('Epoch 0 of 6, next: row 1 of 10');
  await expect(page.locator('#toy-step')).toBeEnabled();

  // One sample, part by part: the forward pass, the error, the backward pass, the update.
  for (const phase of ['forward', 'error', 'backward', 'update']) {
    await page.locator('#toy-step').click();
    await expect(page.locator('#toy-steps section.current')).toHaveAttribute('data-phase', phase);
  }
  const steps = page.locator('#toy-steps');
  await expect(steps).toContainText('h2: z = b + Σ w·x');
  await expect(steps).toContainText('out 0: ∂E/∂out = 2 (out − y)');
  await expect(steps).toContainText('h1: ∂E/∂out = Σ_k w_k1 · δ_k');
  await expect(page.locator('#toy-network svg line.changed')).toHaveCount(2 * 3 + 3 * 2);
  // Two whole samples, then the rest of the run.
  await page.locator('#toy-sample').click();
  await page.locator('#toy-sample').click();
  await expect(page.locator('#toy-position')).toContainText('row 3 of 10');
  await page.locator('#toy-run').click();
  await expect(output(page)).toHaveAttribute('data-done', 'true', { timeout: 120_000 });
  await expect(page.locator('#toy-chart')).toHaveAttribute('data-points', '6');

  const gpuText = (await output(page).textContent())!.split('\n');
  await page.locator('#toy-device').selectOption('cpu');
  await expect(output(page)).toHaveAttribute('data-device', 'cpu');
  const cpuText = (await output(page).textContent())!.split('\n');
  const diff = Number(await page.locator('#toy-diff').getAttribute('data-params'));
  const errorDiff = Number(await page.locator('#toy-diff').getAttribute('data-errors'));

  // The same inputs, from the page's own fields, for the CLI.
  const dir = mkdtempSync(join(tmpdir(), 'part1-'));
  try {
    writeFileSync(join(dir, 'data.json'), await field(page, 'data').inputValue());
    writeFileSync(join(dir, 'weights.json'), await field(page, 'weights').inputValue());
    const args = ['--lr', '0.3', '--epochs', '6', '--data', join(dir, 'data.json'), '--init', join(dir, 'weights.json')];
    // The same float64 code in two JavaScript engines: Chromium's Math.exp and Node's may differ in
    // the last bit (Chromium 156 and Node 20 do for ~10% of arguments), so the printed epoch lines
    // must match exactly and every other number to 1e-12, relative.
    const cliCpu = await toyCli(args);
    expect(cpuText.filter((l) => l.startsWith('>epoch'))).toEqual(cliCpu.filter((l) => l.startsWith('>epoch')));
    expect(cpuText.map((l) => l.replace(/-?\d+\.\d+(e-?\d+)?/g, '#'))).toEqual(cliCpu.map((l) => l.replace(/-?\d+\.\d+(e-?\d+)?/g, '#')));
    let maxCpuRel = 0;
    cpuText.forEach((l, i) => numbers(l).forEach((x, k) => {
      const y = numbers(cliCpu[i])[k];
      maxCpuRel = Math.max(maxCpuRel, Math.abs(x - y) / Math.max(Math.abs(y), 1e-300));
    }));
    expect(maxCpuRel).toBeLessThan(1e-12);
    // GPU: the CLI names its adapter first; then the same epoch lines and network, in float32.
    const cli = (await toyCli([...args, '--device', 'gpu'])).filter((l) => !/^(adapter|warning): /.test(l));
    expect(gpuText.filter((l) => l.startsWith('>epoch'))).toEqual(cli.filter((l) => l.startsWith('>epoch')));
    expect(gpuText.map((l) => l.replace(/=.*/, ''))).toEqual(cli.map((l) => l.replace(/=.*/, '')));
    // Two WebGPU implementations (Chromium's, Dawn in Node) may pick other matmul variants: the
    // float32 tolerance of test/gpu/toy-gpu.test.ts. On SwiftShader both print the same digits.
    let maxCliDiff = 0;
    gpuText.forEach((l, i) => numbers(l).forEach((x, k) => (maxCliDiff = Math.max(maxCliDiff, Math.abs(x - numbers(cli[i])[k])))));
    expect(maxCliDiff).toBeLessThan(1e-5);
    info.annotations.push(
      { type: 'max |page WebGPU - npm run toy --device gpu|', description: String(maxCliDiff) },
      { type: 'max relative |page CPU - npm run toy|', description: String(maxCpuRel) },
      { type: 'max |WebGPU - CPU| shown by the page (weights, outputs, deltas; errors)', description: `${diff}; ${errorDiff}` },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // The page's own GPU-vs-CPU figure, within the same float32 tolerance.
  expect(diff).toBeGreaterThan(0);
  expect(diff).toBeLessThan(1e-5);
  expect(errors).toEqual([]);
});

test('marks bad inputs as the CLI refuses them, and resets to the notebook', async ({ page }) => {
  const errors = collectErrors(page);
  await openPart1(page);
  const message = (name: string) => page.locator(`#toy-form [data-error-for="${name}"]`);
  await field(page, 'lr').fill('0');
  await field(page, 'epochs').fill('1.5');
  await field(page, 'data').fill('[[1, 2, 0], [3, 4, 2]]');
  await expect(message('lr')).toHaveText('must be a finite number > 0, got 0');
  await expect(message('epochs')).toHaveText('must be an integer >= 1, got 1.5');
  await expect(message('data')).toContainText('labels must be 0..k-1 for k distinct labels');
  await expect(page.locator('#toy-apply')).toBeDisabled();
  await expect(page.locator('#toy-command')).toContainText('fix the fields');

  await page.locator('#toy-notebook').click();
  for (const name of ['lr', 'epochs', 'data']) await expect(field(page, name)).toHaveAttribute('aria-invalid', 'false');
  // Weights typed by hand fix the hidden width, as --init does.
  await field(page, 'weights').fill('[[{"weights": [1, 2, 3]}], [{"weights": [1, 2]}, {"weights": [3, 4]}]]');
  await expect(message('hidden')).toHaveText('2 disagrees with the starting weights, whose hidden layer has 1');
  await field(page, 'hidden').fill('1');
  await expect(page.locator('#toy-command')).toHaveText('npm run toy -- --init weights.json');
  await field(page, 'weights').fill('[[{"weights": [1, 2]}], [{"weights": [1, 2]}, {"weights": [3, 4]}]]');
  await expect(message('weights')).toContainText('hidden neuron 0 needs "weights": 3 finite numbers (2 inputs + bias)');
  await page.locator('#toy-notebook').click();
  await expect(page.locator('#toy-command')).toHaveText('npm run toy');
  await expect(page.locator('#toy-apply')).toBeEnabled();
  expect(errors).toEqual([]);
});
