// The errors of the library that are its own; the others it throws are the engine's, exported as
// they are (index.ts lists them all).
import type { FitResult } from './trainer.ts';

/** A value as the user wrote it, for an error message: NaN and Infinity as such (JSON would print
 * null), undefined as undefined, strings quoted, arrays and objects as JSON. */
export function shown(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'bigint' || v === undefined || typeof v === 'function' || typeof v === 'symbol') return String(v);
  return JSON.stringify(v, (_key, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x));
}

/** A dataset (or the images given to predict) that the network cannot take: wrong array types,
 * a shape that does not match the data or the network, labels outside the classes. `field` is
 * the offending part, such as `validation.labels`. */
export class DatasetError extends Error {
  override name = 'DatasetError';
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`${field} ${detail}`);
  }
}

/** A call the trainer cannot take in its state: it was disposed, or another fit, evaluate or
 * predict is still running on it (await that first). */
export class TrainerStateError extends Error {
  override name = 'TrainerStateError';
}

/** fit() was stopped by its AbortSignal. Named 'AbortError' as the platform's aborts are. The
 * trainer keeps the weights of the last read-back and its place in the epoch: a later fit on the
 * same dataset continues exactly from there. `result` holds what this call trained. */
export class TrainingAbortedError extends Error {
  override name = 'AbortError';
  constructor(readonly result: FitResult) {
    super('training was aborted by its AbortSignal; the trainer keeps the weights of the last read-back');
  }
}
