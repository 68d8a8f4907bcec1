// `import text from './x.wgsl?raw'` for esbuild, as Vite and src/node/raw-loader.mjs read it: the
// file's text. Shared by the device bundle and the library build, which inline the WGSL so their
// users need no loader.
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Plugin } from 'esbuild';
import { keepEntryPoints, minifyWgsl } from './wgsl-trim.ts';

export const rawTextPlugin: Plugin = {
  name: 'raw-text',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (args) => ({ path: resolve(args.resolveDir, args.path.slice(0, -'?raw'.length)), namespace: 'raw-text' }));
    b.onLoad({ filter: /.*/, namespace: 'raw-text' }, async (args) => ({ contents: await readFile(args.path, 'utf8'), loader: 'text' }));
  },
};

/** rawTextPlugin for a bundle that runs only some kernels: every WGSL file minified, and of the
 * files named in `entryPoints` (by base name) only those entry points and what they call. */
export function minifiedWgslPlugin(entryPoints: Readonly<Record<string, readonly string[]>>): Plugin {
  return {
    name: 'minified-wgsl',
    setup(b) {
      b.onResolve({ filter: /\.wgsl\?raw$/ }, (args) => ({ path: resolve(args.resolveDir, args.path.slice(0, -'?raw'.length)), namespace: 'minified-wgsl' }));
      b.onLoad({ filter: /.*/, namespace: 'minified-wgsl' }, async (args) => {
        const text = await readFile(args.path, 'utf8');
        const keep = entryPoints[basename(args.path)];
        if (!keep) return { contents: minifyWgsl(text), loader: 'text' };
        const dir = dirname(args.path);
        const others = await Promise.all((await readdir(dir)).filter((f) => f.endsWith('.wgsl') && f !== basename(args.path)).map((f) => readFile(join(dir, f), 'utf8')));
        return { contents: keepEntryPoints(text, keep, others.join('\n')), loader: 'text' };
      });
    },
  };
}
