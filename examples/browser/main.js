// Trains a small network in the page with webgpu-mnist-trainer (WebGPU from navigator.gpu): 16x16
// images of one line, horizontal, vertical or either diagonal, in noise; then reads a few back.
// index.html says how to serve it.
import { createTrainer } from 'webgpu-mnist-trainer';

const SIDE = 16;
const KINDS = ['horizontal', 'vertical', 'diagonal \\', 'diagonal /'];
const log = (line) => (document.querySelector('#log').textContent += `\n${line}`);

/** `count` random images as a Dataset: u8 pixels, shape [count, 16, 16], and each one's kind. */
function lines(count) {
  const images = new Uint8Array(count * SIDE * SIDE);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const kind = Math.floor(Math.random() * KINDS.length);
    const at = Math.floor(Math.random() * SIDE);
    labels[i] = kind;
    for (let r = 0; r < SIDE; r++) {
      for (let c = 0; c < SIDE; c++) {
        const on = [r === at, c === at, r - c === at - SIDE / 2, r + c === at + SIDE / 2][kind];
        images[(i * SIDE + r) * SIDE + c] = on ? 255 : Math.random() * 80;
      }
    }
  }
  return { images, labels, shape: [count, SIDE, SIDE] };
}

try {
  const trainer = await createTrainer({ layers: [SIDE * SIDE, 32, KINDS.length], activation: 'relu', optimizer: { lr: 0.05, momentum: 0.9 } });
  log(`WebGPU adapter: ${trainer.adapter.vendor} ${trainer.adapter.architecture}`);
  await trainer.fit(lines(2000), {
    epochs: 3,
    validation: lines(500),
    onEpoch: (e) => log(`epoch ${e.epoch}: train loss ${e.trainLoss.toFixed(3)}, validation accuracy ${e.testAccuracy.toFixed(1)}%`),
  });
  const sample = lines(4);
  const { classes, probabilities } = await trainer.predict(sample.images);
  classes.forEach((c, i) => log(`a ${KINDS[sample.labels[i]]} line, read as ${KINDS[c]} (p = ${probabilities[i * KINDS.length + c].toFixed(3)})`));
  trainer.dispose();
  log('done');
} catch (e) {
  log(`error: ${e.name}: ${e.message}`);
}
