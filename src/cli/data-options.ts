// The options that name the data, shared by the commands that train (train, sweep, compare,
// noise): an IDX folder in MNIST's layout, or CSV files, loaded and checked before any work.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_LABEL_COLUMN } from '../data/csv.ts';
import { DataError } from '../data/dataset.ts';
import { loadData, type LoadedData } from '../data/mnist-node.ts';
import { ConfigError } from '../train/config.ts';
import { fail } from './common.ts';

export function addDataOptions(program: Command): Command {
  return program
    .option('--data <path>', "a folder with the four IDX files in MNIST's layout (plain or .gz: MNIST, Fashion-MNIST, KMNIST, ...), " +
      'a folder with train.csv and test.csv, or a training .csv file; default: the embedded MNIST')
    .option('--test-data <file>', 'the test split\'s .csv file, when --data is a .csv file')
    .option('--label-column <name>', 'the CSV column that holds the labels (any text; every other column must be numeric)', DEFAULT_LABEL_COLUMN);
}

export interface RawDataOptions {
  data?: string;
  testData?: string;
  labelColumn: string;
}

/** The data, or the command's usage error: an option's as a ConfigError names it, a file's names
 * the file after the option that gave it (--test-data for the test CSV, --data for the others). */
export function loadDataOptions(o: RawDataOptions): Promise<LoadedData> {
  const option = (e: Error) => (o.testData !== undefined && e instanceof DataError && resolve(e.file) === resolve(o.testData) ? '--test-data' : '--data');
  return loadData(o).catch((e: Error) => fail(e instanceof ConfigError ? e.message : `${option(e)} ${e.message}`));
}
