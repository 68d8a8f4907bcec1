// The notebook's printed lines, reproduced character for character so a run here can be read
// side by side with the notebook's output.

/** `Train Epoch: 1 [6400/ 60000(11%)]\tTrain Loss:0.912345`, from the notebook's
 * "Train Epoch: {} [{}/ {}({:.0f}%)]\tTrain Loss:{:6f}" with batch_idx * len(image) samples. */
export function formatTrainLine(
  epoch: number,
  step: number,
  batchSize: number,
  trainCount: number,
  stepsPerEpoch: number,
  loss: number,
): string {
  const pct = ((100 * step) / stepsPerEpoch).toFixed(0);
  return `Train Epoch: ${epoch} [${step * batchSize}/ ${trainCount}(${pct}%)]\tTrain Loss:${loss.toFixed(6)}`;
}

/** "\n[EPOCH:{}].  \nTest Loss: {:.4f}, \t Test Accuracy: {:.2f}% \n" */
export function formatEpochSummary(epoch: number, testLoss: number, accuracy: number): string {
  return `\n[EPOCH:${epoch}].  \nTest Loss: ${testLoss.toFixed(4)}, \t Test Accuracy: ${accuracy.toFixed(2)}% \n`;
}
