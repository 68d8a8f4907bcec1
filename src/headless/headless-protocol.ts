// What crosses between the terminal and the headless page: plain JSON, with weights and
// checkpoints as base64 safetensors (Playwright serialises large typed arrays element by element
// otherwise).
import type { DataFormat } from '../data/sources.ts';
import type { MatmulVariant } from '../gpu/kernels/matmul.ts';
import type { TrainConfig } from '../train/config.ts';
import type { TrainReport } from '../train/session.ts';

export interface HeadlessRequest {
  config: TrainConfig;
  /** What the terminal calls the data the page fetches from the local server (its URL changes
   * with the port), for reports and checkpoints. */
  dataSource: string;
  /** How to read the files the server holds under /mnist/. */
  dataFormat: DataFormat;
  initBase64: string | null;
  /** A checkpoint to continue (its config then wins over `config`). */
  resumeBase64?: string | null;
  matmul?: MatmulVariant;
  /** Train only the first N epochs of the schedule (sweeps). */
  stopAfterEpochs?: number;
  /** Send a 'checkpoint' event (base64) after every epoch. */
  checkpoints?: boolean;
}

/** The run's report and its final state as a checkpoint; or the configuration the page refused
 * (a network too large for the adapter), which the terminal reports as a usage error. */
export type HeadlessResult = { report: TrainReport; stateBase64: string } | { configError: string };

export type HeadlessEvent = 'ready' | 'log' | 'progress' | 'epoch' | 'checkpoint';

export interface HeadlessWindow {
  runHeadlessTraining(req: HeadlessRequest): Promise<HeadlessResult>;
  /** Stops the running session at its next read-back (Ctrl-C in the terminal). */
  stopHeadlessTraining(): void;
  trainerEvent(kind: HeadlessEvent, payload: unknown): Promise<void>;
  headlessReady: boolean;
}

export function bytesToBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function base64ToBytes(b64: string): Uint8Array {
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}
