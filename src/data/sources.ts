// Which files make a data set, and loading it from a URL or from bytes in hand. A set is either
// four IDX files with MNIST's names, or two CSV files whose names say which split they hold
// (train.csv and test.csv, iris-train.csv and iris-test.csv, ...). The CLI picks among a folder's
// names, the dashboard among the files dropped on it, by the same rules and with the same
// messages. Browser-safe.
import { csvDataFromText, type CsvOptions } from './csv.ts';
import type { DataSet } from './dataset.ts';
import { fetchDataFile, gunzipIfNeeded, idxCandidateNames, idxDataFromBytes, loadMnistFromUrl, MNIST_FILES, type FetchFn, type MnistFileKey, type NamedBytes } from './mnist.ts';

/** How a set's files are read: what the CLI tells the headless page along with the files. */
export type DataFormat = { format: 'idx' } | ({ format: 'csv' } & CsvOptions);

/** The names under which a CSV set's files are served to the headless page. */
export const CSV_SPLIT_FILES = { train: 'train.csv', test: 'test.csv' } as const;

const IDX_KEYS = Object.keys(MNIST_FILES) as MnistFileKey[];

export const isCsvName = (name: string) => /\.csv(\.gz)?$/i.test(name);

export type PickedFiles =
  | { format: 'idx'; files: Record<MnistFileKey, string> }
  | { format: 'csv'; files: { train: string; test: string } };

/** Picks a data set's files among `names` (a folder's entries, or files dropped on the page):
 * with any CSV file present, a training and a test CSV; otherwise the four IDX files. `where`
 * names the place in messages. */
export function pickDataFiles(names: readonly string[], where: string): PickedFiles {
  const csv = names.filter(isCsvName);
  if (csv.length > 0) {
    const split = (word: string) => csv.filter((n) => n.toLowerCase().includes(word));
    const [train, test] = [split('train'), split('test')];
    if (train.length === 1 && test.length === 1 && train[0] !== test[0]) return { format: 'csv', files: { train: train[0], test: test[0] } };
    throw new Error(`${where} has CSV files (${csv.join(', ')}) but not one whose name says "train" and one that says "test". ` +
      'Name them so, train.csv and test.csv for instance.');
  }
  const files: Partial<Record<MnistFileKey, string>> = {};
  const missing: string[] = [];
  for (const k of IDX_KEYS) {
    const found = idxCandidateNames(MNIST_FILES[k]).find((n) => names.includes(n));
    if (found) files[k] = found;
    else missing.push(`${MNIST_FILES[k]} (or ${idxCandidateNames(MNIST_FILES[k]).slice(1).join(', ')})`);
  }
  if (missing.length > 0) {
    throw new Error(
      `${where} is missing ${missing.length === 1 ? 'a file' : missing.length + ' files'}: ${missing.join('; ')}. ` +
        `It needs ${Object.values(MNIST_FILES).join(', ')}, each plain or .gz (the names MNIST, Fashion-MNIST and KMNIST ` +
        'ship with), or a training and a test CSV file (train.csv and test.csv).',
    );
  }
  return { format: 'idx', files: files as Record<MnistFileKey, string> };
}

const utf8 = (f: NamedBytes) => ({ text: new TextDecoder().decode(f.bytes), name: f.name });

/** A set from its files' bytes (gzip-compressed or not), as `pickDataFiles` named them. */
export async function dataFromBytes(picked: PickedFiles, bytes: (name: string) => Promise<NamedBytes>, format: DataFormat, source: string): Promise<DataSet> {
  const plain = async (name: string) => {
    const f = await bytes(name);
    return { bytes: await gunzipIfNeeded(f.bytes, f.name), name: f.name };
  };
  if (picked.format === 'csv') {
    if (format.format !== 'csv') throw new Error('CSV files need CSV options (the label column)');
    const [train, test] = await Promise.all([plain(picked.files.train), plain(picked.files.test)]);
    return csvDataFromText(utf8(train), utf8(test), format, source);
  }
  const read = await Promise.all(IDX_KEYS.map((k) => plain(picked.files[k])));
  return idxDataFromBytes(Object.fromEntries(IDX_KEYS.map((k, i) => [k, read[i]])) as Record<MnistFileKey, NamedBytes>, source);
}

/** A set served under `baseUrl`: the four IDX files, or CSV_SPLIT_FILES. */
export async function loadDataFromUrl(baseUrl: string, format: DataFormat, fetchFn: FetchFn = (url) => fetch(url), gzipFirst = false): Promise<DataSet> {
  if (format.format === 'idx') return loadMnistFromUrl(baseUrl, fetchFn, gzipFirst);
  const base = baseUrl.endsWith('/') ? baseUrl : baseUrl + '/';
  const hint = `Serve ${CSV_SPLIT_FILES.train} and ${CSV_SPLIT_FILES.test} under ${base}.`;
  const [train, test] = await Promise.all([CSV_SPLIT_FILES.train, CSV_SPLIT_FILES.test].map((f) => fetchDataFile(base, f, fetchFn, gzipFirst, hint)));
  return csvDataFromText(utf8(train), utf8(test), format, base);
}
