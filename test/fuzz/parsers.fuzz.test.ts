// Every parser of a file the user hands over, fuzzed (issue 20, item 10): arbitrary inputs and
// mutations of a valid one either parse or throw the parser's own error, with a message that names
// the file; never another exception (a TypeError of code that trusted the input), a hang, or an
// allocation out of proportion to the input. One table entry per parser. FUZZ_RUNS sets the cases
// per parser (`npm run fuzz` runs 20000); FUZZ_SEED replays another sequence.
import { denseSpec } from '../../src/model/spec.ts';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { csvSplits, CsvError } from '../../src/data/csv.ts';
import { IdxError, parseIdx } from '../../src/data/idx.ts';
import { renderSweepMarkdown } from '../../src/docs/sweep-report.ts';
import { parseKernelCacheFile, withChoices } from '../../src/gpu/kernel-cache.ts';
import { validChoices } from '../../src/gpu/kernel-choice.ts';
import { idxDataset, toSplit, type Dataset } from '../../src/lib/dataset.ts';
import { DatasetError } from '../../src/lib/errors.ts';
import { initMlp, mlpParamTensors, resolveMlp } from '../../src/reference/mlp.ts';
import { parseList, planRuns, SweepSpecError } from '../../src/sweep/plan.ts';
import { parseResults, SweepResultsError } from '../../src/sweep/run.ts';
import { summarise } from '../../src/sweep/summary.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/train/checkpoint.ts';
import { ConfigError, validateConfig } from '../../src/train/config.ts';
import { defaultToyNetwork, validateToyDataset, validateToyNetwork } from '../../src/train/toy-config.ts';
import { NOTEBOOK_DATASET } from '../../src/reference/toy.ts';
import { decodeSafetensors, encodeSafetensors, safetensorsSizes, SafetensorsError } from '../../src/train/safetensors.ts';
import { anyBytes, anyText, JSON_TOKENS, jsonText, mutatedBytes, mutatedJson, mutatedText, type Json } from './mutate.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const SEED = Number(process.env.FUZZ_SEED ?? 20);
/** A call slower than this is a hang or an allocation far beyond the input: these inputs are a
 * few KB, and each parser's slowest call is printed after the run (304 ms the slowest of all in
 * one `npm run fuzz` on a loaded 2-core machine, a garbage collection's pause included). */
const MAX_MS = 2000;
/** Array-buffer growth a call may keep, per input byte, plus a constant: a parser copies its
 * input at most a few times (CSV text becomes f32 features). */
const MAX_BYTES_PER_INPUT_BYTE = 16;
const MAX_BYTES_CONSTANT = 4 << 20;

type ErrorClass = abstract new (...args: never[]) => Error;

interface Target<I> {
  name: string;
  /** The errors it may throw: its own, which callers catch and show. */
  errors: ErrorClass[];
  /** What its messages must name (the file), or null for a parser that never throws. */
  names: RegExp | null;
  inputs: fc.Arbitrary<I>;
  size(input: I): number;
  /** Parses and uses the result as its callers do; throws on an invalid result. */
  run(input: I): unknown;
}

const target = <I>(t: Target<I>) => t;
const utf8 = (s: string) => new TextEncoder().encode(s);

// --- Valid inputs ---------------------------------------------------------------------------------

const idxFile = (dims: number[], fill: (i: number) => number) => {
  const n = dims.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(4 + 4 * dims.length + n);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x800 + dims.length);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  for (let i = 0; i < n; i++) out[4 + 4 * dims.length + i] = fill(i);
  return out;
};
const IDX_IMAGES = idxFile([3, 4, 5], (i) => (i * 37) % 256);
const IDX_LABELS = idxFile([3], (i) => i % 2);
const IDX_ROWS = idxFile([2, 6], (i) => i);

const CSV_TRAIN = 'label,a,b,c\n0,1.5,-2,3e2\n1,0,.5,7\n"2",4,5,6\r\n';
const CSV_TEST = 'c,a,label,b\n1,2,0,3\n';
const CSV_TOKENS = [',', '"', '""', '\n', '\r\n', '\r', '\ufeff', 'label', 'a', '1e39', '-1e-50', 'NaN', 'Infinity', '0x10', ' ', '.', 'e', '-'];

const SIZES = [6, 3, 2];
const WEIGHTS = encodeSafetensors(initMlp(SIZES, 1));

