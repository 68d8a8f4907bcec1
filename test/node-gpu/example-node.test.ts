// examples/node/train-mnist.mjs as a user runs it, against the built package (its imports resolve
// to build/lib through package.json "exports"), on a small subset: it trains on Dawn, reads a
// test image back and writes weights that load as the 784-128-10 network, and its standard error
// stays free of the Vulkan stack's noise even without a session's XDG_RUNTIME_DIR (the library
// has no launcher to filter it, unlike the CLI).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { safetensorsSizes } from '../../src/train/safetensors.ts';
import { builtLibrary, ROOT } from '../support/built-lib.ts';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const cwd = mkdtempSync(join(tmpdir(), 'example-node-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

it('examples/node/train-mnist.mjs trains 1 epoch on 1,000 images through the built package', async () => {
  builtLibrary();
  // As under SSH or in a container, on a machine without a GPU that names SwiftShader as its Vulkan driver.
  const env = withoutRuntimeDir();
  if (existsSync(SWIFTSHADER_ICD)) env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [join(ROOT, 'examples/node/train-mnist.mjs'), '1', '1000', '500'], { cwd, env, timeout: 120_000 });
  expect(stderr).not.toMatch(/XDG_RUNTIME_DIR|Vulkan|PhysicalDeviceVk/);
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

/** This process's environment without a session's runtime directory. */
function withoutRuntimeDir(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.XDG_RUNTIME_DIR;
  return env;
}

it('the library starts Dawn without the Wayland library\'s XDG_RUNTIME_DIR errors, with no Vulkan driver named', async () => {
  builtLibrary();
  const env = withoutRuntimeDir();
  delete env.VK_ICD_FILENAMES;
  const script = "import { createTrainer } from 'webgpu-mnist-trainer'; (await createTrainer({ layers: [4, 5, 3] })).dispose();";
  const { stderr } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env, timeout: 60_000 });
  // Mesa's lavapipe, where it is the only Vulkan driver, still gets Dawn's "Vulkan
  // shaderUniform*ArrayDynamicIndexing required" block: Dawn prints it with no switch to stop it.
  expect(stderr).not.toContain('XDG_RUNTIME_DIR');
});
