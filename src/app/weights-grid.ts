// The first weighted layer seen as images. For a dense first layer (fc1), neuron n's input weights,
// one per pixel (784 for MNIST), are a picture of the pattern it responds to; for a convolution
// (conv1), each filter's k x k weights are the small pattern it slides over the image. Red is
// positive, blue negative, white zero; each tile is scaled by its own largest |w|, so the shapes
// show even while weights are small.
import type { Mlp } from '../reference/mlp.ts';
import { diverging, maxAbs, paintTiles } from './tiles.ts';

/** What the canvas shows, for the note under it; null: nothing (a first layer that is neither). */
export type FirstLayerView = { kind: 'dense'; name: string; count: number } | { kind: 'conv'; name: string; count: number; kernel: number } | null;

/** Draws the first `count` tiles of the first layer with weights, for images of `image.rows` x
 * `image.cols` pixels, into the canvas (which it sizes), 8 tiles per row. A filter over several
 * input channels shows its first channel's weights. */
export function drawFirstLayer(canvas: HTMLCanvasElement, mlp: Mlp, image: { rows: number; cols: number }, count = 64): FirstLayerView {
  const first = mlp.layers.find((l) => l.params.length);
  if (!first) return null;
  const weight = first.params[0];
  const tiles = (side: { rows: number; cols: number }, stride: number): void => {
    const n = Math.min(count, weight.shape[0]);
    const scales = Array.from({ length: n }, (_, k) => maxAbs(weight.data.subarray(k * stride, k * stride + side.rows * side.cols)));
    paintTiles(canvas, n, side.rows, side.cols, (k, i) => diverging(scales[k] > 0 ? weight.data[k * stride + i] / scales[k] : 0));
  };
  if (weight.shape.length === 4) {
    // (out, in, k, k): PyTorch's nn.Conv2d layout.
    const [out, channels, kh, kw] = weight.shape;
    tiles({ rows: kh, cols: kw }, channels * kh * kw);
    return { kind: 'conv', name: first.name, count: Math.min(count, out), kernel: kh };
  }
  if (first.in !== image.rows * image.cols) return null;
  tiles(image, first.in);
  return { kind: 'dense', name: first.name, count: Math.min(count, first.out) };
}
