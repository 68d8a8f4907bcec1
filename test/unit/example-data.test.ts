// examples/data/ is what `npm run example-data` writes: a change to the generators in
// test/support/datasets.ts shows here, and the docs' figures on these files are then re-measured.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { EXAMPLE_DATA_DIR, exampleFiles } from '../support/example-data.ts';

test('the committed example data is what npm run example-data writes', () => {
  const expected = exampleFiles();
  const committed = readdirSync(EXAMPLE_DATA_DIR, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(EXAMPLE_DATA_DIR.length + 1));
  expect(committed.sort()).toEqual(Object.keys(expected).sort());
  for (const [path, bytes] of Object.entries(expected)) {
    expect(new Uint8Array(readFileSync(join(EXAMPLE_DATA_DIR, path))), path).toEqual(bytes);
  }
});
