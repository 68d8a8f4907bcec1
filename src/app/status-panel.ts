// What the page knows about the WebGPU adapter: who made it, whether it is a real GPU or a CPU
// fallback (whose speed says nothing about GPUs), and the limits that bound the trainer.
import type { AdapterSummary } from '../gpu/context.ts';
import { element, formatCount } from './dom.ts';
import { matmulVariantCounts, type KernelSummary } from '../gpu/kernel-summary.ts';

/** The matrix multiply variants (shaders/matmul.wgsl) as a person would describe them. */
const MATMUL_WORDS: Record<string, string> = {
  naive: 'one thread per output number',
  blocked: 'each thread a small block of outputs',
  vec4: 'each thread an 8×8 block with 4-wide vector loads (the CPU-adapter kernel)',
  tiled: '64×64 tiles through shared memory (the classic GPU kernel)',
  tiled32: '32×32 tiles through shared memory (more workgroups for small batches)',
  skinny: '8×8 tiles with the long sum split over 4 threads (many workgroups for batch-sized matrices)',
  'skinny-subgroups': 'as skinny, the 4 partial sums added by subgroup shuffles',
};

/** One sentence for the kernels chosen on this adapter, and the raw choice per matrix shape, with
 * what each variant does, for the details. */
export function describeKernels(k: KernelSummary): { summary: string; details: string[] } {
  const used = matmulVariantCounts(k).map(([v, n]) => `${n} × ${v} (${MATMUL_WORDS[v] ?? v})`).join(', ');
  const how = k.forced ? `forced to ${k.forced}` : 'each the fastest variant timed on its own shape on this adapter';
  const summary = `Matrix multiplies: ${used || 'none yet'}; ${how}. ` +
    (k.fuse ? 'Backward pass and SGD update fused (fewer GPU passes per step).' : 'One GPU pass per operation (unfused).');
  const details = [
    ...Object.entries(k.matmul).map(([shape, v]) => `${shape}: ${v}`),
    ...Object.entries(k.biasGrad).map(([shape, v]) => `${shape}: ${v} (bias gradients summed by one thread per column, "serial", or by a workgroup)`),
    ...Object.entries(k.conv2d).map(([shape, v]) => `${shape}: ${v} (${v === 'general' ? 'the input gradient\'s own kernel' : `output channels x columns per thread`})`),
    `fuse: ${k.fuse} (true: the weight and bias gradients are applied by SGD inside the gradient kernels and never stored)`,
  ];
  return { summary, details };
}

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
  if (kernels) {
    const { summary, details } = describeKernels(kernels);
    const more = element('details', undefined, 'kernel-details');
    more.append(element('summary', 'details'), ...details.map((d) => element('p', d, 'small')));
    const dd = element('dd', summary);
    dd.append(more);
    dl.append(element('dt', 'kernels'), dd);
  } else add('kernels', 'timing the matrix multiply variants on this adapter…');
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
