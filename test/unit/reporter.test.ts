// The terminal progress bar never covers output: log lines land above it, and when the run ends
// the bar's line is cleared and what follows starts there. Checked on a fake terminal stream
// whose bytes a terminal emulator (@xterm/headless) interprets.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createReporter } from '../../src/cli/reporter.ts';
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
    const reporter = createReporter(io, tty.stream);
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
});
