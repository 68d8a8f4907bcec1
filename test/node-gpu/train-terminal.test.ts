// `npm run train` in a real pseudo-terminal (util-linux `script`) 80 columns wide, as a person runs
// it: the progress bar is drawn with its loss and ETA and cleared, and what the terminal finally
// shows is every line the run printed, in order, with nothing overwritten and no bar left behind;
// a Ctrl-C typed on that terminal gets its message on a line of its own. Node runtime (Dawn), so
// the launcher's stderr filter is on the way too.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderTerminal } from '../support/terminal.ts';

const hasScript = process.platform === 'linux' && existsSync('/usr/bin/script');
/** The pseudo-terminal's size, as a person's 80-column terminal (script's own has none). */
const COLS_80 = 'stty cols 80 rows 24;';
if (!hasScript) console.warn('SKIPPED: the pseudo-terminal test needs util-linux `script` (Linux)');

describe.runIf(hasScript)('npm run train on a terminal', () => {
  // Where the interrupted run's checkpoint goes (by default, a file in the working directory).
  const checkpoint = join(mkdtempSync(join(tmpdir(), 'train-terminal-')), 'run.safetensors');

  it('shows every line in order, and no bar, when it ends', async () => {
    // 640 images in batches of 32: 20 steps per epoch, a read-back (and a bar update) every 5.
    const cmd = `${COLS_80} npm run -s train -- --runtime node --epochs 2 --limit-train 640 --limit-test 100 --log-interval 5 --readback-every 5`;
    const bytes = await new Promise<string>((resolve, reject) =>
      execFile('script', ['-qec', cmd, '/dev/null'], (err, stdout) => err ? reject(err) : resolve(stdout)),
    );
    // The bar was drawn, whole: its loss and the run's ETA fit the width.
    expect(bytes).toMatch(/epoch 1\/2 \[.*\] 5\/20 .*\| loss \d\.\d{4} \| run ETA /);
    // and left the terminal's settings alone: no hidden cursor, no line wrapping turned off.
    for (const off of ['\x1b[?25l', '\x1b[?7l']) expect(bytes).not.toContain(off);
    const screen = await renderTerminal(bytes, 80);
    // The notebook's lines, shortened to what identifies them, then the run's summary and (40 steps
    // leave the network at chance) its note, which wraps over several terminal lines.
    const tag = (l: string) => l.match(/^Train Epoch: (\d+) \[(\d+)\//)?.slice(1).join(' at ') ?? l.match(/^(\[EPOCH:\d+\]|Test Loss|done|note)/)?.[1];
    const perEpoch = (e: number) => [`${e} at 0`, `${e} at 160`, `${e} at 320`, `${e} at 480`, `[EPOCH:${e}]`, 'Test Loss'];
    expect(screen.map(tag).filter(Boolean)).toEqual([...perEpoch(1), ...perEpoch(2), 'done', 'note']);
    expect(screen.join('')).toMatch(/reaches 85% in one epoch\.$/);
    expect(screen.join('\n')).not.toMatch(/ETA|\] \d+\/20/);
    expect(screen.join('\n')).not.toContain('XDG_RUNTIME_DIR');
  });

  it('prints Ctrl-C\'s message on a line of its own, not after the bar and its ^C', async () => {
    const cmd = `${COLS_80} npm run -s train -- --runtime node --epochs 2 --limit-train 640 --limit-test 100 --readback-every 5 --checkpoint ${checkpoint}`;
    const child = spawn('script', ['-qec', cmd, '/dev/null']);
    let bytes = '';
    let typed = false;
    child.stdout.on('data', (d: Buffer) => {
      bytes += d.toString();
      // Ctrl-C, typed once the bar is up: the terminal echoes ^C and signals the foreground job.
      if (!typed && /run ETA/.test(bytes)) {
        typed = true;
        child.stdin.write('\x03');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(typed).toBe(true);
    expect(code).toBe(130);
    const screen = await renderTerminal(bytes, 80);
    expect(screen).toContainEqual(expect.stringMatching(/^SIGINT: stopping at the next read-back/));
    expect(screen.filter((l) => /ETA|\] \d+\/20/.test(l))).toEqual([]);
  });
});
