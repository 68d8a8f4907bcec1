// The page that `npm run train` and `npm run sweep` (browser runtime) drive through Playwright:
// it runs the same session as Node, with the data fetched from /mnist/ and read by the same
// loaders, and sends events back through functions the CLI exposes on window. A sweep runs many
// sessions in one page: the data and the GPU context (its compiled pipelines) are kept between them.
import type { DataSet } from '../data/dataset.ts';
import { networkFor } from '../reference/mlp.ts';
import { loadDataFromUrl } from '../data/sources.ts';
import { requestGpu, type GpuContext } from '../gpu/context.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../train/checkpoint.ts';
import { ConfigError } from '../train/config.ts';
import { decodeSafetensors } from '../train/safetensors.ts';
import { runSession } from '../train/session.ts';
import type { HeadlessRequest, HeadlessResult, HeadlessWindow } from './headless-protocol.ts';
import { base64ToBytes, bytesToBase64 } from './headless-protocol.ts';

const w = window as unknown as HeadlessWindow;

let data: Promise<DataSet> | null = null;
let ctx: Promise<GpuContext> | null = null;
let stopRequested = false;

w.stopHeadlessTraining = () => void (stopRequested = true);

w.runHeadlessTraining = async (req: HeadlessRequest): Promise<HeadlessResult> => {
  data ??= loadDataFromUrl(new URL('/mnist/', location.href).href, req.dataFormat);
  ctx ??= requestGpu();
  const [mnist, gpu] = await Promise.all([data, ctx]);
  const init = req.initBase64 ? decodeSafetensors(base64ToBytes(req.initBase64), networkFor(mnist, req.config), 'init') : null;
  const resume = req.resumeBase64 ? decodeCheckpoint(base64ToBytes(req.resumeBase64), 'checkpoint') : null;
  stopRequested = false;
  try {
    const { report, state } = await runSession({
      config: req.config,
      device: 'gpu',
      data: { ...mnist, source: req.dataSource },
      ctx: gpu,
      init,
      resume,
      matmul: req.matmul,
      stopAfterEpochs: req.stopAfterEpochs,
      shouldStop: () => stopRequested,
      onReady: (info) => void w.trainerEvent('ready', info),
      // Awaited: the terminal has written the file before training goes on.
      onCheckpoint: req.checkpoints ? (s) => w.trainerEvent('checkpoint', bytesToBase64(encodeCheckpoint(s))) : undefined,
      events: {
        onLog: (line) => void w.trainerEvent('log', line),
        onProgress: (p) => void w.trainerEvent('progress', p),
        onEpoch: ({ predictions: _p, ...e }) => void w.trainerEvent('epoch', e),
      },
    });
    return { report, stateBase64: bytesToBase64(encodeCheckpoint(state)) };
  } catch (e) {
    if (e instanceof ConfigError) return { configError: e.message };
    throw e;
  }
};
w.headlessReady = true;
