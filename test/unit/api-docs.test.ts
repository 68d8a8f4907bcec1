// docs/api/ is the API reference TypeDoc writes from the TSDoc comments of the library's entries
// (typedoc.json). This regenerates it into a temporary folder and fails, naming the files, when
// the committed copy differs: a changed comment or signature needs `npm run docs`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { ROOT } from '../support/built-lib.ts';

const out = mkdtempSync(join(tmpdir(), 'api-docs-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const files = (dir: string) => readdirSync(dir, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile())
  .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
  .sort();

test('docs/api is what npm run docs generates from the sources', () => {
  const typedoc = join(createRequire(import.meta.url).resolve('typedoc/package.json'), '../bin/typedoc');
  execFileSync(process.execPath, [typedoc, '--out', out, '--logLevel', 'Error'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const committed = join(ROOT, 'docs/api');
  const generated = files(out);
  expect(generated.length).toBeGreaterThan(0);
  expect(files(committed), 'files in docs/api: run npm run docs').toEqual(generated);
  const stale = generated.filter((f) => !readFileSync(join(out, f)).equals(readFileSync(join(committed, f))));
  expect(stale, 'stale files in docs/api: run npm run docs').toEqual([]);
}, 180_000);
