// `npm run bench`: the headless benchmark. Validates every timed kernel against its CPU twin,
// then times it (warm-up excluded, medians of repeats), in headless Chromium through Playwright
// (default) or in Node through Dawn (--runtime node), and writes
// bench/results/<date>-<adapter>.json and a Markdown table beside it.
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { defaultBenchOptions, runBench } from '../bench/run.ts';
import { renderMarkdown } from '../bench/report.ts';
import { BENCH_GPU_OPTIONS, BENCH_SECTIONS, type BenchOptions, type BenchResult, type BenchSection } from '../bench/types.ts';
import { loadEmbeddedMnist } from '../data/mnist-node.ts';
import { requestGpu } from '../gpu/context.ts';
import { MATMUL_VARIANTS, type MatmulVariant } from '../gpu/kernels/matmul.ts';
import type { BenchWindow } from '../headless/bench-page.ts';
import { writeFileAtomic } from '../node/files.ts';
import { configureProgram, runIfMain, parseChoice, parseInteger, type CliIo } from './common.ts';
import { INTERRUPTED, runInterruptible, type Interrupt } from './interrupt.ts';
import { checkOutputDir } from './paths.ts';

function buildProgram(io: CliIo): Command {
  return configureProgram(new Command('bench'), io)
    .description('Validate, then time, the WebGPU kernels and training step against the CPU reference; writes bench/results/<date>-<adapter>.{json,md}.')
    .option('--runtime <r>', 'browser (headless Chrome/Chromium, CHROME_PATH to choose) | node (Dawn)', 'browser')
    .option('--quick', 'batch 32 only, 3 repeats, two toy widths: a few minutes')
    .option('--repeats <n>', 'timed repeats per figure (median reported), integer >= 1')
    .option('--batches <list>', 'batch sizes, comma-separated (default 32,128,512; --quick 32)')
    .option('--variants <list>', `matmul variants, comma-separated: ${MATMUL_VARIANTS.join(', ')} (default all)`)
    .option('--sections <list>', `sections, comma-separated: ${BENCH_SECTIONS.join(', ')} (default all but accuracy)`)
    .option('--time-to-accuracy', 'also train the MLP to 97.5% and the CNN to 99.0% MNIST test accuracy, evaluating after each epoch, ' +
      'and report the wall time and epochs (the accuracy section; hours on a CPU adapter)')
    .option('--readback-every <n>', 'steps per read-back of the timed trainer (default: 50 at batch 32, 1,600 samples per read-back otherwise)')
    .option('--toy-widths <list>', 'toy network widths n (n-n-2 networks; 2 is the notebook\'s), comma-separated')
    .option('--out <dir>', 'where the JSON and Markdown go', 'bench/results');
}

interface RawOptions {
  runtime: string;
  quick?: boolean;
  repeats?: string;
  batches?: string;
  variants?: string;
  sections?: string;
  toyWidths?: string;
  readbackEvery?: string;
  timeToAccuracy?: boolean;
  out: string;
}

const list = (raw: string): string[] => raw.split(',').map((s) => s.trim()).filter(Boolean);

export function benchOptionsFrom(o: RawOptions): BenchOptions {
  const opts = defaultBenchOptions(!!o.quick);
  if (o.repeats !== undefined) opts.repeats = parseInteger('--repeats', o.repeats, 1, 1000);
  if (o.batches !== undefined) opts.batches = list(o.batches).map((b) => parseInteger('--batches', b, 1, 60000));
  if (o.variants !== undefined) opts.variants = list(o.variants).map((v) => parseChoice<MatmulVariant>('--variants', v, MATMUL_VARIANTS));
  if (o.sections !== undefined) opts.sections = list(o.sections).map((s) => parseChoice<BenchSection>('--sections', s, BENCH_SECTIONS));
  if (o.readbackEvery !== undefined) opts.readbackEvery = parseInteger('--readback-every', o.readbackEvery, 1, 10000);
  if (o.toyWidths !== undefined) opts.toyWidths = list(o.toyWidths).map((w) => parseInteger('--toy-widths', w, 1, 4096));
  if (o.timeToAccuracy && !opts.sections.includes('accuracy')) opts.sections.push('accuracy');
  return opts;
}

