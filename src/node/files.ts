// How every file the project writes reaches the disk, and how it reads its inputs: a write goes
// to a temporary file in the same directory, is flushed and renamed into place, so a crash or a
// kill -9 leaves either the old file or the new one, never a torn mix; an input is opened without
// blocking and refused unless it is a regular file, so a FIFO or a device cannot hang a run. A
// full disk loses nothing either: the data is kept in the system's temporary directory.
import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

/** A name in `path`'s directory that no other process or call picks. */
export function siblingTempName(path: string, tag: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.${tag}`);
}

/** Removes the temporary files of earlier writes to `path` whose process has died (a kill -9
 * mid-write leaves one behind, hidden beside the file it was to become). Only this host's pids
 * can be checked, so a directory shared between hosts may keep another host's leftovers. */
async function removeStaleTemps(path: string): Promise<void> {
  const prefix = `.${basename(path)}.`;
  const names = await readdir(dirname(path)).catch((): string[] => []);
  for (const name of names) {
    const m = name.startsWith(prefix) ? /^(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name.slice(prefix.length)) : null;
    if (m && Number(m[1]) !== process.pid && !processAlive(Number(m[1]))) await rm(join(dirname(path), name), { force: true });
  }
}

/** A write that found no space left: the data is in `keptIn` (the system's temporary directory),
 * or nowhere when that is full too. */
export class NoSpaceError extends Error {
  override name = 'NoSpaceError';
  constructor(
    readonly path: string,
    readonly keptIn: string | null,
    option?: string,
  ) {
    super(`${option ? `${option} ` : ''}${path}: no space left on its device (ENOSPC); the file there is unchanged. ` +
      (keptIn ? `What was to be written is kept in ${keptIn}: free some space, then move it there (mv "${keptIn}" "${path}").`
        : `The system's temporary directory (${tmpdir()}) is full too, so nothing could be kept.`));
  }
}

const noSpace = (e: unknown) => ['ENOSPC', 'EDQUOT'].includes((e as NodeJS.ErrnoException).code ?? '');

/** Writes `data` to `path` atomically (temporary file, fsync, rename, then the directory fsynced
 * so the rename itself is durable). On failure the temporary file is removed and `path` is
 * untouched. When the disk is full the data is not lost: it goes to the system's temporary
 * directory instead, and a NoSpaceError names `option` (the flag that chose `path`), the path
 * and where the data is. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, option?: string): Promise<void> {
  try {
    await writeInPlace(path, data);
  } catch (e) {
    if (!noSpace(e)) throw e;
    const keptIn = join(tmpdir(), `${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}`);
    const kept = await writeInPlace(keptIn, data).then(() => true, () => false);
    throw new NoSpaceError(path, kept ? keptIn : null, option);
  }
}

async function writeInPlace(path: string, data: string | Uint8Array): Promise<void> {
  await removeStaleTemps(path);
  const tmp = siblingTempName(path, 'tmp');
  const file = await open(tmp, 'wx');
  try {
    await file.writeFile(data);
    await file.sync();
    await file.close();
    await rename(tmp, path);
  } catch (e) {
    await file.close().catch(() => {});
    await rm(tmp, { force: true });
    throw e;
  }
  const dir = await open(dirname(path), 'r');
  // Some file systems refuse fsync on a directory; the rename has happened either way.
  await dir.sync().catch(() => {});
  await dir.close();
}

/** What a path is, in words, when it is not a regular file. */
export function fileKind(s: Stats): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'a regular file';
}

export class NotAFileError extends Error {
  override name = 'NotAFileError';
}

/** Reads a whole regular file. O_NONBLOCK makes opening a FIFO return at once instead of waiting
 * for a writer; the kind is then checked on the open handle, so nothing can swap the file between
 * the check and the read. */
export async function readRegularFile(path: string): Promise<Uint8Array> {
  const file = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const s = await file.stat();
    if (!s.isFile()) throw new NotAFileError(`${path} is ${fileKind(s)}, not a regular file`);
    return new Uint8Array(await file.readFile());
  } finally {
    await file.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether a process of this host with that pid still exists (signal 0 checks without sending). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** True when the lock's owner (written as pid@host) is a process on this host that has ended. */
function isStale(owner: string): boolean {
  const [pid, host] = owner.split('@');
  return host === hostname() && /^\d+$/.test(pid) && !processAlive(Number(pid));
}

/** Runs `body` while holding `lockPath` (created exclusively, holding pid@host); waits while
 * another process holds it, and takes over a lock whose owner on this host has died (kill -9). */
export async function withFileLock<T>(lockPath: string, body: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    try {
      const file = await open(lockPath, 'wx');
      await file.writeFile(`${process.pid}@${hostname()}`);
      await file.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = await readFile(lockPath, 'utf8').catch(() => '');
    // An empty owner is a lock being written this instant: wait like for any other.
    if (owner && isStale(owner)) {
      await rm(lockPath, { force: true });
      continue;
    }
    if (Date.now() - t0 > timeoutMs) {
      throw new Error(`${lockPath} has been held by ${owner || 'another process'} for over ${timeoutMs / 1000} s; ` +
        'if no such process runs, delete the file');
    }
    await sleep(20 + Math.random() * 30);
  }
  try {
    return await body();
  } finally {
    await rm(lockPath, { force: true });
  }
}
