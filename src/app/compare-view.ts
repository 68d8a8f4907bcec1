// The GPU-vs-CPU check's result: for the loss and every parameter tensor, the largest difference
// over all compared steps against its tolerance, with pass or fail.
import type { StepComparison } from '../train/compare.ts';
import { element } from './dom.ts';

export interface Tolerance {
  lossRtol: number;
  paramAtol: number;
}

const sci = (v: number) => v.toExponential(2);

/** `resync`: each GPU step started from the CPU's parameters and optimizer state (compare's
 * default for Adam and AdamW). */
export function renderComparison(table: HTMLTableElement, verdict: HTMLElement, steps: StepComparison[], tol: Tolerance, resync: boolean): void {
  const rows: { name: string; worst: number; limit: number; what: string }[] = [
    { name: 'loss', worst: Math.max(...steps.map((s) => s.lossRelDiff)), limit: tol.lossRtol, what: 'relative' },
    ...Object.keys(steps[0]?.maxAbs ?? {}).map((name) => ({
      name,
      worst: Math.max(...steps.map((s) => s.maxAbs[name])),
      limit: tol.paramAtol,
      what: 'absolute',
    })),
  ];
  table.replaceChildren();
  const head = element('tr');
  for (const h of ['quantity', `max |GPU − CPU| over ${steps.length} steps`, 'tolerance', '']) head.append(element('th', h));
  table.createTHead().append(head);
  const body = table.createTBody();
  for (const r of rows) {
    const ok = r.worst <= r.limit;
    const tr = element('tr', undefined, ok ? 'pass' : 'fail');
    tr.append(element('td', r.name), element('td', `${sci(r.worst)} (${r.what})`), element('td', sci(r.limit)), element('td', ok ? 'pass' : 'FAIL'));
    body.append(tr);
  }
  const firstBad = steps.find((s) => !s.ok);
  const last = steps[steps.length - 1];
  verdict.className = firstBad ? 'verdict fail' : 'verdict pass';
  verdict.textContent = firstBad
    ? `FAIL: step ${firstBad.step + 1} is outside the tolerance.`
    : `PASS: the GPU matches the CPU reference on all ${steps.length} steps (last loss GPU ${last.gpuLoss.toFixed(6)}, CPU ${last.cpuLoss.toFixed(6)}).`;
  if (resync) {
    verdict.textContent += " Each GPU step started from the CPU's weights and optimizer state: under Adam, float32 rounding carried along a run " +
      'grows by itself, so each step is checked on its own.';
  }
}
