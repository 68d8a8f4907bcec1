// The terminal progress bar never covers output: log lines land above it, and when the run ends
// the bar's line is cleared and what follows starts there. It fits an 80-column terminal with
// its loss and the run's ETA, and a Ctrl-C's message gets a line of its own. Checked on a fake terminal stream
// whose bytes a terminal emulator (@xterm/headless) interprets.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createReporter, formatBarLine, kernelsLine, type BarFields } from '../../src/cli/reporter.ts';
import { renderTerminal } from '../support/terminal.ts';

/** A TTY-like stream: what a terminal receives, '\n' turned into '\r\n' as the tty driver does. */
function fakeTty(cols: number) {
  let bytes = '';
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer, _enc, done) {
        bytes += chunk.toString().replace(/\n/g, '\r\n');
        done();
      },
    }),
    { isTTY: true, columns: cols },
  );
  return { stream, screen: () => renderTerminal(bytes, cols) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the training reporter on a terminal', () => {
  it('keeps every line, in order, and leaves no bar behind', async () => {
    const cols = 100;
    const tty = fakeTty(cols);
    const io = { out: (s: string) => tty.stream.write(`${s}\n`), err: (s: string) => tty.stream.write(`${s}\n`) };
    const reporter = createReporter(io, { stream: tty.stream, epochs: 2 });
    const printed: string[] = [];
    const out = (s: string) => {
      printed.push(...s.split('\n'));
      io.out(s);
    };
    out('data: 640 training / 100 test images');
    reporter.ready({ adapter: null, kernels: null });
    printed.push('device: CPU reference (plain TypeScript, float64 accumulation)');
    for (const epoch of [1, 2]) {
      for (let step = 5; step <= 20; step += 5) {
        await reporter.onProgress?.({ epoch, stepInEpoch: step, stepsPerEpoch: 20, samplesPerSec: 300, lastLoss: 2.3 });
        // The bar redraws on its own timer too (10 per second).
        await sleep(120);
        if (step % 10 === 0) {
          const line = `Train Epoch: ${epoch} [${step * 32}/ 640(${step * 5}%)]\tTrain Loss:2.300000`;
          reporter.onLog?.(line);
          printed.push(line);
        }
      }
      // The notebook's epoch summary: several lines in one.
      const summary = `\n[EPOCH:${epoch}].  \nTest Loss: 0.0920, \t Test Accuracy: 14.00% \n`;
      reporter.onLog?.(summary);
      printed.push(...summary.split('\n'));
    }
    reporter.close();
    out('done: 2 epochs, final test accuracy 14.00%');
    const screen = await tty.screen();
    // Tabs become spaces on a terminal; empty lines are not compared.
    const norm = (l: string) => l.replace(/\s+/g, ' ').trimEnd();
    expect(screen.map(norm)).toEqual(printed.filter((l) => l !== '').map(norm));
  });

  it('without a terminal, prints the lines alone', async () => {
    const lines: string[] = [];
    const reporter = createReporter({ out: (s) => lines.push(s), err: (s) => lines.push(s) }, null);
    await reporter.onProgress?.({ epoch: 1, stepInEpoch: 5, stepsPerEpoch: 20, samplesPerSec: 300, lastLoss: 2.3 });
    reporter.onLog?.('Train Epoch: 1 [0/ 640(0%)]\tTrain Loss:2.300000');
    reporter.close();
    expect(lines).toEqual(['Train Epoch: 1 [0/ 640(0%)]\tTrain Loss:2.300000']);
  });

  it('fits 80 columns with the loss and the run\'s ETA, measured from the first progress on', async () => {
    const cols = 80;
    const tty = fakeTty(cols);
    let now = 0;
    const reporter = createReporter({ out: (s) => tty.stream.write(`${s}\n`), err: (s) => tty.stream.write(`${s}\n`) },
      { stream: tty.stream, epochs: 2, now: () => now });
    // A wide rate and a four-digit step count, as a full MNIST epoch has.
    const progress = (step: number) => reporter.onProgress?.({ epoch: 1, stepInEpoch: step, stepsPerEpoch: 1875, samplesPerSec: 12345, lastLoss: 0.1234 });
    await progress(100);
    now = 2000; // 200 more steps in 2 s: the 3,450 left take 34.5 s
    await progress(300);
    await sleep(120);
    const barLine = (await tty.screen()).at(-1) ?? '';
    reporter.close();
    expect(barLine).toMatch(/^epoch 1\/2 \[\u2588+\u2591+\] 300\/1875 \| loss 0\.1234 \| run ETA 34\.5 s$/);
    // Room left for the terminal's ^C.
    expect(barLine.length).toBeLessThanOrEqual(cols - 3);
  });

  it('gives a notice a line of its own, not the end of the bar\'s line (where a terminal echoes ^C)', async () => {
    const tty = fakeTty(80);
    const io = { out: (s: string) => tty.stream.write(`${s}\n`), err: (s: string) => tty.stream.write(`${s}\n`) };
    const reporter = createReporter(io, { stream: tty.stream, epochs: 1 });
    await reporter.onProgress?.({ epoch: 1, stepInEpoch: 5, stepsPerEpoch: 20, samplesPerSec: 300, lastLoss: 2.3 });
    await sleep(120);
    tty.stream.write('^C');
    reporter.notice('SIGINT: stopping at the next read-back');
    await reporter.onProgress?.({ epoch: 1, stepInEpoch: 10, stepsPerEpoch: 20, samplesPerSec: 300, lastLoss: 2.3 });
    await sleep(120);
    reporter.close();
    io.out('interrupted');
    expect(await tty.screen()).toEqual(['SIGINT: stopping at the next read-back', 'interrupted']);
  });
});

