// Arbitraries for the parsers' fuzzing: arbitrary inputs, and mutations of a valid one at three
// levels: bytes (bit flips, truncation, insertion, deletion, header fields set to extreme
// integers), text (tokens of the format inserted, lines repeated) and JSON trees (a node replaced
// by an extreme or arbitrary value, deleted, or given keys such as "__proto__" and "toString").
import fc from 'fast-check';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Integers that break size arithmetic: zero, the edges of u8/u32/i32, sizes past 2^40 and 2^53. */
const EXTREME_INTS = [0, 1, 0x7f, 0x80, 0xff, 0x7fffffff, 0x80000000, 0xffffffff];
const EXTREME_U64 = [0n, 1n, 2n ** 31n, 2n ** 32n, 2n ** 40n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n];

type ByteOp =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'u32be' | 'u32le'; at: number; value: number }
  | { kind: 'u64le'; at: number; value: bigint }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'repeat'; at: number; length: number; times: number };

const at = fc.nat();
const byteOp: fc.Arbitrary<ByteOp> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at, bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('set' as const), at, value: fc.oneof(fc.constantFrom(0, 0x7f, 0x80, 0xff), fc.nat(255)) }),
  fc.record({ kind: fc.constantFrom('u32be' as const, 'u32le' as const), at, value: fc.oneof(fc.constantFrom(...EXTREME_INTS), fc.nat()) }),
  fc.record({ kind: fc.constant('u64le' as const), at, value: fc.constantFrom(...EXTREME_U64) }),
  fc.record({ kind: fc.constant('truncate' as const), at }),
  fc.record({ kind: fc.constant('insert' as const), at, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('delete' as const), at, length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('repeat' as const), at, length: fc.integer({ min: 1, max: 32 }), times: fc.integer({ min: 2, max: 64 }) }),
);

function applyByteOp(input: Uint8Array, op: ByteOp): Uint8Array {
  const n = input.length;
  const i = n === 0 ? 0 : op.at % n;
  const out = input.slice();
  const view = new DataView(out.buffer);
  switch (op.kind) {
    case 'flip':
      if (n) out[i] ^= 1 << op.bit;
      return out;
    case 'set':
      if (n) out[i] = op.value;
      return out;
    case 'u32be':
    case 'u32le':
      if (i + 4 <= n) view.setUint32(i, op.value, op.kind === 'u32le');
      return out;
    case 'u64le':
      if (i + 8 <= n) view.setBigUint64(i, op.value, true);
      return out;
    case 'truncate':
      return out.subarray(0, i);
    case 'insert':
      return concat(out.subarray(0, i), op.bytes, out.subarray(i));
    case 'delete':
      return concat(out.subarray(0, i), out.subarray(i + op.length));
    case 'repeat': {
      const piece = out.subarray(i, i + op.length);
      return concat(out.subarray(0, i), ...Array<Uint8Array>(op.times).fill(piece), out.subarray(i));
    }
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** 1 to 4 byte-level mutations of one of `valid`. */
export const mutatedBytes = (...valid: Uint8Array[]): fc.Arbitrary<Uint8Array> =>
  fc.tuple(fc.constantFrom(...valid), fc.array(byteOp, { minLength: 1, maxLength: 4 })).map(([v, ops]) => ops.reduce(applyByteOp, v));

/** Any bytes, short or empty. */
export const anyBytes = fc.uint8Array({ maxLength: 512 });

type TextOp =
  | { kind: 'insert'; at: number; token: string }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'repeat'; at: number; length: number; times: number };

/** 1 to 4 text-level mutations of one of `valid`, inserting the format's own tokens (its
 * delimiters, keywords, extreme numbers) as well as arbitrary text. */
export function mutatedText(valid: string[], tokens: string[]): fc.Arbitrary<string> {
  const op: fc.Arbitrary<TextOp> = fc.oneof(
    fc.record({ kind: fc.constant('insert' as const), at, token: fc.oneof(fc.constantFrom(...tokens), fc.string({ unit: 'binary', maxLength: 8 })) }),
    fc.record({ kind: fc.constant('delete' as const), at, length: fc.integer({ min: 1, max: 16 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at }),
    fc.record({ kind: fc.constant('repeat' as const), at, length: fc.integer({ min: 1, max: 64 }), times: fc.integer({ min: 2, max: 64 }) }),
  );
  const apply = (s: string, o: TextOp): string => {
    const i = s.length === 0 ? 0 : o.at % s.length;
    switch (o.kind) {
      case 'insert':
        return s.slice(0, i) + o.token + s.slice(i);
      case 'delete':
        return s.slice(0, i) + s.slice(i + o.length);
      case 'truncate':
        return s.slice(0, i);
      case 'repeat':
        return s.slice(0, i) + s.slice(i, i + o.length).repeat(o.times) + s.slice(i);
    }
  };
  return fc.tuple(fc.constantFrom(...valid), fc.array(op, { minLength: 1, maxLength: 4 })).map(([v, ops]) => ops.reduce(apply, v));
}

/** Any text, of any code units (lone surrogates and NULs included). */
export const anyText = fc.string({ unit: 'binary', maxLength: 512 });

/** Own keys (as JSON.parse makes them) that trip code reading objects: a prototype's names, and a
 * toString or valueOf that is not a function breaks any template literal showing the object. */
const TRICKY_KEYS = ['__proto__', 'toString', 'valueOf', 'constructor', 'length', ''];

/** Stands for an array nested 10,000 deep (20 KB of text) until jsonText writes it: a recursive
 * walk or print of it overflows the stack, and the mutations could not carry it as a value. */
const DEEP = '\u0000deep';
const DEEP_TEXT = '['.repeat(10_000) + ']'.repeat(10_000);

/** A mutated value as JSON text. */
export const jsonText = (value: Json): string => JSON.stringify(value).replaceAll(JSON.stringify(DEEP), DEEP_TEXT);

/** Values that break checks written for the valid ones. */
const EXTREME_VALUES: Json[] = [DEEP, 
  -1, 0, -0.5, 0.5, 2 ** 31, 2 ** 32, 2 ** 40, 2 ** 53, 2 ** 53 + 2, 1e308, -1e308, 5e-324, '', 'x', '-1', '1e999', null, true, false,
  [], {}, [[[[[[[[]]]]]]]], [2 ** 40, 2 ** 40], [-1], [0.5], ...TRICKY_KEYS.map((k) => JSON.parse(`{${JSON.stringify(k)}: 1}`) as Json),
];

const jsonValue: fc.Arbitrary<Json> = fc.oneof(fc.constantFrom(...EXTREME_VALUES), fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>);

type TreeOp =
  | { kind: 'replace'; path: number[]; value: Json }
  | { kind: 'delete'; path: number[] }
  | { kind: 'add'; path: number[]; key: string; value: Json }
  | { kind: 'wrap'; path: number[] }
  | { kind: 'stringify'; path: number[] };

const path = fc.array(fc.nat(), { maxLength: 6 });
const treeOp: fc.Arbitrary<TreeOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('replace' as const), path, value: jsonValue }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), path }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('add' as const), path, key: fc.oneof(fc.constantFrom(...TRICKY_KEYS), fc.string({ maxLength: 6 })), value: jsonValue }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wrap' as const), path }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stringify' as const), path }) },
);

