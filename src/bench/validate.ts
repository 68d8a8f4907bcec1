// "Validate first, then time": every kernel's output is compared with its CPU twin under the
// project's one tolerance rule (src/reference/tolerance.ts) before any timing of it counts.
import { compareArrays, describeComparison, type Tolerance } from '../reference/tolerance.ts';
import type { ValidationCheck } from './types.ts';

export class Validator {
  readonly checks: ValidationCheck[] = [];

  constructor(private readonly log: (line: string) => void) {}

  /** Records the comparison and returns whether it passed; a failure is logged at once. */
  check(name: string, gpu: ArrayLike<number>, ref: ArrayLike<number>, tol: Tolerance): boolean {
    const c = compareArrays(gpu, ref, tol);
    const entry: ValidationCheck = { name, ok: c.ok, maxAbs: c.maxAbs, atol: tol.atol, rtol: tol.rtol };
    if (!c.ok) {
      entry.detail = describeComparison(name, c, tol);
      this.log(`VALIDATION FAILED ${entry.detail}`);
    }
    this.checks.push(entry);
    return c.ok;
  }

  get passed(): boolean {
    return this.checks.every((c) => c.ok);
  }
}