/** `<date>-<vendor>-<architecture>-<runtime>[-quick]`, lower case, safe in any file system. */
export function resultSlug(r: BenchResult): string {
  const parts = [r.date.slice(0, 10), r.adapter.vendor || 'unknown', r.adapter.architecture || r.adapter.device || 'adapter',
    r.environment.runtime === 'browser' ? 'chromium' : 'dawn', ...(r.mode === 'quick' ? ['quick'] : []), ...(r.interrupted ? ['partial'] : [])];
  return parts.join('-').toLowerCase().replace(/[^a-z0-9.-]+/g, '_');
}

async function inNode(options: BenchOptions, io: CliIo, interrupt: Interrupt): Promise<BenchResult> {
  const require = createRequire(import.meta.url);
  const { version } = require('webgpu/package.json') as { version: string };
  const ctx = await requestGpu(BENCH_GPU_OPTIONS);
  try {
    return await runBench(ctx, options, { runtime: 'node', runtimeVersion: `Dawn (npm webgpu ${version})`, userAgent: ctx.adapter.userAgent ?? '' },
      (line) => io.out(line), () => interrupt.signal !== null, loadEmbeddedMnist);
  } finally {
    ctx.destroy();
  }
}

async function inBrowser(options: BenchOptions, io: CliIo, interrupt: Interrupt): Promise<BenchResult> {
  const benchEvent = (line: string) => io.out(line);
  const { withHeadlessPage } = await import('../headless/browser-runtime.ts');
  return withHeadlessPage({ pagePath: 'src/headless/bench.html', readyFlag: 'benchReady', expose: { benchEvent } }, async (page, browser) => {
    interrupt.onSignal(() => void page.evaluate(() => (window as unknown as BenchWindow).stopHeadlessBench()).catch(() => {}));
    const result = await page.evaluate((o) => (window as unknown as BenchWindow).runHeadlessBench(o), options);
    result.environment.runtimeVersion = `Chromium ${browser.version()}`;
    return result;
  });
}

async function run(program: Command, argv: string[], io: CliIo, interrupt: Interrupt): Promise<number> {
  program.parse(argv, { from: 'user' });
  const o = program.opts<RawOptions>();
  const runtime = parseChoice('--runtime', o.runtime, ['browser', 'node'] as const);
  const options = benchOptionsFrom(o);
  await checkOutputDir('--out', o.out);
  const host = { node: process.version, platform: `${process.platform} ${process.arch}`, cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown', loadAverage: loadavg() };
  io.out(`bench: ${options.quick ? 'quick' : 'full'} run in ${runtime === 'browser' ? 'headless Chromium' : 'Node (Dawn)'}, ` +
    `load average ${host.loadAverage.map((x) => x.toFixed(1)).join(' / ')} on ${host.cpus} CPUs`);
  const result = runtime === 'browser' ? await inBrowser(options, io, interrupt) : await inNode(options, io, interrupt);
  result.environment.host = host;
  if (host.loadAverage[0] > host.cpus * 0.5) {
    result.notes.push(`The machine was loaded (load average ${host.loadAverage[0].toFixed(1)} on ${host.cpus} CPUs at the start): ` +
      'absolute times are noisy; ratios measured within this run are the meaningful figures.');
  }
  await mkdir(o.out, { recursive: true });
  const base = join(o.out, resultSlug(result));
  const markdown = renderMarkdown(result);
  await writeFileAtomic(`${base}.json`, `${JSON.stringify(result, null, 1)}\n`, '--out');
  await writeFileAtomic(`${base}.md`, `${markdown}\n`, '--out');
  io.out(markdown);
  io.out(`wrote ${base}.json and ${base}.md`);
  if (result.interrupted) {
    io.out(`interrupted: partial results, marked as such; sections not run: ${result.interrupted.skippedSections.join(', ')}`);
    return INTERRUPTED;
  }
  if (!result.validation.passed) {
    io.err('error: some kernels did not match their CPU twins (see VALIDATION FAILED above); they were not timed');
    return 1;
  }
  return 0;
}

export function runBenchCli(argv: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  return runInterruptible(program, io, 'after the current section', (interrupt) => run(program, argv, io, interrupt));
}

await runIfMain(import.meta.url, runBenchCli);
