// What a session reports about its kernels, apart from the chooser that times them: the page's main
// thread and the CLI's reporter describe it without loading the kernels themselves.
import type { BiasGradVariant } from './kernels/bias-grad.ts';
import type { Conv2dVariant } from './kernels/conv2d.ts';
import type { MatmulVariant } from './kernels/matmul.ts';

/** What a session reports: the variant of every problem it ran. */
export interface KernelSummary {
  fuse: boolean;
  /** --matmul: one variant everywhere, no trials. */
  forced: MatmulVariant | null;
  matmul: Record<string, MatmulVariant>;
  biasGrad: Record<string, BiasGradVariant>;
  conv2d: Record<string, Conv2dVariant>;
}

/** Each matmul variant the summary uses, with the number of matrix shapes it runs, in first-use order. */
export function matmulVariantCounts(k: KernelSummary): [MatmulVariant, number][] {
  const counts = new Map<MatmulVariant, number>();
  for (const v of Object.values(k.matmul)) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts];
}
