// Every command in the README and docs/ runs as written in a fresh clone: each ```sh block carries
// a marker on the line above it, `<!-- test: runs as written -->` for the short ones, which this
// test runs in a copy of the repository (the files a clone has, and node_modules as `npm install`
// leaves it), or `<!-- test: not run: <why> -->` for the long ones (the recipe, the suite, the
// bench, installs). In a block, a line `# text` (or `# ... text`) after a command is a line of
// that command's output, which it must print.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/built-lib.ts';

const RUNS = '<!-- test: runs as written -->';
const NOT_RUN = /^<!-- test: not run: (.+) -->$/;
/** Pages written by a command cannot keep a marker: why their blocks are not run. */
const GENERATED: Record<string, string> = {
  'docs/sgd-noise.md': 'npm run noise trains 600 steps of the recipe on all of MNIST and rewrites the page',
};
const COMMAND_TIMEOUT_MS = 240_000;

interface Command { text: string; output: string[] }
interface Block { where: string; marker: string; commands: Command[] }

/** The ```sh blocks of a page, each with the line above it and its commands. */
function shellBlocks(page: string): Block[] {
  const lines = readFileSync(join(ROOT, page), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(sh|bash|shell)$/.test(lines[i])) continue;
    const block: Block = { where: `${page}:${i + 1}`, marker: lines[i - 1] ?? '', commands: [] };
    for (i++; i < lines.length && lines[i] !== '```'; i++) {
      const line = lines[i];
      if (line.startsWith('# ')) block.commands.at(-1)?.output.push(line.slice(2).replace(/^\.\.\. /, ''));
      else if (block.commands.at(-1)?.text.endsWith('\\')) block.commands.at(-1)!.text += `\n${line}`;
      else if (line.trim()) block.commands.push({ text: line, output: [] });
    }
    blocks.push(block);
  }
  return blocks;
}

const pages = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const blocks = pages.flatMap(shellBlocks);
const notRun = blocks.filter((b) => b.marker !== RUNS).map((b) => ({ where: b.where, why: NOT_RUN.exec(b.marker)?.[1] ?? GENERATED[b.where.split(':')[0]] }));
const runnable = blocks.filter((b) => b.marker === RUNS).flatMap((b) => b.commands.map((c) => ({ ...c, where: b.where })));

/** A copy of the repository as a clone has it: the files git tracks or would add, none it ignores. */
function freshCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'doc-commands-'));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0').filter((f) => f && f !== 'node_modules' && existsSync(join(ROOT, f)));
  for (const f of files) cpSync(join(ROOT, f), join(dir, f), { recursive: true });
  symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(dir, 'node_modules'));
  return dir;
}

describe('commands in the README and docs/', () => {
  it('every shell block says whether the tests run it', () => {
    const unmarked = blocks.filter((b) => b.marker !== RUNS && !NOT_RUN.test(b.marker) && !GENERATED[b.where.split(':')[0]]);
    expect(unmarked.map((b) => b.where), `mark each with "${RUNS}" or "<!-- test: not run: why -->"`).toEqual([]);
    expect(runnable.length).toBeGreaterThan(0);
  });

  it.skip.each(notRun)('$where is not run: $why', () => {});

  let copy: string | undefined;
  afterAll(() => copy && rmSync(copy, { recursive: true, force: true }));

  it.each(runnable)('$where: $text', ({ text, output }) => {
    copy ??= freshCopy();
    const run = spawnSync('bash', ['-c', text], { cwd: copy, encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS, env: { ...process.env, FORCE_COLOR: '0' } });
    const log = `${text}\nexit ${run.status} ${run.signal ?? ''}\n${run.stdout}\n${run.stderr}`.slice(-4000);
    expect(run.status, log).toBe(0);
    for (const line of output) expect(run.stdout, log).toContain(line);
  }, COMMAND_TIMEOUT_MS + 30_000);
});
