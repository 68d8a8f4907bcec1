// The first layer's weights seen as images: neuron n's input weights, one per pixel (784 for
// MNIST), are a picture of the pattern it responds to. Red is positive, blue negative, white zero;
// each tile is scaled by its own largest |w|, so the shapes show even while weights are small.
import type { Mlp } from '../reference/mlp.ts';

const COLUMNS = 8;
const GAP = 1;

/** Draws the first `count` neurons of fc1, for images of `image.rows` x `image.cols` pixels, into
 * the canvas (which it sizes), 8 tiles per row. */
export function drawFirstLayer(canvas: HTMLCanvasElement, mlp: Mlp, image: { rows: number; cols: number }, count = 64): void {
  const fc1 = mlp.layers[0];
  if (fc1.in !== image.rows * image.cols) return;
  const n = Math.min(count, fc1.out);
  const rows = Math.ceil(n / COLUMNS);
  canvas.width = COLUMNS * (image.cols + GAP) - GAP;
  canvas.height = rows * (image.rows + GAP) - GAP;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(canvas.width, canvas.height);
  img.data.fill(255);
  for (let k = 0; k < n; k++) {
    const w = fc1.params[0].data.subarray(k * fc1.in, (k + 1) * fc1.in);
    let maxAbs = 0;
    for (const v of w) maxAbs = Math.max(maxAbs, Math.abs(v));
    const ox = (k % COLUMNS) * (image.cols + GAP);
    const oy = Math.floor(k / COLUMNS) * (image.rows + GAP);
    for (let i = 0; i < w.length; i++) {
      const t = maxAbs > 0 ? w[i] / maxAbs : 0;
      const fade = Math.round(255 * (1 - Math.abs(t)));
      const rgb = t >= 0 ? [255, fade, fade] : [fade, fade, 255];
      const p = ((oy + Math.floor(i / image.cols)) * canvas.width + ox + (i % image.cols)) * 4;
      img.data.set(rgb, p);
    }
  }
  ctx.putImageData(img, 0, 0);
}
