// `npm run train` in a real pseudo-terminal (util-linux `script`), as a person runs it: the
// progress bar is drawn and cleared, and what the terminal finally shows is every line the run
// printed, in order, with nothing overwritten and no bar left behind. Node runtime (Dawn), so
// the launcher's stderr filter is on the way too.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderTerminal } from '../support/terminal.ts';

const hasScript = process.platform === 'linux' && existsSync('/usr/bin/script');
if (!hasScript) console.warn('SKIPPED: the pseudo-terminal test needs util-linux `script` (Linux)');

describe.runIf(hasScript)('npm run train on a terminal', () => {
  it('shows every line in order, and no bar, when it ends', async () => {
    // 640 images in batches of 32: 20 steps per epoch, a read-back (and a bar update) every 5.
    const cmd = 'npm run -s train -- --runtime node --epochs 2 --limit-train 640 --limit-test 100 --log-interval 5 --readback-every 5';
    const bytes = await new Promise<string>((resolve, reject) =>
      execFile('script', ['-qec', cmd, '/dev/null'], { env: { ...process.env, COLUMNS: '120' } }, (err, stdout) =>
        err ? reject(err) : resolve(stdout),
      ),
    );
    expect(bytes).toMatch(/epoch 1 \[.*steps \|/); // the bar was drawn
    // and left the terminal's settings alone: no hidden cursor, no line wrapping turned off.
    for (const off of ['\x1b[?25l', '\x1b[?7l']) expect(bytes).not.toContain(off);
    const screen = await renderTerminal(bytes);
    // The notebook's lines, shortened to what identifies them, then the run's summary and (40 steps
    // leave the network at chance) its note, which wraps over several terminal lines.
    const tag = (l: string) => l.match(/^Train Epoch: (\d+) \[(\d+)\//)?.slice(1).join(' at ') ?? l.match(/^(\[EPOCH:\d+\]|Test Loss|done|note)/)?.[1];
    const perEpoch = (e: number) => [`${e} at 0`, `${e} at 160`, `${e} at 320`, `${e} at 480`, `[EPOCH:${e}]`, 'Test Loss'];
    expect(screen.map(tag).filter(Boolean)).toEqual([...perEpoch(1), ...perEpoch(2), 'done', 'note']);
    expect(screen.join('')).toMatch(/reaches 85% in one epoch\.$/);
    expect(screen.join('\n')).not.toMatch(/ETA|steps \|/);
    expect(screen.join('\n')).not.toContain('XDG_RUNTIME_DIR');
  });
});
