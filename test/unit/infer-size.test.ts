// The browser inference entry's size: built minified as `npm run build:lib` ships it, under its
// budget, and without the training (every module it carries is printed, largest first).
import { describe, expect, it } from 'vitest';
import { buildInferEntry, INFER_BUDGET_BYTES } from '../../src/bundle/build-lib.ts';

describe('the inference entry (webgpu-mnist-trainer/infer)', () => {
  it(`is under ${INFER_BUDGET_BYTES} bytes minified and carries no training code`, async () => {
    const { bytes, inputs } = await buildInferEntry(false);
    console.log(`build/lib/browser/infer.js: ${bytes} bytes minified (budget ${INFER_BUDGET_BYTES})\n` +
      inputs.map((i) => `  ${String(i.bytes).padStart(6)} ${i.path}`).join('\n'));
    expect(bytes).toBeLessThan(INFER_BUDGET_BYTES);
    const training = inputs.filter((i) => /src\/(train\/(session|step|gpu-model|gpu-trainer|trainer)|gpu\/kernels\/(optimizer|output-layer|bias-grad|metrics|gather)|gpu\/kernel-choice|data\/(batches|mnist|idx|csv))\.ts$|(output_layer|bias_grad|update|metrics|gather|loss_fn)\.wgsl/.test(i.path));
    expect(training.map((i) => i.path)).toEqual([]);
  });
});
