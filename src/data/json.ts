// JSON read from a user's file: its nesting is bounded before any code walks or prints it.
// JSON.parse takes any depth, but JSON.stringify, Array.prototype.join and every recursive check
// overflow the stack on a value nested some thousands deep (a 20 KB file), which would surface
// as a RangeError instead of the reader's own error.

/** Deeper than any file this project writes or reads (results.json nests 5 levels). */
export const MAX_JSON_DEPTH = 32;

/** Whether `value` nests arrays and objects more than MAX_JSON_DEPTH deep; walked without recursion. */
export function nestedTooDeeply(value: unknown): boolean {
  const todo: [unknown, number][] = [[value, 0]];
  while (todo.length) {
    const [v, depth] = todo.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH) return true;
    for (const child of Object.values(v)) todo.push([child, depth + 1]);
  }
  return false;
}
