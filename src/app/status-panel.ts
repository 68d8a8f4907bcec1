// What the page knows about the WebGPU adapter: who made it, whether it is a real GPU or a CPU
// fallback (whose speed says nothing about GPUs), and the limits that bound the trainer.
import type { AdapterSummary } from '../gpu/context.ts';
import type { KernelChoice } from '../train/step.ts';
import { element, formatCount } from './dom.ts';

/** The matrix multiply variants (shaders/matmul.wgsl) as a person would describe them. */
const MATMUL_WORDS: Record<string, string> = {
  naive: 'one thread per output number',
  blocked: 'each thread a small block of outputs',
  vec4: 'each thread an 8×8 block with 4-wide vector loads (the CPU-adapter kernel)',
  tiled: '64×64 tiles through shared memory (the classic GPU kernel)',
};

/** One sentence for the kernels chosen on this adapter, and the raw choice with what each part
 * means, for the details. */
export function describeKernels(k: Partial<KernelChoice>): { summary: string; details: string[] } {
  const summary = `Matrix multiply: ${MATMUL_WORDS[k.matmul ?? ''] ?? k.matmul}, the fastest of 4 variants timed on this adapter. ` +
    (k.fuse ? 'Backward pass and SGD update fused (fewer GPU passes per step).' : 'One GPU pass per operation (unfused).');
  const details = [
    `matmul: ${k.matmul} (naive, blocked, vec4 or tiled; the one timed fastest on a 32×784 × 784×512 product)`,
    `biasGrad: ${k.biasGrad} (bias gradients summed by one thread per column, "serial", or by a workgroup, "workgroup": follows the matmul's family)`,
    `fuse: ${k.fuse} (true: the weight gradients are applied by SGD inside the gradient kernels and never stored)`,
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

export function showAdapter(el: HTMLElement, a: AdapterSummary, kernels: Partial<KernelChoice> | null = null): void {
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
