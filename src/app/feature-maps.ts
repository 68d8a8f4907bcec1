// What a CNN makes of the drawn digit: every image-shaped layer output (conv, pool) as its
// channels, small grayscale images side by side, from the page's CPU forward pass (predict.ts).
// Each layer is scaled by its own smallest and largest value, so black is the layer's least and
// white its most: after a ReLU, black is zero and a bright map is a filter that fired.
import { element } from './dom.ts';
import type { DigitReading } from './predict.ts';
import { paintTiles } from './tiles.ts';

/** Replaces the container's contents with one captioned canvas per image-shaped layer output; an
 * MLP, or no drawing, leaves it empty. Returns the number of layers drawn. */
export function drawFeatureMaps(container: HTMLElement, reading: DigitReading | null): number {
  const figures: HTMLElement[] = [];
  reading?.layers.forEach(({ layer }, l) => {
    const out = reading.forward.inputs[l + 1];
    if (layer.outShape.length !== 3 || !out) return;
    const [channels, rows, cols] = layer.outShape;
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of out) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const span = hi - lo;
    const canvas = element('canvas', undefined, 'maps');
    canvas.dataset.layer = layer.name;
    paintTiles(canvas, channels, rows, cols, (k, i) => {
      const g = span > 0 ? Math.round((255 * (out[k * rows * cols + i] - lo)) / span) : 0;
      return [g, g, g];
    });
    const figure = element('figure', undefined, 'maps');
    figure.append(element('figcaption', `${layer.name} (${layer.spec.type}): ${channels} maps of ${rows}x${cols}`), canvas);
    figures.push(figure);
  });
  container.replaceChildren(...figures);
  return figures.length;
}
