// The error every option check throws, apart from the configuration itself so that modules which
// only check (the data loaders, the layer specs) do not load the model's GPU code with it.

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`${option} ${message}`);
  }
}

/** A count, a size or a width: what every such option and the library's shapes must be. */
export const isPositiveInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;

/** Refuses a key of `given` that is not one of `known` (a misspelt option would otherwise be
 * ignored silently and the run trained on the default), naming it and the nearest known key. */
export function refuseUnknownKeys(given: object, known: readonly string[], option: (key: string) => string): void {
  const key = Object.keys(given).find((k) => !known.includes(k));
  if (key === undefined) return;
  const nearest = known.reduce((best, k) => (editDistance(key, k) < editDistance(key, best) ? k : best));
  throw new ConfigError(option(key), `is not an option: did you mean ${nearest}? (valid: ${known.join(', ')})`);
}

/** Levenshtein distance, case-insensitive. */
function editDistance(a: string, b: string): number {
  [a, b] = [a.toLowerCase(), b.toLowerCase()];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}
