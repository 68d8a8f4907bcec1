import { describe, expect, it } from 'vitest';
import { formatEpochSummary, formatTrainLine } from '../../src/train/log-lines.ts';

// Expected strings are Python's: "Train Epoch: {} [{}/ {}({:.0f}%)]\tTrain Loss:{:6f}".format(...)
// and "\n[EPOCH:{}].  \nTest Loss: {:.4f}, \t Test Accuracy: {:.2f}% \n".format(...).
describe('formatTrainLine', () => {
  it("prints the notebook's line for step 200 of 1875 at batch 32", () => {
    // 100 * 200 / 1875 = 10.666...: "{:.0f}" gives "11".
    expect(formatTrainLine(1, 200, 32, 60_000, 1875, 0.123456)).toBe(
      'Train Epoch: 1 [6400/ 60000(11%)]\tTrain Loss:0.123456',
    );
  });

  it('prints step 0 as [0/ 60000(0%)]', () => {
    expect(formatTrainLine(3, 0, 32, 60_000, 1875, 2.3)).toBe('Train Epoch: 3 [0/ 60000(0%)]\tTrain Loss:2.300000');
  });

  it('rounds the percentage half to even, as Python does', () => {
    // 100 * 1 / 8 = 12.5 -> "12"; 100 * 3 / 8 = 37.5 -> "38"; 100 * 5 / 8 = 62.5 -> "62".
    expect(formatTrainLine(1, 1, 32, 256, 8, 1)).toContain('[32/ 256(12%)]');
    expect(formatTrainLine(1, 3, 32, 256, 8, 1)).toContain('[96/ 256(38%)]');
    expect(formatTrainLine(1, 5, 32, 256, 8, 1)).toContain('[160/ 256(62%)]');
  });

  it('rounds the loss half to even on its exact binary value', () => {
    // 2^-7 = 0.0078125 exactly: Python '{:6f}' gives 0.007812 (toFixed would give 0.007813).
    expect(formatTrainLine(1, 0, 32, 60_000, 1875, 2 ** -7)).toMatch(/Train Loss:0\.007812$/);
    // 0.1234565 is a little below the tie in binary: 0.123456 in both.
    expect(formatTrainLine(1, 0, 32, 60_000, 1875, 0.1234565)).toMatch(/Train Loss:0\.123456$/);
  });

  it("counts a ragged last batch as the notebook does: batch_idx * len(image)", () => {
    // 100 images at batch 32: steps of 32, 32, 32, 4; step 3 prints 3 * 4 = 12.
    expect(formatTrainLine(1, 3, 32, 100, 4, 0.5)).toBe('Train Epoch: 1 [12/ 100(75%)]\tTrain Loss:0.500000');
    expect(formatTrainLine(1, 2, 32, 100, 4, 0.5)).toContain('[64/ 100(50%)]');
  });

  it("prints a diverged loss as Python's '{:6f}' does", () => {
    expect(formatTrainLine(1, 0, 32, 64, 2, Number.NaN)).toMatch(/Train Loss: {3}nan$/);
    expect(formatTrainLine(1, 0, 32, 64, 2, Infinity)).toMatch(/Train Loss: {3}inf$/);
  });
});

describe('formatEpochSummary', () => {
  it("prints the notebook's epoch-1 summary", () => {
    expect(formatEpochSummary(1, 0.0097, 90.27)).toBe('\n[EPOCH:1].  \nTest Loss: 0.0097, \t Test Accuracy: 90.27% \n');
  });

  it('rounds accuracy and loss half to even', () => {
    // 2 of 64 correct: 3.125% -> "3.12"; a loss of 2^-5 = 0.03125 -> "0.0312".
    expect(formatEpochSummary(2, 2 ** -5, (100 * 2) / 64)).toBe(
      '\n[EPOCH:2].  \nTest Loss: 0.0312, \t Test Accuracy: 3.12% \n',
    );
    expect(formatEpochSummary(10, 0.0025, 100)).toBe('\n[EPOCH:10].  \nTest Loss: 0.0025, \t Test Accuracy: 100.00% \n');
  });
});