const CONFIG = validateConfig({ epochs: 2, model: denseSpec([3], ['sigmoid']), lr: 0.1, momentum: 0.9, batchSize: 4 });
const epochRecord = { epoch: 1, lr: 0.1, trainLoss: 0.7, trainAccuracy: 50, trainSeconds: 0.1, samplesPerSec: 80, testLoss: 0.6, meanTestLoss: 0.3, testAccuracy: 50 };
const CHECKPOINT = encodeCheckpoint({
  config: CONFIG,
  weights: initMlp(SIZES, 1),
  optimizer: { state: mlpParamTensors(initMlp(SIZES, 2)).map((t) => t.data), step: 3 },
  progress: { epoch: 1, step: 1, epochCorrect: 2, stepLosses: [0.9, 0.8, 0.7], epochs: [epochRecord] },
  data: { source: 'fuzz', train: 8, test: 4 },
  kernels: { '4x3x6 B^T bias-sigmoid': 'naive' },
});

/** A safetensors file's header as JSON, its metadata's JSON strings parsed (so that mutations
 * reach inside the checkpoint's config and progress), and its data section. */
function splitSafetensors(bytes: Uint8Array): { header: Json; data: Uint8Array } {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) as Record<string, Json>;
  const meta = header.__metadata__ as Record<string, string>;
  const parsed = Object.fromEntries(Object.entries(meta).map(([k, v]) => [k, k === 'format' || k === 'checkpoint' || v === '' ? v : JSON.parse(v) as Json]));
  return { header: { ...header, __metadata__: parsed }, data: bytes.subarray(8 + length) };
}

