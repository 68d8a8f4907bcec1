// @ts-check
// How the npm scripts start a command (`node src/node/launch.mjs src/cli/train.ts --epochs 1`): in
// a child Node with TypeScript (tsx) and the WGSL loader, whose stderr passes through the Dawn
// noise filter (dawn-noise.mjs). Dawn's native code writes to file descriptor 2 directly, so the
// lines can only be caught outside the process. Everything else is the child's own: stdin and
// stdout are inherited (terminals stay terminals, the progress bar works), its exit code becomes
// this process's, a child killed by a signal makes this process die by the same signal, and
// signals are relayed without doubling (see signal-report.mjs).
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { createDawnNoiseFilter } from './dawn-noise.mjs';
import { RELAYED_SIGNALS, SIGNAL_FD_ENV } from './signal-report.mjs';

/** How long a signal this process receives waits for the child to report it got the same one (a
 * Ctrl-C reaches both) before it is forwarded. Long enough for a child busy compiling shaders. */
const SAME_SIGNAL_MS = 1500;

const [script, ...args] = process.argv.slice(2);
if (!script) {
  process.stderr.write('usage: node src/node/launch.mjs <script.ts> [arguments]\n');
  process.exit(2);
}

const preload = ['tsx', new URL('./raw-loader.mjs', import.meta.url).href, new URL('./signal-report.mjs', import.meta.url).href];
const child = spawn(process.execPath, [...process.execArgv, ...preload.flatMap((m) => ['--import', m]), script, ...args], {
  stdio: ['inherit', 'inherit', 'pipe', 'pipe'],
  env: { ...process.env, [SIGNAL_FD_ENV]: '3' },
});

const filter = createDawnNoiseFilter((text) => process.stderr.write(text));
const stderr = /** @type {import('node:stream').Readable} */ (child.stderr);
stderr.setEncoding('utf8');
stderr.on('data', (chunk) => filter.write(chunk));
const stderrDone = new Promise((resolve) => stderr.on('close', resolve));

/** Signals the child reported, with when, not yet matched with one this process received. */
const reported = /** @type {{ signal: string, at: number }[]} */ ([]);
/** Relays waiting for a report, woken by each one. */
const waiting = new Set(/** @type {(() => void)[]} */ ([]));
const reports = /** @type {import('node:stream').Readable} */ (child.stdio[3]);
reports.setEncoding('utf8');
reports.on('data', (chunk) => {
  for (const signal of String(chunk).split('\n').filter(Boolean)) reported.push({ signal, at: Date.now() });
  for (const wake of waiting) wake();
});
// The child's own children may hold the pipe open: it must not keep this process alive.
reports.on('error', () => {});

/** @param {string} signal */
function takeReport(signal) {
  const i = reported.findIndex((r) => r.signal === signal && Date.now() - r.at < SAME_SIGNAL_MS);
  if (i >= 0) reported.splice(i, 1);
  return i >= 0;
}

/** @param {NodeJS.Signals} signal */
async function relay(signal) {
  const deadline = Date.now() + SAME_SIGNAL_MS;
  while (!takeReport(signal)) {
    if (Date.now() >= deadline || child.exitCode !== null || child.signalCode !== null) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return;
    }
    await new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        waiting.delete(wake);
        resolve(undefined);
      };
      const timer = setTimeout(wake, deadline - Date.now());
      waiting.add(wake);
    });
  }
}

const handlers = RELAYED_SIGNALS.map((signal) => {
  const handler = () => void relay(signal);
  process.on(signal, handler);
  return /** @type {const} */ ([signal, handler]);
});

child.on('error', (err) => {
  process.stderr.write(`error: could not start ${script}: ${err.message}\n`);
  process.exit(1);
});

child.on('exit', async (code, signal) => {
  // What the child wrote last is worth waiting for, but not on a grandchild holding the pipe.
  await Promise.race([stderrDone, new Promise((resolve) => setTimeout(resolve, 500))]);
  filter.end();
  if (signal) {
    for (const [s, handler] of handlers) process.removeListener(s, handler);
    process.kill(process.pid, signal);
    // A signal whose default is not to end the process: its number as shells report it.
    setTimeout(() => process.exit(128 + (constants.signals[signal] ?? 0)), 100).unref();
    return;
  }
  process.exit(code ?? 1);
});
