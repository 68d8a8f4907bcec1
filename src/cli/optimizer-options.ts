// The optimizer and its schedule on the command line, for every command that trains steps
// (train, compare): torch.optim's names and defaults (src/model/optimizers.ts).
import type { Command } from 'commander';
import { ADAM_DEFAULTS, OPTIMIZERS } from '../model/optimizers.ts';
import { LR_SCHEDULES, MAX_AUGMENT_SHIFT, NOTEBOOK_RECIPE, optimizerDefaults, PRESET_RECIPES, type TrainConfig } from '../train/config.ts';
import { parseChoice, parseInteger, parseNumber } from './common.ts';

export interface RawOptimizerOptions {
  optimizer?: string;
  lr?: string;
  momentum: string;
  nesterov?: boolean;
  weightDecay?: string;
  beta1: string;
  beta2: string;
  eps: string;
  lrSchedule?: string;
  augmentShift?: string;
}

const R = NOTEBOOK_RECIPE;

/** Where a preset's recipe sets an option otherwise: "adamw with --model cnn". */
function presetValues(value: (c: TrainConfig) => unknown): string[] {
  return Object.entries(PRESET_RECIPES).filter(([, c]) => value(c) !== value(R)).map(([name, c]) => `${String(value(c))} with --model ${name}`);
}

/** An option's default in its help: the notebook's, then each preset's where it differs. */
export function recipeDefault(value: (c: TrainConfig) => unknown): string {
  return `default: ${[String(value(R)), ...presetValues(value)].join('; ')}`;
}

export function addOptimizerOptions(program: Command): Command {
  return program
    .option('--optimizer <kind>', `${OPTIMIZERS.join(' | ')} (torch.optim's SGD, Adam, AdamW; ${recipeDefault((c) => c.optimizer)})`)
    .option('--lr <x>', `learning rate, > 0 (default: ${[`${R.lr} for sgd, ${ADAM_DEFAULTS.lr} for adam and adamw, as PyTorch`, ...presetValues((c) => c.lr)].join('; ')})`)
    .option('--momentum <x>', 'SGD momentum, in [0, 1) (sgd only)', String(R.momentum))
    .option('--nesterov', 'Nesterov momentum (sgd only; needs --momentum > 0)')
    .option('--weight-decay <x>', 'weight decay, >= 0: L2 in the gradient for sgd and adam, decoupled for adamw ' +
      `(default: ${[R.weightDecay, `${ADAM_DEFAULTS.adamwWeightDecay} for adamw, as PyTorch`, ...presetValues((c) => c.weightDecay)].join('; ')})`)
    .option('--beta1 <x>', 'adam/adamw: decay of the gradient average, in [0, 1)', String(R.beta1))
    .option('--beta2 <x>', 'adam/adamw: decay of the squared-gradient average, in [0, 1)', String(R.beta2))
    .option('--eps <x>', 'adam/adamw: added to the denominator, > 0', String(R.eps))
    .option('--lr-schedule <s>', `${LR_SCHEDULES.join(' | ')} (per epoch; step: lr/10 after 1/2 and 3/4 of the epochs; ${recipeDefault((c) => c.lrSchedule)})`)
    .option('--augment-shift <n>', `augmentation: shift each training image by up to n pixels (0 to ${MAX_AUGMENT_SHIFT}; 0: none; ${recipeDefault((c) => c.augmentShift)})`);
}

/** The options' part of a configuration. What is not given comes from `recipe` (the --model
 * preset's); lr and weight decay from the optimizer's own defaults where another is named. */
export function optimizerFrom(o: RawOptimizerOptions, recipe: TrainConfig): Pick<TrainConfig, 'optimizer' | 'lr' | 'momentum' | 'nesterov' | 'weightDecay' | 'beta1' | 'beta2' |
  'eps' | 'lrSchedule' | 'augmentShift'> {
  const optimizer = o.optimizer === undefined ? recipe.optimizer : parseChoice('--optimizer', o.optimizer, OPTIMIZERS);
  const defaults = optimizer === recipe.optimizer ? recipe : optimizerDefaults(optimizer);
  return {
    optimizer,
    lr: o.lr === undefined ? defaults.lr : parseNumber('--lr', o.lr, 0, false),
    momentum: parseNumber('--momentum', o.momentum, 0, true, 1, false),
    nesterov: !!o.nesterov,
    weightDecay: o.weightDecay === undefined ? defaults.weightDecay : parseNumber('--weight-decay', o.weightDecay, 0, true),
    beta1: parseNumber('--beta1', o.beta1, 0, true, 1, false),
    beta2: parseNumber('--beta2', o.beta2, 0, true, 1, false),
    eps: parseNumber('--eps', o.eps, 0, false),
    lrSchedule: o.lrSchedule === undefined ? recipe.lrSchedule : parseChoice('--lr-schedule', o.lrSchedule, LR_SCHEDULES),
    augmentShift: o.augmentShift === undefined ? recipe.augmentShift : parseInteger('--augment-shift', o.augmentShift, 0, MAX_AUGMENT_SHIFT),
  };
}
