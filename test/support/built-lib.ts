// The installable package as `npm run build:lib` writes it (`npm test` builds it first): the tests
// of the examples and of the packed tarball run against it, never against the sources. A build
// older than the sources would test yesterday's code, so it is refused with the command to run.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function newest(dir: string): { path: string; mtime: number } {
  let best = { path: dir, mtime: 0 };
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const st = statSync(join(dir, name));
    if (st.isFile() && st.mtimeMs > best.mtime) best = { path: join(dir, name), mtime: st.mtimeMs };
  }
  return best;
}

/** build/lib/, checked to exist and to be newer than every file under src/ and shaders/. */
export function builtLibrary(): string {
  const lib = join(ROOT, 'build/lib');
  const entry = join(lib, 'node/index.js');
  let built: number;
  try {
    built = statSync(entry).mtimeMs;
  } catch {
    throw new Error(`${entry} is missing: run npm run build:lib (npm test does it first)`);
  }
  for (const dir of ['src', 'shaders']) {
    const src = newest(join(ROOT, dir));
    if (src.mtime > built) throw new Error(`build/lib is older than ${src.path}: run npm run build:lib (npm test does it first)`);
  }
  return lib;
}
