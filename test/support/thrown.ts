// For tests that look inside an error (its class, its fields), not only at its message.

/** The error `f` throws; an error of its own when `f` returns. */
export function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}
