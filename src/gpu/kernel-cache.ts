// Where the per-shape kernel choices of src/gpu/kernel-choice.ts persist, so the second run on an
// adapter starts without trials: IndexedDB in a page or worker (idb-keyval), a JSON file in the
// user's cache directory in Node (nodeKernelCache in node-gpu.ts). Entries are keyed by the adapter and a
// hash of the kernels' source, so a driver change or an edited kernel starts afresh.
import { get, set } from 'idb-keyval';
import { nestedTooDeeply } from '../data/json.ts';

/** Chosen variants of one adapter and kernel source, by problem key. */
export type KernelChoices = Record<string, string>;

export interface KernelCache {
  /** Where it lives, for logs. */
  readonly where: string;
  /** What it holds under `key`, as stored: a file may have been edited, so validChoices judges it. */
  load(key: string): Promise<unknown>;
  save(key: string, choices: KernelChoices): Promise<void>;
}

const inBrowser = (): boolean =>
  typeof window !== 'undefined' || typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined';

const idbCache: KernelCache = {
  where: 'IndexedDB',
  load: async (key) => (await get(`kernel-choices:${key}`)) ?? {},
  save: (key, choices) => set(`kernel-choices:${key}`, choices),
};

/** The cache for this environment; null where it is turned off (Node: WEBGPU_TRAINER_CACHE_DIR=off). */
export async function defaultKernelCache(): Promise<KernelCache | null> {
  if (inBrowser()) return typeof indexedDB === 'undefined' ? null : idbCache;
  const { nodeKernelCache } = await import('#node-gpu');
  return nodeKernelCache();
}

/** The key of one adapter's choices for one kernel source: what the adapter reports, then the
 * source's fingerprint last. */
export const cacheKeyFor = (adapter: readonly string[], source: string): string => JSON.stringify([...adapter, fingerprint(source)]);

/** Whether `key` holds the choices of `current`'s adapter for another kernel source: entries the
 * edited kernels outdated, dropped when the current ones are saved. */
export function supersededBy(key: string, current: string): boolean {
  try {
    const [a, b]: unknown[] = [JSON.parse(key), JSON.parse(current)];
    return key !== current && Array.isArray(a) && Array.isArray(b) && a.length === b.length &&
      JSON.stringify(a.slice(0, -1)) === JSON.stringify(b.slice(0, -1));
  } catch {
    return false;
  }
}

/** The Node cache file's text as its entries by key; a corrupt file reads as empty (a cache that
 * loses its entries costs trials, never a failed run), and validChoices judges each entry. */
export function parseKernelCacheFile(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    // An array would take the saved entry as a property that JSON.stringify drops: nothing would ever be saved.
    // Nested too deeply, an entry would make the next save's JSON.stringify overflow the stack.
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) && !nestedTooDeeply(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The cache file's entries with `choices` saved under `key`, and the entries they supersede dropped. */
export function withChoices(all: Record<string, unknown>, key: string, choices: KernelChoices): Record<string, unknown> {
  for (const old of Object.keys(all)) if (supersededBy(old, key)) delete all[old];
  all[key] = choices;
  return all;
}

/** FNV-1a of a string, hex: a short, stable fingerprint of the kernels' source. */
export function fingerprint(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}
