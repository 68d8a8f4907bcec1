// The paths a command line names, checked before any work: every output can be written (its
// directory exists and takes a new file; it is not a directory), no two outputs are the same
// file, and every input is a regular file. Each refusal is one line naming the option (exit 2).
import { open, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileKind, NotAFileError, readRegularFile, siblingTempName } from '../node/files.ts';
import { fail } from './common.ts';

const errCode = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

/** Creates and removes a probe file in `dir`: the only test that holds for root, read-only
 * mounts and /proc alike. */
async function checkWritableDir(option: string, path: string, dir: string): Promise<void> {
  let s;
  try {
    s = await stat(dir);
  } catch (e) {
    const why = errCode(e) === 'ENOENT' ? 'does not exist (create it first)' : `cannot be read (${errCode(e)})`;
    fail(`${option} ${JSON.stringify(path)}: the directory ${JSON.stringify(dir)} ${why}`);
  }
  if (!s.isDirectory()) fail(`${option} ${JSON.stringify(path)}: ${JSON.stringify(dir)} is ${fileKind(s)}, not a directory`);
  const probe = siblingTempName(join(dir, 'probe'), 'probe');
  try {
    await (await open(probe, 'wx')).close();
  } catch (e) {
    fail(`${option} ${JSON.stringify(path)}: cannot create files in ${JSON.stringify(dir)} (${errCode(e)})`);
  }
  await rm(probe, { force: true });
}

/** An output file: absent or a regular file, in a directory that exists and takes new files. */
export async function checkOutputFile(option: string, path: string): Promise<void> {
  const s = await stat(path).catch(() => null);
  if (s?.isDirectory()) fail(`${option} ${JSON.stringify(path)} is a directory; give a file name inside it`);
  if (s && !s.isFile()) fail(`${option} ${JSON.stringify(path)} is ${fileKind(s)}; give a regular file to write`);
  await checkWritableDir(option, path, dirname(resolve(path)));
}

/** An output folder: a writable directory, or a path whose nearest existing ancestor is one (the
 * command creates the rest). */
export async function checkOutputDir(option: string, dir: string): Promise<void> {
  let existing = resolve(dir);
  for (;;) {
    const s = await stat(existing).catch(() => null);
    if (s) {
      if (!s.isDirectory()) fail(`${option} ${JSON.stringify(dir)}: ${JSON.stringify(existing)} is ${fileKind(s)}, not a directory`);
      break;
    }
    if (dirname(existing) === existing) break;
    existing = dirname(existing);
  }
  await checkWritableDir(option, dir, existing);
}

/** No two outputs may be one file: the second would silently replace the first. */
export function checkDistinct(outputs: [option: string, path: string | undefined][]): void {
  const seen = new Map<string, string>();
  for (const [option, path] of outputs) {
    if (path === undefined) continue;
    const other = seen.get(resolve(path));
    if (other) fail(`${option} ${JSON.stringify(path)} is also the ${other} file; give each output its own path`);
    seen.set(resolve(path), option);
  }
}

/** Why an input file could not be read, to follow its option in a message: a missing file is
 * said to be missing, with its path, rather than shown as the system's error. */
export const readProblem = (path: string, e: unknown): string =>
  (e as NodeJS.ErrnoException).code === 'ENOENT' ? `${JSON.stringify(path)} does not exist` : `cannot read ${JSON.stringify(path)}: ${(e as Error).message}`;

/** An input file's bytes; a missing file, a directory, a FIFO or a device is refused with the
 * option and the path. */
export async function readInput(option: string, path: string): Promise<Uint8Array> {
  try {
    return await readRegularFile(path);
  } catch (e) {
    if (e instanceof NotAFileError) fail(`${option} ${e.message}`);
    return fail(`${option} ${readProblem(path, e)}`);
  }
}
