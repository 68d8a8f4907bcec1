// WGSL made small for a bundle that runs only some entry points of a shader file (the inference
// entry: conv2d_forward, maxpool2d_forward): the other entry points go, with the functions of the
// file that only they call, and every comment and needless blank. Only a file's own functions are
// dropped; one named in another shader file (a hook its library calls, such as lossValue) stays.

/** The text without comments, its whitespace collapsed: a blank stays only between two word
 * characters or two operator characters (where removing it would join tokens: `- -`, `> >`). */
export function minifyWgsl(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/[^\n]*/g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/(?<=(.)) (?=(.))/g, (blank, a: string, b: string) => ((/\w/.test(a) && /\w/.test(b)) || (OPERATOR.test(a) && OPERATOR.test(b)) ? blank : ''))
    .trim();
}

const OPERATOR = /[-+*/%&|^<>=!]/;

interface FnSpan {
  name: string;
  start: number;
  end: number;
  entry: boolean;
}

/** The file's top-level functions, each from its attributes to its closing brace. */
function functions(source: string): FnSpan[] {
  const spans: FnSpan[] = [];
  const head = /((?:@\w+(?:\([^)]*\))?\s*)*)\bfn\s+(\w+)\s*\(/g;
  for (let m = head.exec(source); m; m = head.exec(source)) {
    let depth = 0;
    let i = source.indexOf('{', m.index + m[0].length);
    for (; i < source.length; i++) {
      if (source[i] === '{') depth++;
      else if (source[i] === '}' && --depth === 0) break;
    }
    spans.push({ name: m[2], start: m.index, end: i + 1, entry: /@compute\b/.test(m[1]) });
    head.lastIndex = i + 1;
  }
  return spans;
}

/** `source` (comments stripped) with only the entry points `keep` and what they reach; `others`
 * is the text of the other shader files, whose references keep a function. */
export function keepEntryPoints(source: string, keep: readonly string[], others: string): string {
  const text = minifyWgsl(source);
  const fns = functions(text);
  const missing = keep.filter((k) => !fns.some((f) => f.entry && f.name === k));
  if (missing.length) throw new Error(`keepEntryPoints: no entry point ${missing.join(', ')} in this shader`);
  const used = new Set([...keep, ...fns.filter((f) => !f.entry && new RegExp(`\\b${f.name}\\b`).test(others)).map((f) => f.name)]);
  for (let grew = true; grew;) {
    grew = false;
    for (const f of fns) {
      if (!used.has(f.name)) continue;
      for (const g of fns) {
        if (!used.has(g.name) && !g.entry && new RegExp(`\\b${g.name}\\b`).test(text.slice(f.start, f.end))) {
          used.add(g.name);
          grew = true;
        }
      }
    }
  }
  let out = '';
  let at = 0;
  for (const f of fns) {
    if (used.has(f.name)) continue;
    out += text.slice(at, f.start);
    at = f.end;
  }
  return minifyWgsl(out + text.slice(at));
}
