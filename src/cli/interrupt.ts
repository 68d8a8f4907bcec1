// Ctrl-C, SIGTERM and SIGHUP (a closed terminal, a dropped SSH session) for the long commands
// (train, sweep, bench): the first signal asks the work
// to stop where its state can be saved (the next read-back, or the current bench section) and
// the command writes what it has, then exits 130; a second signal ends the process at once, by
// that signal (which shells report as 130 for Ctrl-C).
import type { Command } from 'commander';
import { runCommand, type CliIo } from './common.ts';

/** The signals that stop a long command where its work can be saved. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** The exit code of a command stopped by a signal, as shells report SIGINT (128 + 2). */
export const INTERRUPTED = 130;

export interface Interrupt {
  /** The first signal received, or null. */
  readonly signal: NodeJS.Signals | null;
  /** Called once, at the first signal (e.g. to tell a headless page to stop). */
  onSignal(listener: () => void): void;
  /** Where the signals' messages go from now on (default: standard error), e.g. a progress bar's
   * reporter, which keeps them off the bar's line. */
  tellWith(say: (line: string) => void): void;
  /** Removes the handlers: signals kill the process again. */
  dispose(): void;
}

/** Installs the handlers; `stopping` says what the first signal does, e.g. "at the next read-back". */
export function watchInterrupts(io: CliIo, stopping: string): Interrupt {
  let signal: NodeJS.Signals | null = null;
  let say = (line: string) => io.err(line);
  const listeners: (() => void)[] = [];
  const handler = (sig: NodeJS.Signals) => {
    if (signal) {
      say(`${sig} again: quitting at once, without saving`);
      // The signal's default action ends the process where it stands. process.exit would run the
      // exit handlers, and Dawn's tears a device down under work still in flight: a crash.
      for (const s of STOP_SIGNALS) process.off(s, handler);
      process.kill(process.pid, sig);
      return;
    }
    signal = sig;
    say(`${sig}: stopping ${stopping} to save what is done (send it again to quit at once)`);
    for (const l of listeners) l();
  };
  for (const s of STOP_SIGNALS) process.on(s, handler);
  return {
    get signal() {
      return signal;
    },
    onSignal: (listener) => void listeners.push(listener),
    tellWith(to) {
      say = to;
    },
    dispose() {
      for (const s of STOP_SIGNALS) process.off(s, handler);
    },
  };
}

/** Runs a long command (runCommand's error handling) with the signal handlers installed for its
 * duration; `stopping` says what the first signal does. */
export async function runInterruptible(program: Command, io: CliIo, stopping: string, body: (interrupt: Interrupt) => Promise<number>): Promise<number> {
  const interrupt = watchInterrupts(io, stopping);
  try {
    return await runCommand(program, io, () => body(interrupt));
  } finally {
    interrupt.dispose();
  }
}