describe('the progress line', () => {
  const fields: BarFields = { epoch: 3, epochs: 10, step: 1200, steps: 1875, samplesPerSec: 1234, loss: 0.0567, etaSeconds: 754 };
  it.for([70, 80, 100, 200])('keeps epoch, steps, loss and ETA at %i columns, with room for a ^C', (cols) => {
    const line = formatBarLine(fields, cols);
    expect(line).toMatch(/^epoch 3\/10 \[.+\] 1200\/1875 .*\| loss 0\.0567 \| run ETA 12:34 min$/);
    expect(line.length).toBeLessThanOrEqual(cols - 3);
  });

  it('drops the rate before the bar gets too short to read', () => {
    expect(formatBarLine(fields, 100)).toContain('1234 samples/s');
    expect(formatBarLine(fields, 80)).not.toContain('samples/s');
  });
});

describe('the kernels in words', () => {
  it('counts the shapes per matmul variant, and says when --matmul forced them', () => {
    const matmul = { '32x512x784 B^T bias-sigmoid': 'vec4', '32x256x512 B^T bias-sigmoid': 'tiled', '256x512x32 A^T sgd+bias': 'vec4' } as const;
    expect(kernelsLine({ fuse: true, forced: null, matmul, biasGrad: {}, conv2d: {} })).toBe('kernels: fused, matmul vec4 x2, tiled x1 shapes');
    expect(kernelsLine({ fuse: false, forced: 'naive', matmul: { a: 'naive' }, biasGrad: {}, conv2d: {} })).toBe('kernels: unfused, matmul naive x1 shapes (forced by --matmul)');
    const conv2d = { 'conv2d forward 32x1x28x28->6 k5s1p0': '4x8', 'conv2d forward 32x6x12x12->24 k5s1p0': '8x8', 'conv2d input-grad 32x6x12x12->24 k5s1p0': 'general' } as const;
    expect(kernelsLine({ fuse: true, forced: null, matmul, biasGrad: {}, conv2d })).toBe('kernels: fused, matmul vec4 x2, tiled x1 shapes, 3 convolution passes');
  });
});
