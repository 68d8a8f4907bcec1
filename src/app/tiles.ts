// Small images side by side on one canvas, one canvas pixel per value (CSS scales the canvas up,
// pixelated): fc1's neurons, conv1's filters, a layer's feature maps.

const COLUMNS = 8;
const GAP = 1;

export type Rgb = readonly [number, number, number];

/** Sizes the canvas for `count` tiles of rows x cols, 8 to a row with a white gap, and paints
 * tile k's pixel i (row-major) with color(k, i). */
export function paintTiles(canvas: HTMLCanvasElement, count: number, rows: number, cols: number, color: (k: number, i: number) => Rgb): void {
  const columns = Math.min(COLUMNS, count);
  canvas.width = columns * (cols + GAP) - GAP;
  canvas.height = Math.ceil(count / columns) * (rows + GAP) - GAP;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(canvas.width, canvas.height);
  img.data.fill(255);
  for (let k = 0; k < count; k++) {
    const ox = (k % columns) * (cols + GAP);
    const oy = Math.floor(k / columns) * (rows + GAP);
    for (let i = 0; i < rows * cols; i++) img.data.set(color(k, i), ((oy + Math.floor(i / cols)) * canvas.width + ox + (i % cols)) * 4);
  }
  ctx.putImageData(img, 0, 0);
}

/** Red for positive, blue for negative, white for zero; t in [-1, 1]. */
export function diverging(t: number): Rgb {
  const fade = Math.round(255 * (1 - Math.min(1, Math.abs(t))));
  return t >= 0 ? [255, fade, fade] : [fade, fade, 255];
}

/** Largest |v| of a slice, for scaling a tile into [-1, 1]. */
export function maxAbs(v: Float32Array): number {
  let m = 0;
  for (const x of v) m = Math.max(m, Math.abs(x));
  return m;
}

export function clearCanvas(canvas: HTMLCanvasElement): void {
  canvas.getContext('2d')?.clearRect(0, 0, canvas.width, canvas.height);
}
