// A drawing turned into what the network was trained on, the way MNIST was made (LeCun et al.):
// the ink's bounding box is scaled to fit 20x20 keeping its aspect ratio (anti-aliased: each output
// pixel averages the source area it covers), then placed in a 28x28 field so that its centre of mass sits
// at the centre. Grey levels 0..255 become 0..1 as ToTensor() does.

export const MNIST_SIDE = 28;
const BOX = 20;

/** gray is (height, width) row-major, 0 = background, 255 = full ink. Returns 784 values in [0, 1],
 * or null when nothing is drawn. */
export function mnistLike(gray: ArrayLike<number>, width: number, height: number): Float32Array | null {
  if (gray.length !== width * height) throw new RangeError(`mnistLike: ${gray.length} pixels for ${width}x${height}`);
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (gray[y * width + x] > 0) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) return null;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const scale = BOX / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * scale));
  const th = Math.max(1, Math.round(bh * scale));
  const box = new Float32Array(tw * th);
  for (let ty = 0; ty < th; ty++) {
    for (let tx = 0; tx < tw; tx++) {
      box[ty * tw + tx] = areaMean(gray, width, x0 + (tx * bw) / tw, y0 + (ty * bh) / th, bw / tw, bh / th) / 255;
    }
  }
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const v = box[y * tw + x];
      mass += v;
      mx += v * x;
      my += v * y;
    }
  }
  // In pixel indices, MNIST digits have their centre of mass at (14, 14), rounded: this
  // reproduces the test set's own images exactly (test/unit/dashboard-math.test.ts).
  const centre = MNIST_SIDE / 2;
  const clamp = (v: number, max: number) => Math.min(Math.max(v, 0), max);
  const ox = clamp(Math.round(centre - mx / mass), MNIST_SIDE - tw);
  const oy = clamp(Math.round(centre - my / mass), MNIST_SIDE - th);
  const out = new Float32Array(MNIST_SIDE * MNIST_SIDE);
  for (let y = 0; y < th; y++) out.set(box.subarray(y * tw, (y + 1) * tw), (oy + y) * MNIST_SIDE + ox);
  return out;
}

/** Mean of gray over the rectangle [left, left + w) x [top, top + h), each source pixel weighted
 * by the part of it inside (the rectangle lies within the bounding box). */
function areaMean(gray: ArrayLike<number>, width: number, left: number, top: number, w: number, h: number): number {
  let sum = 0;
  // The bounds guard against rounding: (tx * bw) / tw + bw / tw may land a hair past the box.
  const height = gray.length / width;
  for (let y = Math.floor(top); y < Math.min(top + h, height); y++) {
    const wy = Math.min(y + 1, top + h) - Math.max(y, top);
    for (let x = Math.floor(left); x < Math.min(left + w, width); x++) {
      const wx = Math.min(x + 1, left + w) - Math.max(x, left);
      sum += wx * wy * gray[y * width + x];
    }
  }
  return sum / (w * h);
}
