// The dashboard's run kept in the browser (IndexedDB), so that a page reload loses nothing: one
// record, the run's checkpoint in the CLI's --checkpoint format, replaced whole by every save.
// Each write is a transaction, so a page that goes away mid-write leaves the previous checkpoint.

const DB_NAME = 'webgpu-mnist-trainer';
const STORE = 'run';
const KEY = 'checkpoint';

const requestDone = <T>(req: IDBRequest<T>) =>
  new Promise<T>((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB failed'));
  });

/** Why the browser said no, in a few words (quota, private mode, a blocked feature). */
export const refusalText = (err: unknown) => (err instanceof DOMException ? `${err.name}: ${err.message}` : String(err));

export class RunStore {
  /** The write waiting for the one in flight: only the newest matters. */
  private next: Uint8Array | 'clear' | null = null;
  private writing: Promise<void> | null = null;

  private constructor(
    private readonly db: IDBDatabase,
    private readonly onWriteError: (err: unknown) => void,
  ) {}

  /** Throws (IndexedDB missing or refused) where the browser keeps nothing. */
  static async open(factory: IDBFactory | undefined, onWriteError: (err: unknown) => void): Promise<RunStore> {
    if (!factory) throw new Error('this browser has no IndexedDB');
    const req = factory.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    return new RunStore(await requestDone(req), onWriteError);
  }

  async load(): Promise<Uint8Array | null> {
    const value: unknown = await requestDone(this.db.transaction(STORE).objectStore(STORE).get(KEY));
    return value instanceof Uint8Array ? value : null;
  }

  /** Replaces the stored checkpoint; resolves once written (or refused: onWriteError heard why). */
  save(bytes: Uint8Array): Promise<void> {
    return this.queue(bytes);
  }

  clear(): Promise<void> {
    return this.queue('clear');
  }

  /** One write at a time, in order; a write asked for meanwhile replaces any still waiting. */
  private queue(op: Uint8Array | 'clear'): Promise<void> {
    this.next = op;
    this.writing ??= this.drain();
    return this.writing;
  }

  private async drain(): Promise<void> {
    for (let op = this.next; op !== null; op = this.next) {
      this.next = null;
      try {
        await this.write(op);
      } catch (err) {
        this.onWriteError(err);
      }
    }
    // In the same task as the loop's last look at `next`: a write queued later starts a new drain.
    this.writing = null;
  }

  private write(op: Uint8Array | 'clear'): Promise<void> {
    const tx = this.db.transaction(STORE, 'readwrite');
    const store = tx.objectStore(STORE);
    if (op === 'clear') store.delete(KEY);
    else store.put(op, KEY);
    return new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = tx.onabort = () => reject(tx.error ?? new Error('the write was aborted'));
    });
  }
}
