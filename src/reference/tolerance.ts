// The project's one tolerance rule, used by the kernel tests, the whole-step parity tests and
// `npm run compare`:  |gpu - ref| <= atol + rtol * |ref|  for every element.

export interface Tolerance {
  atol: number;
  rtol: number;
}

export interface Mismatch {
  index: number;
  gpu: number;
  ref: number;
}

export interface Comparison {
  ok: boolean;
  /** max |gpu - ref| over all elements. */
  maxAbs: number;
  /** Index of the element with the largest excess over its allowance. */
  worst: number;
  /** How many elements break the rule. */
  bad: number;
  /** The first few elements that break it. */
  mismatches: Mismatch[];
}

export function compareArrays(gpu: ArrayLike<number>, ref: ArrayLike<number>, tol: Tolerance): Comparison {
  if (gpu.length !== ref.length) {
    throw new RangeError(`compare: gpu has ${gpu.length} elements, reference has ${ref.length}`);
  }
  let maxAbs = 0;
  let worst = 0;
  let worstExcess = -Infinity;
  let bad = 0;
  const mismatches: Mismatch[] = [];
  for (let i = 0; i < ref.length; i++) {
    const diff = Math.abs(gpu[i] - ref[i]);
    const excess = diff - (tol.atol + tol.rtol * Math.abs(ref[i]));
    // NaN anywhere is a failure, never a pass by comparison quirk.
    const broken = !(excess <= 0);
    if (diff > maxAbs || Number.isNaN(diff)) maxAbs = Number.isNaN(diff) ? NaN : Math.max(maxAbs, diff);
    if (excess > worstExcess || (broken && Number.isNaN(excess))) {
      worstExcess = Number.isNaN(excess) ? Infinity : excess;
      worst = i;
    }
    if (broken) {
      bad++;
      if (mismatches.length < 5) mismatches.push({ index: i, gpu: gpu[i], ref: ref[i] });
    }
  }
  return { ok: bad === 0, maxAbs, worst, bad, mismatches };
}

export function describeComparison(what: string, c: Comparison, tol: Tolerance): string {
  const head = `${what}: max |gpu - ref| = ${c.maxAbs.toExponential(3)} (atol ${tol.atol}, rtol ${tol.rtol})`;
  if (c.ok) return head;
  const pairs = c.mismatches.map((m) => `[${m.index}] gpu ${m.gpu} vs ref ${m.ref}`).join('; ');
  return `${head}; ${c.bad} elements out of tolerance, first: ${pairs}`;
}
