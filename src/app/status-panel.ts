// What the page knows about the WebGPU adapter: who made it, whether it is a real GPU or a CPU
// fallback (whose speed says nothing about GPUs), and the limits that bound the trainer.
import type { AdapterSummary } from '../gpu/context.ts';
import { element, formatCount } from './dom.ts';
import type { KernelSummary } from '../gpu/kernel-choice.ts';

const LIMIT_NOTES: Record<string, string> = {
  maxStorageBufferBindingSize: 'largest tensor one kernel can bind (the training images: 47 MB)',
  maxBufferSize: 'largest buffer',
  maxComputeWorkgroupStorageSize: 'shared memory per workgroup (tiled matmul)',
  maxComputeInvocationsPerWorkgroup: 'threads per workgroup',
  maxComputeWorkgroupsPerDimension: 'workgroups per dispatch dimension',
  maxStorageBuffersPerShaderStage: 'storage buffers per kernel',
};

function formatLimit(name: string, v: number): string {
  return /Size$/.test(name) && v >= 1 << 20 ? `${formatCount(v / (1 << 20))} MiB` : formatCount(v);
}

export function showAdapter(el: HTMLElement, a: AdapterSummary, kernels: KernelSummary | null = null): void {
  el.replaceChildren();
  const dl = element('dl');
  const add = (k: string, v: string) => dl.append(element('dt', k), element('dd', v));
  add('vendor', a.vendor || 'not reported');
  add('architecture', a.architecture || 'not reported');
  if (a.device || a.description) add('device', a.device || a.description);
  add('kind', a.isFallbackAdapter ? 'CPU fallback (software emulation)' : 'hardware GPU');
  add('kernels', kernels ? Object.entries(kernels).map(([k, v]) => `${k} ${String(v)}`).join(', ') : 'timing the matmul variants…');
  el.append(dl);
  if (a.isFallbackAdapter) {
    el.append(element('p', 'This adapter emulates a GPU on the CPU (e.g. SwiftShader): results are exact, but speeds are far below a real GPU\'s.', 'warn'));
  }
  const limits = element('table', undefined, 'limits');
  for (const [name, v] of Object.entries(a.limits)) {
    const tr = element('tr');
    tr.title = LIMIT_NOTES[name] ?? '';
    tr.append(element('th', name), element('td', formatLimit(name, v)));
    limits.append(tr);
  }
  const details = element('details');
  details.append(element('summary', 'Limits that matter'), limits);
  el.append(details);
}

export function showNoGpu(el: HTMLElement, reason: string): void {
  el.replaceChildren(
    element('p', 'No WebGPU here.', 'error'),
    element('p', reason),
    element('p', 'You can still train: the device is set to the CPU reference, the same network in plain TypeScript with float64 sums. It is far slower than a GPU, so start with a small subset (a few thousand images).'),
  );
}
