// Runs a command's entry function as its npm script would, with its output captured: stdout split
// into lines, stderr one entry per write.
import type { CliIo } from '../../src/cli/common.ts';

export interface CliRun {
  code: number;
  out: string[];
  err: string[];
}

export function captureCli(run: (argv: string[], io: CliIo) => Promise<number>): (...argv: string[]) => Promise<CliRun> {
  return async (...argv) => {
    const out: string[] = [], err: string[] = [];
    const code = await run(argv, { out: (s) => out.push(...s.split('\n')), err: (s) => err.push(s) });
    return { code, out, err };
  };
}