/** The reverse: metadata values that are not strings after mutation are written as JSON text. */
function joinSafetensors(header: Json, data: Uint8Array, keepShape: string[]): Uint8Array {
  if (header && typeof header === 'object' && !Array.isArray(header)) {
    const meta = header.__metadata__;
    if (meta && typeof meta === 'object' && !Array.isArray(meta)) {
      for (const k of keepShape) if (k in meta && typeof meta[k] !== 'string') meta[k] = jsonText(meta[k]);
    }
  }
  const json = utf8(jsonText(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** Byte mutations of the files, and structural ones of their headers (the data kept). */
function safetensorsInputs(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  const { header, data } = splitSafetensors(valid);
  const metaJson = ['config', 'progress', 'data', 'kernels'];
  const withMeta = (meta: Json) => ({ ...(header as Record<string, Json>), __metadata__: meta });
  return fc.oneof(
    anyBytes,
    mutatedBytes(valid),
    mutatedJson(header).map((h) => joinSafetensors(h, data, metaJson)),
    // The metadata alone: a checkpoint's config and progress are too deep for the whole header's mutations to reach often.
    mutatedJson((header as Record<string, Json>).__metadata__).map((m) => joinSafetensors(withMeta(m), data, metaJson)),
  );
}

const KERNEL_KEY = JSON.stringify(['node', 'google', 'swiftshader', '0123abcd']);
const KERNEL_FILE = JSON.stringify({ [KERNEL_KEY]: { '32x512x784 B^T bias-sigmoid': 'skinny', 'bias 32x512': 'rows' }, other: {} }, null, 2);

/** Without halving, and with halving's rungs. */
const RESULTS = ['sweeps/augment/results.json', 'sweeps/tuning/results.json'].map((f) => readFileSync(f, 'utf8'));
const LIST = readFileSync('sweeps/tuned-list.json', 'utf8');

const jsonTextInputs = (...valid: string[]) =>
  fc.oneof(anyText, mutatedText(valid, JSON_TOKENS), mutatedJson(...valid.map((v) => JSON.parse(v) as Json)).map(jsonText));

/** A library user's dataset: a valid one with any field replaced, sizes claiming up to 2^53. */
const EXTREME_SIZES = [0, 1, 2, 3, 4, -1, 0.5, NaN, Infinity, 2 ** 31, 2 ** 32, 2 ** 40, 2 ** 53];
const datasetInputs = fc.record({
  images: fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc.float32Array({ maxLength: 64 }),
    fc.constant(new Uint8Array(12)),
    fc.anything(),
  ),
  labels: fc.oneof(fc.uint8Array({ maxLength: 8 }), fc.constant(Uint8Array.of(0, 1, 1)), fc.anything()),
  shape: fc.oneof(
    fc.constant([3, 2, 2]),
    fc.array(fc.oneof(fc.constantFrom(...EXTREME_SIZES), fc.integer()), { maxLength: 4 }),
    fc.anything(),
  ),
});

/** A toy file's JSON, refused as the toy CLI's readJson refuses text that is not JSON. */
function toyJson(option: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError(option, 'is not valid JSON');
  }
}

// --- The parsers ----------------------------------------------------------------------------------

const TARGETS = [
  target({
    name: 'IDX (parseIdx)',
    errors: [IdxError],
    names: /^train-images-idx3-ubyte: /,
    inputs: fc.oneof(anyBytes, mutatedBytes(IDX_IMAGES, IDX_LABELS, IDX_ROWS)),
    size: (b) => b.length,
    run(bytes) {
      const t = parseIdx(bytes, 'train-images-idx3-ubyte');
      expect(t.data.length).toBe(t.dims.reduce((a, b) => a * b, 1));
    },
  }),
  target({
    name: 'IDX gzip-compressed, with its labels (library idxDataset)',
    errors: [IdxError, DatasetError],
    names: /^set images/,
    inputs: fc.oneof(anyBytes, mutatedBytes(gzipSync(IDX_IMAGES), gzipSync(IDX_ROWS)), mutatedBytes(IDX_IMAGES).map((b) => gzipSync(b))),
    size: (b) => b.length,
    run: (bytes) => idxDataset(bytes, gzipSync(IDX_LABELS), 'set'),
  }),
  target({
    name: 'CSV (csvSplits)',
    errors: [CsvError],
    names: /^(train|test)\.csv: /,
    inputs: fc.oneof(anyText, mutatedText([CSV_TRAIN], CSV_TOKENS)),
    size: (s) => s.length * 2,
    run(text) {
      const { splits, classNames } = csvSplits([{ text, name: 'train.csv' }, { text: CSV_TEST, name: 'test.csv' }], { labelColumn: 'label' });
      for (const s of splits) {
        expect(s.features.length).toBe(s.count * s.width);
        expect(s.features.every(Number.isFinite)).toBe(true);
        expect(s.labels.every((l) => l < classNames.length)).toBe(true);
      }
    },
  }),
  target({
    name: 'safetensors weights (safetensorsSizes, decodeSafetensors)',
    errors: [SafetensorsError],
    names: /^model\.safetensors: /,
    inputs: safetensorsInputs(WEIGHTS),
    size: (b) => b.length,
    run: (bytes) => decodeSafetensors(bytes, resolveMlp(safetensorsSizes(bytes, 'model.safetensors')), 'model.safetensors'),
  }),
  target({
    name: 'checkpoint with its metadata (decodeCheckpoint)',
    errors: [SafetensorsError],
    names: /^run\.ckpt: /,
    inputs: safetensorsInputs(CHECKPOINT),
    size: (b) => b.length,
    run: (bytes) => decodeCheckpoint(bytes, 'run.ckpt'),
  }),
  target({
    name: 'kernel cache file (parseKernelCacheFile, validChoices)',
    errors: [],
    names: null,
    inputs: jsonTextInputs(KERNEL_FILE),
    size: (s) => s.length * 2,
    run(text) {
      const all = parseKernelCacheFile(text);
      validChoices(all[KERNEL_KEY]);
      // What save() writes back over it keeps the entry it saves.
      const saved = parseKernelCacheFile(JSON.stringify(withChoices(all, KERNEL_KEY, { 'bias 1x1': 'rows' })));
      expect(saved[KERNEL_KEY]).toEqual({ 'bias 1x1': 'rows' });
    },
  }),
  target({
    name: "sweep's results.json (parseResults, then its summary and report)",
    errors: [SweepResultsError],
    names: /^results\.json/,
    inputs: jsonTextInputs(...RESULTS),
    size: (s) => s.length * 2,
    run(text) {
      const results = parseResults(text, 'results.json');
      summarise(results);
      renderSweepMarkdown(results);
    },
  }),
  target({
    name: "sweep's --list file (parseList, planRuns)",
    errors: [SweepSpecError],
    names: /list\.json|^configuration \d+ /,
    inputs: jsonTextInputs(LIST),
    size: (s) => s.length * 2,
    run: (text) => planRuns(parseList(text, 'list.json'), {}),
  }),
  target({
    name: "toy's --data rows (validateToyDataset)",
    errors: [ConfigError],
    names: /^--data /,
    inputs: jsonTextInputs(JSON.stringify(NOTEBOOK_DATASET)),
    size: (s) => s.length * 2,
    run: (text) => validateToyDataset(toyJson('--data', text)),
  }),
  target({
    name: "toy's --init network (validateToyNetwork)",
    errors: [ConfigError],
    names: /^--init /,
    inputs: jsonTextInputs(JSON.stringify(defaultToyNetwork(NOTEBOOK_DATASET, 2, 1, false))),
    size: (s) => s.length * 2,
    run: (text) => validateToyNetwork(toyJson('--init', text), 2, 2),
  }),
  target({
    name: "library's dataset (toSplit)",
    errors: [DatasetError],
    names: /^dataset/,
    inputs: datasetInputs,
    size: (d) => (d.images instanceof Uint8Array || d.images instanceof Float32Array ? d.images.byteLength : 0),
    run(ds) {
      const s = toSplit(ds as unknown as Dataset, 'dataset', resolveMlp([4, 3, 2]));
      expect(s.features.length).toBe(s.count * s.width);
    },
  }),
] as Target<unknown>[];

// --- The property ---------------------------------------------------------------------------------

/** Bytes as text (an IDX or safetensors header reads better so than as numbers). */
const asText = (input: unknown) => JSON.stringify(input instanceof Uint8Array ? new TextDecoder().decode(input.subarray(0, 4096)) : input);

/** Outcomes by target, printed after the run: mutations that never parse would test only refusals. */
const outcomes = new Map<string, { parsed: number; refused: number; slowestMs: number }>();

/** Runs `t` on `input`: whether it parsed or was refused with its own error, naming the file;
 * throws on any other exception, on a call slower than MAX_MS or keeping too much memory. */
async function parsesOrRefuses<I>(t: Target<I>, input: I): Promise<{ outcome: 'parsed' | 'refused'; ms: number }> {
  const before = process.memoryUsage().arrayBuffers;
  const start = performance.now();
  let outcome: 'parsed' | 'refused' = 'parsed';
  try {
    await t.run(input);
  } catch (e) {
    outcome = 'refused';
    const typed = t.errors.some((E) => e instanceof E);
    if (!typed) throw new Error(`not the parser's error: ${(e as Error)?.stack ?? String(e)}\ninput as text: ${asText(input)}`, { cause: e });
    if (t.names !== null) expect((e as Error).message).toMatch(t.names);
  }
  const ms = performance.now() - start;
  expect(ms, 'milliseconds for one input').toBeLessThan(MAX_MS);
  const grown = process.memoryUsage().arrayBuffers - before;
  expect(grown, 'array-buffer bytes kept').toBeLessThan(MAX_BYTES_PER_INPUT_BYTE * t.size(input) + MAX_BYTES_CONSTANT);
  return { outcome, ms };
}

afterAll(() => {
  for (const [name, { parsed, refused, slowestMs }] of outcomes) console.log(`${name}: ${parsed} parsed, ${refused} refused, slowest ${slowestMs.toFixed(1)} ms`);
});

describe(`the parsers, fuzzed (${RUNS} inputs each, seed ${SEED})`, () => {
  it.each(TARGETS.map((t) => [t.name, t] as const))('%s: a valid result or its own error, promptly', async (_, t) => {
    const tally = { parsed: 0, refused: 0, slowestMs: 0 };
    outcomes.set(t.name, tally);
    await fc.assert(fc.asyncProperty(t.inputs, async (input) => {
      const { outcome, ms } = await parsesOrRefuses(t, input);
      tally[outcome]++;
      tally.slowestMs = Math.max(tally.slowestMs, ms);
    }), { numRuns: RUNS, seed: SEED });
  });
});

/** A valid file's header with one entry's layout claiming `shape` and `offsets`. */
function claiming(valid: Uint8Array, name: string, shape: number[], offsets: number[]): Uint8Array {
  const { header, data } = splitSafetensors(valid);
  const h = header as Record<string, Record<string, Json>>;
  return joinSafetensors({ ...h, [name]: { ...h[name], shape, data_offsets: offsets } }, data, ['config', 'progress', 'data', 'kernels']);
}

const named = (prefix: string) => TARGETS.find((t) => t.name.startsWith(prefix))!;

describe('sizes claimed far beyond the input are refused before anything that size is allocated', () => {
  const huge = 2 ** 40;
  it.each([
    ['IDX dims 2^32-1 x 2^32-1 x 2^32-1', named('IDX'), idxFile([3, 4, 5], () => 0).map((b, i) => (i >= 4 && i < 16 ? 0xff : b))],
    ['safetensors: fc1.weight of 2^40 x 6 floats', named('safetensors'), claiming(WEIGHTS, 'fc1.weight', [huge, 6], [0, huge * 24])],
    ['checkpoint: 2^40 step losses', named('checkpoint'), claiming(CHECKPOINT, 'history.step_losses', [huge], [232, 232 + huge * 4])],
    ['gzip: 8 MB of zeros after a 3x4x5 IDX header, 8 KB compressed', named('IDX gzip'), gzipSync(Uint8Array.from({ length: 8 << 20 }, (_, i) => IDX_IMAGES[i] ?? 0))],
    ['results.json: a run of 2^40 epochs', named("sweep's results.json"), RESULTS[0].replace('"epochs": 10', `"epochs": ${huge}`).replace('"epochsRun": 10', `"epochsRun": ${huge}`)],
  ])('%s', async (_, t, input) => {
    expect((await parsesOrRefuses(t, input)).outcome).toBe('refused');
  });
});

