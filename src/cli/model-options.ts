// The model on the command line, for every command that builds one: `--model` (a spec or a
// preset, src/model/spec.ts), or the dense shorthand `--hidden` / `--activation`.
import type { Command } from 'commander';
import { HIDDEN_ACTIVATIONS } from '../model/activations.ts';
import { denseSpec, MODEL_PRESETS, parseModel, type LayerSpec } from '../model/spec.ts';
import { ConfigError, NOTEBOOK_RECIPE } from '../train/config.ts';
import { parseChoice, parseInteger } from './common.ts';

export interface RawModelOptions {
  model?: string;
  hidden?: string;
  activation?: string;
}

const notebookWidths = NOTEBOOK_RECIPE.model.map((l) => (l.type === 'dense' ? l.units : NaN));

export function addModelOptions(program: Command): Command {
  return program
    .option('--model <spec>', 'the hidden layers, comma-separated, each type:arg:... (dense:<units>:<activation>, ' +
      'conv2d:<channels>:k<kernel>[:s<stride>][:p<padding>]:<activation>, maxpool2d:<kernel>, flatten), or a preset: ' +
      `${Object.entries(MODEL_PRESETS).map(([name, spec]) => `${name} = ${spec}`).join('; ')} (default: mlp)`)
    .option('--hidden <list>', `shorthand for dense layers: their widths, comma-separated (default: ${notebookWidths.join(',')})`)
    .option('--activation <list>', `with --hidden: ${HIDDEN_ACTIVATIONS.join(' | ')}, or one per hidden layer, comma-separated (default: sigmoid)`);
}

/** --model, or the dense layers --hidden and --activation make (the notebook's where none is given). */
export function modelFrom(o: RawModelOptions): LayerSpec[] {
  if (o.model !== undefined) {
    const other = o.hidden !== undefined ? '--hidden' : o.activation !== undefined ? '--activation' : null;
    if (other) throw new ConfigError(other, 'cannot be given with --model, which names every layer: write the widths and activations there');
    return parseModel(o.model);
  }
  const hidden = o.hidden?.split(',').map((h) => parseInteger('--hidden', h.trim(), 1)) ?? notebookWidths;
  return denseSpec(hidden, o.activation?.split(',').map((a) => parseChoice('--activation', a.trim(), HIDDEN_ACTIVATIONS)) ?? ['sigmoid']);
}
