// What crosses between the terminal and the headless page: plain JSON, with weights as base64
// safetensors (Playwright serialises large typed arrays element by element otherwise).
import type { MatmulVariant } from '../gpu/kernels/matmul.ts';
import type { TrainConfig } from '../train/config.ts';
import type { TrainReport } from '../train/session.ts';

export interface HeadlessRequest {
  config: TrainConfig;
  initBase64: string | null;
  matmul?: MatmulVariant;
  /** Train only the first N epochs of the schedule (sweeps). */
  stopAfterEpochs?: number;
}

export interface HeadlessResult {
  report: TrainReport;
  weightsBase64: string;
}

export type HeadlessEvent = 'ready' | 'log' | 'progress' | 'epoch';

export interface HeadlessWindow {
  runHeadlessTraining(req: HeadlessRequest): Promise<HeadlessResult>;
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
