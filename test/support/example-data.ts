// `npm run example-data`: writes examples/data/, the small data sets that docs/data.md's commands
// train on, generated as the tests generate theirs (test/support/datasets.ts): fashion-like/, the
// four .gz IDX files of 520 training and 130 test 12x10 images in 13 classes, and iris-train.csv
// (300 rows) with iris-test.csv (90), four features and a `species` column. The files are
// committed so that a fresh clone runs the docs' commands as written; test/unit/example-data.test.ts
// checks that they are what this writes.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { runIfMain } from '../../src/cli/common.ts';
import { MNIST_FILES } from '../../src/data/mnist.ts';
import { blobsCsv, blockImages, idxBytes } from './datasets.ts';

export const EXAMPLE_DATA_DIR = fileURLToPath(new URL('../../examples/data', import.meta.url));

/** Every example file, by its path under examples/data/. gzip's header has no time (Node writes
 * mtime 0), so the bytes are the same on every run. */
export function exampleFiles(): Record<string, Uint8Array> {
  const [rows, cols, classes] = [12, 10, 13];
  const train = blockImages(520, rows, cols, classes, 1);
  const test = blockImages(130, rows, cols, classes, 2);
  const gz = (bytes: Uint8Array) => new Uint8Array(gzipSync(bytes, { level: 9 }));
  return {
    [`fashion-like/${MNIST_FILES.trainImages}.gz`]: gz(idxBytes([520, rows, cols], train.images)),
    [`fashion-like/${MNIST_FILES.trainLabels}.gz`]: gz(idxBytes([520], train.labels)),
    [`fashion-like/${MNIST_FILES.testImages}.gz`]: gz(idxBytes([130, rows, cols], test.images)),
    [`fashion-like/${MNIST_FILES.testLabels}.gz`]: gz(idxBytes([130], test.labels)),
    'iris-train.csv': new TextEncoder().encode(blobsCsv(300, 1)),
    'iris-test.csv': new TextEncoder().encode(blobsCsv(90, 2)),
  };
}

await runIfMain(import.meta.url, async (_argv, io) => {
  await mkdir(join(EXAMPLE_DATA_DIR, 'fashion-like'), { recursive: true });
  for (const [path, bytes] of Object.entries(exampleFiles())) {
    await writeFile(join(EXAMPLE_DATA_DIR, path), bytes);
    io.out(`wrote examples/data/${path} (${bytes.length} bytes)`);
  }
  return 0;
});
