// The test-set confusion matrix: how often each true class was predicted as each class.

/** Row-major classes x classes counts: row = true label, column = predicted class. */
export function confusionMatrix(labels: ArrayLike<number>, predictions: ArrayLike<number>, classes: number): number[] {
  if (labels.length !== predictions.length) {
    throw new RangeError(`confusionMatrix: ${labels.length} labels but ${predictions.length} predictions`);
  }
  const counts = new Array<number>(classes * classes).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i] * classes + predictions[i]]++;
  return counts;
}
