// The options every command that trains the network shares (train, sweep): which data, which
// device and runtime, which matmul, and their parsing into checked values.
import type { Command } from 'commander';
import { addDataOptions, type RawDataOptions } from './data-options.ts';
import { MATMUL_VARIANTS, type MatmulVariant } from '../gpu/kernels/matmul.ts';
import type { Device } from '../train/session.ts';
import { parseChoice, parseInteger } from './common.ts';

export function addTrainerOptions(program: Command): Command {
  return addDataOptions(program)
    .option('--limit-train <n>', 'use only the first n training samples')
    .option('--limit-test <n>', 'use only the first n test samples')
    .option('--device <d>', 'gpu | cpu (cpu: the TypeScript reference)', 'gpu')
    .option('--runtime <r>', 'browser (headless Chrome/Chromium, CHROME_PATH to choose) | node (Dawn)', 'browser')
    .option('--matmul <v>', `force a matmul variant: ${MATMUL_VARIANTS.join(' | ')} (default: timed per adapter)`);
}

export interface RawTrainerOptions extends RawDataOptions {
  limitTrain?: string;
  limitTest?: string;
  device: string;
  runtime: string;
  matmul?: string;
}

export interface TrainerOptions {
  limitTrain: number | null;
  limitTest: number | null;
  device: Device;
  runtime: 'browser' | 'node';
  matmul: MatmulVariant | undefined;
}

export function parseTrainerOptions(o: RawTrainerOptions): TrainerOptions {
  return {
    limitTrain: o.limitTrain === undefined ? null : parseInteger('--limit-train', o.limitTrain, 1),
    limitTest: o.limitTest === undefined ? null : parseInteger('--limit-test', o.limitTest, 1),
    device: parseChoice<Device>('--device', o.device, ['gpu', 'cpu']),
    runtime: parseChoice('--runtime', o.runtime, ['browser', 'node'] as const),
    matmul: o.matmul === undefined ? undefined : parseChoice<MatmulVariant>('--matmul', o.matmul, MATMUL_VARIANTS),
  };
}
