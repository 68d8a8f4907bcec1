// @ts-check
// Loaded with --import into a command that launch.mjs started. A Ctrl-C reaches both processes
// (the terminal signals the whole foreground process group); a signal sent to the launcher alone
// must be passed on. So this process tells the launcher every signal it receives, on the pipe
// named by TRAINER_SIGNAL_FD, and the launcher forwards only what this process did not get itself.
// Otherwise the signal behaves exactly as without the launcher: the command's own handlers run, and
// when it has none, the process ends by the signal as Node's default would.
import { writeSync } from 'node:fs';

export const SIGNAL_FD_ENV = 'TRAINER_SIGNAL_FD';
export const RELAYED_SIGNALS = /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP']);

const fd = Number(process.env[SIGNAL_FD_ENV]);
// Not for the processes this one starts (a browser, a worker): they have no such pipe.
delete process.env[SIGNAL_FD_ENV];

if (Number.isInteger(fd) && fd > 2) {
  for (const signal of RELAYED_SIGNALS) {
    /** @param {NodeJS.Signals} received */
    const report = (received) => {
      try {
        writeSync(fd, `${received}\n`);
      } catch {
        // The launcher is gone: nothing to tell.
      }
      if (process.listeners(received).length === 1) {
        // Only this listener: do what Node does without one, end by the signal.
        process.removeListener(received, report);
        process.kill(process.pid, received);
      }
    };
    process.on(signal, report);
  }
}
