// Section 4: the same training step on the CPU reference (mlpTrainStepCpu: float64 accumulation,
// plain loops, in this runtime's JavaScript engine), timed in the same rounds as the GPU trainer
// (src/bench/training.ts) so that their ratio is taken under the same load.
import { gatherU8Cpu } from '../reference/kernels.ts';
import { plainSgd } from '../model/optimizers.ts';
import { createMlpOptimizerState, initMlp, MNIST_MLP_SIZES, mlpTrainStepCpu } from '../reference/mlp.ts';
import { syntheticSplit } from '../data/synthetic.ts';

/** One CPU reference step at batch B, ready to be called repeatedly (on the same batch). */
export function cpuReferenceStep(B: number): () => void {
  const mlp = initMlp([...MNIST_MLP_SIZES], 1);
  const opt = createMlpOptimizerState(mlp, plainSgd(0.5));
  const data = syntheticSplit(B, 300 + B);
  const x = gatherU8Cpu(data.features, Uint32Array.from({ length: B }, (_, i) => i), 784);
  const labels = Array.from(data.labels);
  return () => void mlpTrainStepCpu(mlp, opt, x, labels, B, plainSgd(0.5));
}
