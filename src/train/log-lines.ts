// The notebook's printed lines, reproduced character for character so a run here can be read
// side by side with the notebook's output. Numbers go through formatFixed, Python's %.Nf (round
// half to even on the exact binary value), not toFixed (which rounds ties away from zero).
import { formatFixed } from '../reference/toy.ts';

/** `Train Epoch: 1 [6400/ 60000(11%)]\tTrain Loss:0.912345`, from the notebook's
 * "Train Epoch: {} [{}/ {}({:.0f}%)]\tTrain Loss:{:6f}" with batch_idx * len(image) samples
 * (len(image) is the step's own batch, smaller for a ragged last one, as in the notebook). */
export function formatTrainLine(
  epoch: number,
  step: number,
  batchSize: number,
  trainCount: number,
  stepsPerEpoch: number,
  loss: number,
): string {
  const batchLen = Math.min(batchSize, trainCount - step * batchSize);
  const pct = formatFixed((100 * step) / stepsPerEpoch, 0);
  return `Train Epoch: ${epoch} [${step * batchLen}/ ${trainCount}(${pct}%)]\tTrain Loss:${formatFixed(loss, 6).padStart(6)}`;
}

/** "\n[EPOCH:{}].  \nTest Loss: {:.4f}, \t Test Accuracy: {:.2f}% \n" */
export function formatEpochSummary(epoch: number, testLoss: number, accuracy: number): string {
  return `\n[EPOCH:${epoch}].  \nTest Loss: ${formatFixed(testLoss, 4)}, \t Test Accuracy: ${formatFixed(accuracy, 2)}% \n`;
}
