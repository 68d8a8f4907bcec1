// `npm run export -- --onnx model.onnx FILE.safetensors`: a saved model (a `--save` weights file,
// a `--checkpoint`, the dashboard's download, a PyTorch state_dict in safetensors) as an ONNX
// model that ONNX Runtime runs (src/export/onnx.ts; docs/onnx.md).
import { Command } from 'commander';
import { exportOnnx, ONNX_INPUT, ONNX_LOGITS, ONNX_OPSET, ONNX_SCORES } from '../export/onnx.ts';
import { readSavedModel } from '../export/saved-model.ts';
import { LOSSES } from '../model/losses.ts';
import { describeNetwork, formatModel, parseModel } from '../model/spec.ts';
import { writeFileAtomic } from '../node/files.ts';
import { notebookSpec, resolveWeights } from '../reference/mlp.ts';
import { SafetensorsError, safetensorsSizes } from '../train/safetensors.ts';
import { configureProgram, fail, parseChoice, runCommand, runIfMain, usage, type CliIo } from './common.ts';
import { checkOutputFile, readInput } from './paths.ts';

function buildProgram(io: CliIo): Command {
  return configureProgram(new Command('export'), io)
    .description('Write a saved model (weights from train --save, a --checkpoint, the dashboard\'s download) as an ONNX model (opset ' +
      `${ONNX_OPSET}) that ONNX Runtime runs: input "${ONNX_INPUT}", outputs "${ONNX_LOGITS}" and "${ONNX_SCORES.nll}" (loss nll) or "${ONNX_SCORES.squared}" (loss squared).`)
    .argument('<file>', 'the saved model (.safetensors)')
    .requiredOption('--onnx <file>', 'the ONNX model to write (.onnx)')
    .option('--model <spec>', 'for a file whose metadata names no model (a PyTorch state_dict): its hidden layers as train --model takes them (default: the notebook\'s sigmoid layers)')
    .option('--loss <kind>', `with --model: ${LOSSES.join(' | ')} (default: nll)`);
}

interface RawOptions {
  onnx: string;
  model?: string;
  loss?: string;
}

async function run(program: Command, argv: string[], io: CliIo): Promise<number> {
  program.parse(argv, { from: 'user' });
  const o = program.opts<RawOptions>();
  const [input] = program.args;
  if (!input.endsWith('.safetensors')) fail(`${JSON.stringify(input)} is not a .safetensors file: give the weights (train --save) or a checkpoint (train --checkpoint)`);
  if (!o.onnx.endsWith('.onnx')) fail(`--onnx ${JSON.stringify(o.onnx)}: name the output file *.onnx`);
  if (o.loss !== undefined && o.model === undefined) fail('--loss is given with --model: both describe a file that names no model');
  await checkOutputFile('--onnx', o.onnx);
  const bytes = await readInput('the saved model', input);
  const given = o.model === undefined ? null : usage(() => ({ model: parseModel(o.model!), loss: parseChoice('--loss', o.loss ?? 'nll', LOSSES) }));
  let saved;
  try {
    saved = readSavedModel(bytes, input, given ?? notebookSpec(safetensorsSizes(bytes, input)));
  } catch (e) {
    if (e instanceof SafetensorsError) fail(e.message);
    throw e;
  }
  if (given && saved.specFrom === 'file') fail(`--model: ${input} names its own model (${formatModel(saved.spec.model)}, loss ${saved.spec.loss}); --model is for files that name none`);
  if (saved.specFrom === 'fallback' && !given) io.out(`${input} names no model: exported as the notebook's (${formatModel(saved.spec.model)}, loss nll); give --model if it is another`);
  const onnx = exportOnnx(saved.weights, saved.spec, { classNames: saved.classNames });
  await writeFileAtomic(o.onnx, onnx, '--onnx');
  const classes = saved.weights.sizes[saved.weights.sizes.length - 1];
  const shape = (perSample: readonly number[]) => `[N, ${perSample.join(', ')}]`;
  io.out(`wrote ${o.onnx} (${(onnx.length / 1024).toFixed(1)} KiB): ${describeNetwork(resolveWeights(saved.weights, saved.spec))}, ONNX opset ${ONNX_OPSET}; ` +
    `input "${ONNX_INPUT}" ${shape(saved.weights.inputShape)} float32, outputs "${ONNX_LOGITS}" and "${ONNX_SCORES[saved.spec.loss]}" ${shape([classes])}`);
  if (saved.classNames) io.out(`class names in its metadata (class_names): ${saved.classNames.join(', ')}`);
  return 0;
}

export function runExportCli(argv: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  return runCommand(program, io, () => run(program, argv, io));
}

await runIfMain(import.meta.url, runExportCli);
