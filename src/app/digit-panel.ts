// Draw a digit and watch the current model read it: the drawing, the 28x28 image the model
// actually sees, its ten class probabilities and, for a CNN, its layers' feature maps, recomputed
// on every stroke and every new set of weights (so they move while training runs).
import type { Mlp } from '../reference/mlp.ts';
import type { NetworkSpec } from '../model/spec.ts';
import { mnistLike, MNIST_SIDE } from './digit-preprocess.ts';
import { element } from './dom.ts';
import { DrawPad } from './draw-pad.ts';
import { drawFeatureMaps } from './feature-maps.ts';
import { readDigit } from './predict.ts';

export interface DigitPanelElements {
  pad: HTMLCanvasElement;
  preview: HTMLCanvasElement;
  bars: HTMLElement;
  verdict: HTMLElement;
  clear: HTMLButtonElement;
  /** The feature maps' section, shown while the model has image-shaped layers, and their place in it. */
  mapsPanel: HTMLElement;
  maps: HTMLElement;
}

export class DigitPanel {
  private image: Float32Array | null = null;
  private model: { mlp: Mlp; spec: NetworkSpec } | null = null;
  private readonly fills: HTMLElement[] = [];
  private readonly percents: HTMLElement[] = [];
  private readonly rows: HTMLElement[] = [];

  constructor(private readonly els: DigitPanelElements) {
    for (let d = 0; d < 10; d++) {
      const row = element('div', undefined, 'bar-row');
      row.dataset.digit = String(d);
      const track = element('div', undefined, 'bar');
      const fill = element('div', undefined, 'fill');
      track.append(fill);
      const pct = element('span', '', 'pct');
      row.append(element('span', String(d), 'digit'), track, pct);
      els.bars.append(row);
      this.rows.push(row);
      this.fills.push(fill);
      this.percents.push(pct);
    }
    const pad = new DrawPad(els.pad, (gray) => {
      this.image = gray && mnistLike(gray, els.pad.width, els.pad.height);
      this.drawPreview();
      this.predict();
    });
    els.clear.addEventListener('click', () => pad.clear());
  }

  setModel(model: { mlp: Mlp; spec: NetworkSpec } | null): void {
    this.model = model;
    this.predict();
  }

  private predict(): void {
    const { verdict } = this.els;
    const reading = this.image && this.model ? readDigit(this.model.mlp, this.image, this.model.spec) : null;
    const convolutional = this.model?.spec.model.some((s) => s.type === 'conv2d') ?? false;
    this.els.mapsPanel.hidden = !convolutional;
    drawFeatureMaps(this.els.maps, convolutional ? reading : null);
    const probs = reading?.probs ?? null;
    let best = -1;
    for (let d = 0; d < 10; d++) {
      const p = probs ? probs[d] : 0;
      if (probs && (best < 0 || p > probs[best])) best = d;
      this.fills[d].style.width = `${(p * 100).toFixed(1)}%`;
      this.percents[d].textContent = probs ? `${(p * 100).toFixed(1)}%` : '';
    }
    this.rows.forEach((r, d) => r.classList.toggle('best', d === best));
    if (!probs) {
      verdict.textContent = this.model ? 'Draw a digit in the box' : 'No model yet: train one or load a file';
      delete verdict.dataset.class;
      return;
    }
    verdict.textContent = `It reads ${best} (${(probs[best] * 100).toFixed(1)}%)`;
    verdict.dataset.class = String(best);
  }

  private drawPreview(): void {
    const ctx = this.els.preview.getContext('2d');
    if (!ctx) return;
    const img = ctx.createImageData(MNIST_SIDE, MNIST_SIDE);
    for (let i = 0; i < MNIST_SIDE * MNIST_SIDE; i++) {
      const v = Math.round((this.image?.[i] ?? 0) * 255);
      img.data.set([v, v, v, 255], i * 4);
    }
    ctx.putImageData(img, 0, 0);
  }
}