const children = (v: Json): [string | number, Json][] =>
  Array.isArray(v) ? v.map((x, i) => [i, x]) : v !== null && typeof v === 'object' ? Object.entries(v) : [];

/** An own property even for "__proto__", as JSON.parse makes it (an assignment would set the prototype). */
const setOwn = (target: object, key: string | number, value: Json) =>
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });

/** `op` applied to a copy of `root`: the path's numbers pick a child at each level (modulo the
 * count) until they run out or reach a leaf. */
function applyTreeOp(root: Json, op: TreeOp): Json {
  const copy = JSON.parse(JSON.stringify(root)) as Json;
  let parent: Json = null;
  let key: string | number = '';
  let node = copy;
  for (const choice of op.path) {
    const kids = children(node);
    if (kids.length === 0) break;
    parent = node;
    [key, node] = kids[choice % kids.length];
  }
  const put = (value: Json | undefined): Json => {
    if (parent === null) return value ?? null;
    if (value !== undefined) setOwn(parent as object, key, value);
    else if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete (parent as Record<string, Json>)[key];
    return copy;
  };
  switch (op.kind) {
    case 'replace':
      return put(op.value);
    case 'delete':
      return put(undefined);
    case 'wrap':
      return put([node]);
    case 'stringify':
      return put(JSON.stringify(node));
    case 'add':
      if (Array.isArray(node)) node.push(op.value);
      else if (node !== null && typeof node === 'object') setOwn(node, op.key, op.value);
      return copy;
  }
}

/** 1 to 4 structural mutations of one of `valid`. */
export const mutatedJson = (...valid: Json[]): fc.Arbitrary<Json> =>
  fc.tuple(fc.constantFrom(...valid), fc.array(treeOp, { minLength: 1, maxLength: 4 })).map(([v, ops]) => ops.reduce(applyTreeOp, v));

/** JSON text's own tokens, for text-level mutation of a JSON file. */
export const JSON_TOKENS = ['{', '}', '[', ']', ',', ':', '"', '\\', 'null', 'true', '-', '1e999', '-1e999', '1e-999', '9007199254740993', '"__proto__":1,'];
