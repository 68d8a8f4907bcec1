// A classification data set from two CSV files (training and test): one row per sample after a
// header row, every column a numeric feature except the label column, which may hold any text.
// The labels' distinct values, of both files, sorted (numerically when all are numbers), are the
// classes 0..k-1. Parsed by papaparse (RFC 4180: quoted fields, "" escapes, CRLF); this module
// only judges the cells. Browser-safe: the CLI, the headless page and the dashboard all use it.
import Papa from 'papaparse';
import { DataError, MAX_CLASSES, type DataSet, type Split } from './dataset.ts';

export class CsvError extends DataError {
  override name = 'CsvError';
}

export interface NamedText {
  text: string;
  /** Used in error messages: the file name, path or URL. */
  name: string;
}

export interface CsvOptions {
  /** The header name of the column that holds the labels. */
  labelColumn: string;
}

/** The default label column: the name MNIST's CSV exports use. */
export const DEFAULT_LABEL_COLUMN = 'label';

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

interface ParsedCsv {
  /** Feature columns in file order (the label column left out). */
  columns: string[];
  /** Row-major (count, columns.length). */
  features: Float32Array;
  labels: string[];
}

const quote = (s: string) => JSON.stringify(s);
const list = (names: string[]) => names.map(quote).join(', ');

function parseCsv(file: NamedText, labelColumn: string, columnOrder?: string[]): ParsedCsv {
  let header: string[] | null = null;
  let labelAt = -1;
  /** Where each of `columns` sits in this file's rows. */
  let sources: number[] = [];
  let columns: string[] = [];
  let features = new Float32Array(1024);
  const labels: string[] = [];
  // Line numbers for messages: papaparse reports where each row ends, and quoted fields may span lines.
  let line = 1;
  let cursor = 0;
  let failure: CsvError | null = null;
  const text = file.text.charCodeAt(0) === 0xfeff ? file.text.slice(1) : file.text;
  const fail = (detail: string) => new CsvError(file.name, detail);

  const takeHeader = (cells: string[]) => {
    header = cells.map((c) => c.trim());
    const blank = header.findIndex((h) => h === '');
    if (blank >= 0) throw fail(`column ${blank + 1} of the header row has no name. Every column needs a name in the first row.`);
    const dup = header.find((h, i) => header!.indexOf(h) !== i);
    if (dup !== undefined) throw fail(`the header names column ${quote(dup)} twice. Column names must be unique.`);
    labelAt = header.indexOf(labelColumn);
    if (labelAt < 0) {
      throw fail(`no column named ${quote(labelColumn)} for the labels; the header has ${list(header)}. ` +
        'Name the label column with --label-column.');
    }
    const own = header.filter((_, i) => i !== labelAt);
    if (own.length === 0) throw fail(`the only column is the label column ${quote(labelColumn)}; a sample needs at least one feature column.`);
    if (columnOrder) {
      const missing = columnOrder.filter((c) => !own.includes(c));
      const extra = own.filter((c) => !columnOrder.includes(c));
      if (missing.length || extra.length) {
        throw fail(`its columns differ from the training file's: ${[missing.length ? `missing ${list(missing)}` : '', extra.length ? `extra ${list(extra)}` : '']
          .filter(Boolean).join('; ')}. Both files need the same columns (in any order).`);
      }
    }
    columns = columnOrder ?? own;
    sources = columns.map((c) => header!.indexOf(c));
  };

  const takeRow = (cells: string[], where: string) => {
    if (cells.length !== header!.length) {
      throw fail(`${where} has ${cells.length} cells, the header has ${header!.length}. Every row needs one value per column.`);
    }
    const label = cells[labelAt].trim();
    if (label === '') throw fail(`${where}: the label (column ${quote(labelColumn)}) is empty. Give every row its label, or drop the row.`);
    const row = labels.length;
    if ((row + 1) * columns.length > features.length) {
      const grown = new Float32Array(features.length * 2);
      grown.set(features);
      features = grown;
    }
    for (let j = 0; j < columns.length; j++) {
      const cell = cells[sources[j]].trim();
      const at = `${where}, column ${quote(columns[j])}`;
      if (cell === '') throw fail(`${at}: the cell is empty. Fill in the missing value, or drop the row.`);
      if (!NUMBER.test(cell)) {
        throw fail(`${at}: ${quote(cell)} is not a number. Feature columns must be numeric: drop the column or encode it as numbers ` +
          '(one column per category, say), or name it with --label-column if it holds the labels.');
      }
      const v = Math.fround(Number(cell));
      if (!Number.isFinite(v)) throw fail(`${at}: ${cell} is outside the float32 range (about ±3.4e38). Rescale the column.`);
      features[row * columns.length + j] = v;
    }
    labels.push(label);
  };

  Papa.parse<string[]>(text, {
    delimiter: ',',
    step: (result, parser) => {
      const start = line;
      line += countNewlines(text, cursor, result.meta.cursor);
      cursor = result.meta.cursor;
      try {
        const quoteError = result.errors[0];
        if (quoteError) throw fail(`line ${start}: ${quoteError.message}. Close every quoted field with a double quote (write "" for a quote inside it).`);
        const cells = result.data;
        // A blank line: papaparse gives it as one empty cell.
        if (cells.length === 1 && cells[0].trim() === '') return;
        if (!header) takeHeader(cells);
        else takeRow(cells, `row ${labels.length + 1} (line ${start})`);
      } catch (e) {
        failure = e as CsvError;
        parser.abort();
      }
    },
  });
  if (failure) throw failure;
  if (!header) throw fail('the file is empty. It needs a header row, then one row per sample.');
  if (labels.length === 0) throw fail('the file has a header but no rows. It needs one row per sample after the header.');
  return { columns, features: features.slice(0, labels.length * columns.length), labels };
}

