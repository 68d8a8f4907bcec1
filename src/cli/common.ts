// What every command line of the project shares: one-line usage errors with exit code 2, strict
// number parsing, and running a module as a script.
import { realpath } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../train/config-error.ts';

export interface CliIo {
  /** Writes one line (or several joined by '\n') of standard output; the newline is added. */
  out(s: string): void;
  /** Same for standard error. */
  err(s: string): void;
}

/** Standard streams whose reader has gone (`npm run train | head -3`): written to no more. */
const closed = new Set<NodeJS.WriteStream>();

/** Output to a closed pipe is dropped quietly and the command goes on, so that what it was asked
 * to save (--save, --json, --checkpoint, a bench's --out) is still saved; any other write error
 * is still thrown. Without this, Node reports the pipe's EPIPE as an unhandled 'error' event with
 * a stack trace, and the run dies at its next line unsaved. */
export function dropOutputToClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      closed.add(stream);
    });
  }
}

const writeLine = (stream: NodeJS.WriteStream, s: string) => {
  if (!closed.has(stream)) stream.write(`${s}\n`);
};

export const processIo: CliIo = {
  out: (s) => writeLine(process.stdout, s),
  err: (s) => writeLine(process.stderr, s),
};

/** A user error: reported as one stderr line, exit code 2. */
export class UsageError extends Error {}

export function fail(message: string): never {
  throw new UsageError(`error: ${message}`);
}

/** A ConfigError (an impossible configuration) as a usage error naming its option. */
export function usage<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
}

// Number() alone would accept '', ' ', '0x10' and 'Infinity'.
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

export function parseNumber(option: string, raw: string, min: number, minInclusive: boolean, max = Infinity, maxInclusive = true): number {
  const value = DECIMAL.test(raw) ? Number(raw) : NaN;
  const okLow = minInclusive ? value >= min : value > min;
  const okHigh = maxInclusive ? value <= max : value < max;
  if (!Number.isFinite(value) || !okLow || !okHigh) {
    const low = `${minInclusive ? '>=' : '>'} ${min}`;
    const range = max === Infinity ? low : `in ${minInclusive ? '[' : '('}${min}, ${max}${maxInclusive ? ']' : ')'}`;
    fail(`${option} must be a finite number ${range}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

export function parseInteger(option: string, raw: string, min: number, max?: number): number {
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= min && value <= (max ?? Number.MAX_SAFE_INTEGER))) {
    const range = max === undefined ? `>= ${min}` : `in [${min}, ${max}]`;
    fail(`${option} must be an integer ${range}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

export function parseChoice<T extends string>(option: string, raw: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(raw)) {
    fail(`${option} must be one of ${choices.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return raw as T;
}

/** Routes commander's own output through io and turns its errors into one line. */
export function configureProgram(program: Command, io: CliIo): Command {
  return program
    .helpOption('-h, --help', 'show this help')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, '')),
      writeErr: (s) => io.err(s.replace(/\n$/, '')),
      // Reported from runCommand's catch, on one line.
      outputError: () => {},
    });
}

/** Runs `body` and maps usage errors to exit code 2 with one stderr line. */
export async function runCommand(program: Command, io: CliIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help (and anything else commander ends successfully) is not an error.
      if (e.exitCode === 0) return 0;
      // Commander puts "(Did you mean --lr?)" on a second line.
      let message = e.message.replace(/\s*\n\s*/g, ' ');
      if (e.code === 'commander.unknownOption') {
        const accepted = [...program.options.map((o) => o.long), '--help'].join(', ');
        message += ` (accepted: ${accepted})`;
      }
      io.err(message);
      return 2;
    }
    if (e instanceof UsageError) {
      io.err(e.message);
      return 2;
    }
    // Anything else (no adapter, a lost device, a browser that would not start) is a failure of
    // the run, not of the command line: one readable line, the stack only on request.
    if (e instanceof Error && !process.env.DEBUG) {
      io.err(`error: ${e.message.replace(/^page\.evaluate: (Error: )?/, '')} (DEBUG=1 shows the stack)`);
      return 1;
    }
    throw e;
  }
}

/** The entry point of every command: when the module at `url` is the script Node was started
 * with, runs `cli` on the command line and exits with its code. Exiting is needed: Dawn's
 * instance keeps Node's event loop alive after a GPU run. */
export async function runIfMain(url: string, cli: (argv: string[], io: CliIo) => Promise<number>): Promise<void> {
  if (!(await isMain(url))) return;
  dropOutputToClosedPipes();
  process.exitCode = await cli(process.argv.slice(2), processIo);
  process.exit();
}

/** True when the module at `url` is the script Node was started with. */
export async function isMain(url: string): Promise<boolean> {
  const script = process.argv[1];
  return script !== undefined && url === pathToFileURL(await realpath(script)).href;
}
