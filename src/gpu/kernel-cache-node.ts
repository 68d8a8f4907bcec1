// The kernel-choice cache in Node: one JSON file, $WEBGPU_TRAINER_CACHE_DIR (or
// $XDG_CACHE_HOME/webgpu-mnist-trainer, or ~/.cache/webgpu-mnist-trainer)/kernel-choices.json,
// replaced atomically. WEBGPU_TRAINER_CACHE_DIR=off turns it off. A file that cannot be read or
// parsed counts as empty: losing it costs one trial per shape, never a run.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KernelCache, KernelChoices } from './kernel-cache.ts';

export function nodeKernelCache(): KernelCache | null {
  const env = process.env.WEBGPU_TRAINER_CACHE_DIR;
  if (env === 'off') return null;
  const dir = env || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'webgpu-mnist-trainer');
  const file = join(dir, 'kernel-choices.json');
  const readAll = async (): Promise<Record<string, KernelChoices>> => {
    try {
      const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
      return parsed && typeof parsed === 'object' ? (parsed as Record<string, KernelChoices>) : {};
    } catch {
      return {};
    }
  };
  return {
    where: file,
    load: async (key) => (await readAll())[key] ?? {},
    async save(key, choices) {
      const all = await readAll();
      all[key] = choices;
      await mkdir(dir, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, `${JSON.stringify(all, null, 2)}\n`);
      await rename(tmp, file);
    },
  };
}
