// JSON nested thousands deep, which JSON.parse takes and the code printing or re-writing it did
// not (found by fuzzing, test/fuzz: a 'RangeError: Maximum call stack size exceeded' out of
// decodeCheckpoint, the kernel cache's save and the toy's validators): each reader refuses it as
// its own error.
import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, nestedTooDeeply } from '../../src/data/json.ts';
import { parseKernelCacheFile } from '../../src/gpu/kernel-cache.ts';
import { initMlp } from '../../src/reference/mlp.ts';
import { parseResults } from '../../src/sweep/run.ts';
import { decodeCheckpoint } from '../../src/train/checkpoint.ts';
import { encodeSafetensors, readSafetensors } from '../../src/train/safetensors.ts';
import { validateToyDataset, validateToyNetwork } from '../../src/train/toy-config.ts';

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const DEEP = nested(10_000);

/** A safetensors file of this header text and no data. */
function withHeader(json: string): Uint8Array {
  const text = new TextEncoder().encode(json);
  const bytes = new Uint8Array(8 + text.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(text.length), true);
  bytes.set(text, 8);
  return bytes;
}

describe('JSON nested too deeply', () => {
  it(`is more than ${MAX_JSON_DEPTH} levels, counted without recursion`, () => {
    expect(nestedTooDeeply(JSON.parse(nested(MAX_JSON_DEPTH)))).toBe(false);
    expect(nestedTooDeeply(JSON.parse(nested(MAX_JSON_DEPTH + 1)))).toBe(true);
    expect(nestedTooDeeply(JSON.parse(`{"a": [{"b": ${DEEP}}]}`))).toBe(true);
  });

  it('is refused by each reader as its own error', () => {
    expect(() => readSafetensors(withHeader(`{"w": {"dtype": "F32", "shape": ${DEEP}, "data_offsets": [0, 0]}}`), 'w.safetensors'))
      .toThrow('w.safetensors: header nests more than 32 levels deep');
    // A checkpoint whose metadata config is nested: its metadata values are JSON text.
    const weights = encodeSafetensors(initMlp([4, 3, 2], 1), { checkpoint: 'webgpu-mnist-trainer checkpoint 2', config: DEEP });
    expect(() => decodeCheckpoint(weights, 'run.ckpt')).toThrow('run.ckpt: metadata config nests more than 32 levels deep');
    expect(() => parseResults(`{"version": 1, "runs": ${DEEP}}`, 'results.json')).toThrow('results.json nests more than 32 levels deep; fix it');
    // The kernel cache reads it as empty, so the next save (JSON.stringify of it all) succeeds.
    expect(parseKernelCacheFile(`{"gpu": {"p": "naive"}, "other": ${DEEP}}`)).toEqual({});
    // The toy's --data and --init files (the CLI and the dashboard's fields).
    expect(() => validateToyDataset(JSON.parse(`[[1, 0], ${DEEP}]`))).toThrow('--data nests more than 32 levels deep');
    expect(() => validateToyNetwork(JSON.parse(`[${DEEP}, []]`), 2, 2)).toThrow('--init nests more than 32 levels deep');
  });
});