function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** The classes: every distinct label of both files, sorted, numbers as numbers ("2" before "10"). */
function classesOf(labelColumn: string, trainName: string, ...labelSets: string[][]): string[] {
  const distinct = [...new Set(labelSets.flat())];
  // One class leaves nothing to learn: every answer is right, and a run would report 100%.
  if (distinct.length === 1) {
    throw new CsvError(trainName, `column ${quote(labelColumn)} holds one class only, ${quote(distinct[0])}, in every row of the data; ` +
      'a classifier needs samples of at least two classes. Is --label-column naming the label column?');
  }
  if (distinct.length > MAX_CLASSES) {
    throw new CsvError(trainName, `column ${quote(labelColumn)} holds ${distinct.length} distinct labels; the trainer takes at most ` +
      `${MAX_CLASSES} classes (labels are stored as bytes). Is --label-column naming a feature column?`);
  }
  return distinct.every((l) => NUMBER.test(l))
    ? distinct.sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0))
    : distinct.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function toSplit(parsed: ParsedCsv, index: Map<string, number>): Split {
  return {
    features: parsed.features,
    labels: Uint8Array.from(parsed.labels, (l) => index.get(l)!),
    count: parsed.labels.length,
    width: parsed.columns.length,
    image: null,
  };
}

/** Splits from CSV files, the first the training file: the others need its columns, and the
 * classes are the labels of all of them. */
export function csvSplits(files: readonly NamedText[], opts: CsvOptions): { splits: Split[]; classNames: string[] } {
  const first = parseCsv(files[0], opts.labelColumn);
  const parsed = [first, ...files.slice(1).map((f) => parseCsv(f, opts.labelColumn, first.columns))];
  const classNames = classesOf(opts.labelColumn, files[0].name, ...parsed.map((p) => p.labels));
  const index = new Map(classNames.map((name, i) => [name, i]));
  return { splits: parsed.map((p) => toSplit(p, index)), classNames };
}

export function csvDataFromText(train: NamedText, test: NamedText, opts: CsvOptions, source: string): DataSet {
  const { splits: [trainSplit, testSplit], classNames } = csvSplits([train, test], opts);
  return { train: trainSplit, test: testSplit, source, classNames };
}
