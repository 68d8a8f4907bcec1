// The toy network drawn as the notebook's picture of it: input, hidden and output nodes, every
// weight on its edge (blue positive, red negative, thicker when larger), each neuron's bias under
// it, and the live values of the row being stepped: σ(z) in the node, its delta beside it.
import type { ReadonlyToyNetwork } from '../reference/toy.ts';

export interface NetworkPicture {
  network: ReadonlyToyNetwork;
  /** The row's inputs, shown in the input nodes (null before the first row). */
  inputs: readonly number[] | null;
  /** Show each neuron's output (its σ(z) for the row) and delta, when the step has come that far. */
  showOutputs: boolean;
  showDeltas: boolean;
  /** Per layer, neuron and weight: the change just made, drawn on the edges; null when none. */
  changes: readonly (readonly (readonly number[])[])[] | null;
}

const SVG = 'http://www.w3.org/2000/svg';
/** Drawing widths: a phone's gets one about as wide as its screen, so that 12-unit text renders
 * at 11 px or more in a 360 px window; R fits a value such as -0.123 inside its circle. */
const WIDE = { W: 640, X: [80, 320, 560], R: 26 };
const NARROW = { W: 320, X: [36, 160, 284], R: 25 };
/** Text lines, in drawing units: a neuron's name sits above it; its bias, the bias's change (wide
 * drawing only) and its delta below it, one line each. */
const LINE = 15;
const NAME_ABOVE = 8;
/** Past this many neurons in a layer, numbers would overlap: the drawing keeps nodes and edges. */
const LABELLED = 6;

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(3));

function el(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Whether a container this wide gets the narrow drawing. */
export const isNarrow = (width: number): boolean => width > 0 && width < 560;

export function drawToyNetwork(container: HTMLElement, p: NetworkPicture): void {
  const narrow = isNarrow(container.clientWidth);
  const { W, X, R } = narrow ? NARROW : WIDE;
  const counts = [p.network[0][0].weights.length - 1, ...p.network.map((l) => l.length)];
  const rows = Math.max(...counts);
  // Room for the lines under a neuron and the name over the next one, whichever parts the step shows.
  const linesBelow = narrow ? 2 : 3;
  const gap = rows > LABELLED ? 36 : 2 * R + NAME_ABOVE + LINE * (linesBelow + 1) + 10;
  const H = rows * gap + 60;
  const y = (layer: number, j: number) => H / 2 + (j - (counts[layer] - 1) / 2) * gap;
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `a ${counts.join('-')} network`, class: narrow ? 'narrow' : 'wide' });
  const labels = rows <= LABELLED;
  const edges = el('g', { class: 'edges' });
  const nodes = el('g', { class: 'nodes' });
  p.network.forEach((layer, i) =>
    layer.forEach((neuron, j) => {
      neuron.weights.slice(0, -1).forEach((w, k) => {
        const [x1, y1, x2, y2] = [X[i] + R, y(i, k), X[i + 1] - R, y(i + 1, j)];
        const change = p.changes?.[i][j][k];
        edges.append(el('line', {
          x1, y1, x2, y2,
          class: `edge ${w >= 0 ? 'pos' : 'neg'}${change ? ' changed' : ''}`,
          'stroke-width': (1 + 3 * Math.min(1, Math.abs(w) / 3)).toFixed(2),
          'data-weight': w,
        }));
        if (labels) {
          // A third of the way from the target: edges into one neuron fan out there, so labels do not collide.
          const t = 0.7;
          // A phone's drawing has no room for the change: the dashed edge marks it, the lesson lists it.
          const text = change && !narrow ? `${fmt(w)} (${change >= 0 ? '+' : ''}${change.toPrecision(2)})` : fmt(w);
          edges.append(el('text', { x: x1 + t * (x2 - x1), y: y1 + t * (y2 - y1) - 4, class: 'weight', 'text-anchor': 'middle' }, text));
        }
      });
    }),
  );
  counts.forEach((n, layer) => {
    for (let j = 0; j < n; j++) {
      const cx = X[layer];
      const cy = y(layer, j);
      const neuron = layer > 0 ? p.network[layer - 1][j] : null;
      const name = layer === 0 ? `x${j + 1}` : layer === counts.length - 1 ? `out ${j}` : `h${j}`;
      nodes.append(el('circle', { cx, cy, r: labels ? R : 8, class: `node layer${layer}` }));
      if (!labels) continue;
      nodes.append(el('text', { x: cx, y: cy - R - NAME_ABOVE, class: 'name', 'text-anchor': 'middle' }, name));
      const value = layer === 0 ? p.inputs?.[j] : p.showOutputs ? neuron?.output : undefined;
      if (value !== undefined) nodes.append(el('text', { x: cx, y: cy + 4, class: 'value', 'text-anchor': 'middle' }, fmt(value)));
      if (neuron) {
        const bias = neuron.weights[neuron.weights.length - 1];
        const change = p.changes?.[layer - 1][j].at(-1);
        const below = (line: number) => cy + R + LINE * line;
        nodes.append(el('text', { x: cx, y: below(1), class: 'bias', 'text-anchor': 'middle' }, `b ${fmt(bias)}`));
        // On a line of its own: beside the bias it would reach the labels of the edges coming in.
        if (change && !narrow) nodes.append(el('text', { x: cx, y: below(2), class: 'bias', 'text-anchor': 'middle' }, `(${change >= 0 ? '+' : ''}${change.toPrecision(2)})`));
        if (p.showDeltas && neuron.delta !== undefined) {
          nodes.append(el('text', { x: cx, y: below(linesBelow), class: 'delta', 'text-anchor': 'middle' }, `δ ${neuron.delta.toPrecision(3)}`));
        }
      }
    }
  });
  svg.append(edges, nodes);
  container.replaceChildren(svg);
}
