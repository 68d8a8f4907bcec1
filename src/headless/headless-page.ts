// The page that `npm run train` and `npm run sweep` (browser runtime) drive through Playwright:
// it runs the same session as Node, with MNIST fetched from /mnist/, and sends events back
// through functions the CLI exposes on window. A sweep runs many sessions in one page: MNIST and
// the GPU context (its compiled pipelines) are kept between them.
import { loadMnistFromUrl, mlpSizesFor, type MnistData } from '../data/mnist.ts';
import { requestGpu, type GpuContext } from '../gpu/context.ts';
import { decodeSafetensors, encodeSafetensors } from '../train/safetensors.ts';
import { runSession } from '../train/session.ts';
import type { HeadlessRequest, HeadlessResult, HeadlessWindow } from './headless-protocol.ts';
import { base64ToBytes, bytesToBase64 } from './headless-protocol.ts';

const w = window as unknown as HeadlessWindow;

let data: Promise<MnistData> | null = null;
let ctx: Promise<GpuContext> | null = null;

w.runHeadlessTraining = async (req: HeadlessRequest): Promise<HeadlessResult> => {
  data ??= loadMnistFromUrl(new URL('/mnist/', location.href).href);
  ctx ??= requestGpu();
  const [mnist, gpu] = await Promise.all([data, ctx]);
  const sizes = mlpSizesFor(mnist, req.config.hidden);
  const init = req.initBase64 ? decodeSafetensors(base64ToBytes(req.initBase64), sizes, 'init') : null;
  const { report, weights } = await runSession({
    config: req.config,
    device: 'gpu',
    data: mnist,
    ctx: gpu,
    init,
    matmul: req.matmul,
    stopAfterEpochs: req.stopAfterEpochs,
    onReady: (info) => void w.trainerEvent('ready', info),
    events: {
      onLog: (line) => void w.trainerEvent('log', line),
      onProgress: (p) => void w.trainerEvent('progress', p),
      onEpoch: ({ predictions: _p, ...e }) => void w.trainerEvent('epoch', e),
    },
  });
  return { report, weightsBase64: bytesToBase64(encodeSafetensors(weights)) };
};
w.headlessReady = true;
