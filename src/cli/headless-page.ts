// The page that `npm run train` (browser runtime) drives through Playwright: it runs the same
// session as Node, with MNIST fetched from /mnist/, and sends events back through functions the
// CLI exposes on window.
import { loadMnistFromUrl } from '../data/mnist.ts';
import { decodeSafetensors, encodeSafetensors } from '../train/safetensors.ts';
import { runSession } from '../train/session.ts';
import type { HeadlessRequest, HeadlessResult, HeadlessWindow } from './headless-protocol.ts';
import { base64ToBytes, bytesToBase64 } from './headless-protocol.ts';

const w = window as unknown as HeadlessWindow;

w.runHeadlessTraining = async (req: HeadlessRequest): Promise<HeadlessResult> => {
  const data = await loadMnistFromUrl(new URL('/mnist/', location.href).href);
  const sizes = [data.train.rows * data.train.cols, ...req.config.hidden, 10];
  const init = req.initBase64 ? decodeSafetensors(base64ToBytes(req.initBase64), sizes, 'init') : null;
  const { report, weights } = await runSession({
    config: req.config,
    device: 'gpu',
    data,
    init,
    matmul: req.matmul,
    onReady: (info) => void w.trainerEvent('ready', info),
    events: {
      onLog: (line) => void w.trainerEvent('log', line),
      onProgress: (p) => void w.trainerEvent('progress', p),
    },
  });
  return { report, weightsBase64: bytesToBase64(encodeSafetensors(weights)) };
};
w.headlessReady = true;
