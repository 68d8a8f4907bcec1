// What commands leave in the repository root stays out of `git status`: the train CLI's
// interrupted-run checkpoint and `npm pack`'s tarball, and only there (fixtures elsewhere stay visible).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** Whether git ignores `path` by the repository's .gitignore (tracked or not, existing or not). */
function ignored(path: string): boolean {
  const r = spawnSync('git', ['check-ignore', '--no-index', '-q', path], { encoding: 'utf8' });
  if (r.status !== 0 && r.status !== 1) throw new Error(`git check-ignore failed: ${r.stderr || r.error?.message}`);
  return r.status === 0;
}

describe('.gitignore', () => {
  it.for(['train-interrupted-2026-12-06T23-10-00-000Z.safetensors', 'webgpu-mnist-trainer-0.1.0.tgz'])(
    'ignores %s in the root', (path) => expect(ignored(path)).toBe(true));

  it.for(['test/unit/fixtures/train-interrupted-x.safetensors', 'examples/node/x.tgz'])(
    'keeps %s outside the root visible', (path) => expect(ignored(path)).toBe(false));
});
