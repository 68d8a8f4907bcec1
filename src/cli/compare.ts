// `npm run compare`: N training steps on the GPU (Dawn in Node) and on the CPU reference from the
// same seed and batches; prints both losses and every tensor's max |GPU - CPU| per step, and exits
// 1 when any step is past the tolerance.
import { addModelOptions, modelFrom, type RawModelOptions } from './model-options.ts';
import { addOptimizerOptions, optimizerFrom, type RawOptimizerOptions } from './optimizer-options.ts';
import { Command } from 'commander';
import { addDataOptions, loadDataOptions, type RawDataOptions } from './data-options.ts';
import { requestGpu, describeAdapter } from '../gpu/context.ts';
import { MATMUL_VARIANTS, type MatmulVariant } from '../gpu/kernels/matmul.ts';
import { compareGpuWithCpu, resyncByDefault } from '../train/compare.ts';
import { TOLERANCES } from '../reference/tolerance.ts';
import { ConfigError, NOTEBOOK_RECIPE, recipeFor } from '../train/config.ts';
import { writeFileAtomic } from '../node/files.ts';
import { configureProgram, fail, runIfMain, parseChoice, parseInteger, runCommand, usage, type CliIo } from './common.ts';
import { checkOutputFile } from './paths.ts';

function buildProgram(io: CliIo): Command {
  const R = NOTEBOOK_RECIPE;
  return addOptimizerOptions(addModelOptions(addDataOptions(configureProgram(new Command('compare'), io))))
    .description('Train N steps on the GPU and on the CPU reference from identical weights and batches, and compare.')
    .option('--steps <n>', 'steps to compare, integer >= 1', '50')
    .option('--batch <n>', 'batch size', String(R.batchSize))
    .option('--seed <n>', 'seed of weights and batches', String(R.seed))
    .option('--matmul <v>', `force a matmul variant: ${MATMUL_VARIANTS.join(' | ')}`)
    .option('--no-fuse', 'one kernel per operation (no fused backward + SGD), as the CPU reference is written')
    .option('--resync', "start each GPU step from the CPU's parameters and optimizer state, so each step's difference is its own (default for adam and adamw)")
    .option('--no-resync', 'one run on each side, differences carried along (default for sgd)')
    .option('--json <file>', 'write every step comparison as JSON');
}

interface RawOptions extends RawDataOptions, RawModelOptions, RawOptimizerOptions {
  steps: string;
  batch: string;
  seed: string;
  matmul?: string;
  fuse: boolean;
  resync?: boolean;
  json?: string;
}

async function run(program: Command, argv: string[], io: CliIo): Promise<number> {
  program.parse(argv, { from: 'user' });
  const o = program.opts<RawOptions>();
  const steps = parseInteger('--steps', o.steps, 1);
  const config = {
    batchSize: parseInteger('--batch', o.batch, 1),
    ...usage(() => optimizerFrom(o, recipeFor(o.model))),
    model: usage(() => modelFrom(o)),
    seed: parseInteger('--seed', o.seed, 0, 0xffffffff),
  };
  const matmul = o.matmul === undefined ? undefined : parseChoice<MatmulVariant>('--matmul', o.matmul, MATMUL_VARIANTS);
  if (o.json) await checkOutputFile('--json', o.json);
  const { data } = await loadDataOptions(o);
  if (steps * config.batchSize > data.train.count) {
    fail(`--steps ${steps} at --batch ${config.batchSize} needs ${steps * config.batchSize} training samples; there are ${data.train.count}`);
  }
  const ctx = await requestGpu();
  try {
    io.out(`adapter: ${describeAdapter(ctx.adapter)}`);
    io.out(`tolerance: loss rel ${TOLERANCES.trainingLoss.rtol}, parameters |gpu - cpu| <= ${TOLERANCES.trainingParams.atol}`);
    const resync = o.resync ?? resyncByDefault(config);
    io.out(resync ? "steps: each from the CPU's parameters and optimizer state (--no-resync: one run each, differences carried along)"
      : "steps: one run each, differences carried along (--resync: each step from the CPU's state)");
    const names = ['fc1.weight', 'fc1.bias'];
    let header = false;
    const results = await compareGpuWithCpu(ctx, { config, train: data.train, test: data.test, classNames: data.classNames, steps, matmul, fuse: o.fuse, resync }, (r) => {
      const tensors = Object.keys(r.maxAbs);
      if (!header) {
        names.splice(0, names.length, ...tensors);
        io.out(['step', 'gpu loss', 'cpu loss', 'rel diff', ...names].map((s) => s.padStart(11)).join(' '));
        header = true;
      }
      const cells = [String(r.step), r.gpuLoss.toFixed(6), r.cpuLoss.toFixed(6), r.lossRelDiff.toExponential(2),
        ...tensors.map((t) => r.maxAbs[t].toExponential(2))];
      io.out(cells.map((s) => s.padStart(11)).join(' ') + (r.ok ? '' : '  <- past tolerance'));
    }).catch((e) => {
      if (e instanceof ConfigError) fail(e.message);
      throw e;
    });
    const bad = results.filter((r) => !r.ok).length;
    const worst = Math.max(...results.flatMap((r) => Object.values(r.maxAbs)));
    const worstLoss = Math.max(...results.map((r) => r.lossRelDiff));
    io.out(`${bad === 0 ? 'OK' : 'FAILED'}: ${results.length} steps, max loss rel diff ${worstLoss.toExponential(2)}, ` +
      `max parameter |gpu - cpu| ${worst.toExponential(2)}${bad ? `, ${bad} steps past tolerance` : ''}`);
    if (o.json) {
      await writeFileAtomic(o.json, `${JSON.stringify({ adapter: ctx.adapter, config, resync, tolerance: { loss: TOLERANCES.trainingLoss, params: TOLERANCES.trainingParams }, steps: results }, null, 1)}\n`, '--json');
      io.out(`wrote ${o.json}`);
    }
    return bad === 0 ? 0 : 1;
  } finally {
    ctx.destroy();
  }
}

export function runCompareCli(argv: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  return runCommand(program, io, () => run(program, argv, io));
}

await runIfMain(import.meta.url, runCompareCli);
