import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/data/prng.ts';
import {
  NOTEBOOK_DATASET,
  NOTEBOOK_EPOCH_ERRORS,
  NOTEBOOK_FINAL_NETWORK,
  NOTEBOOK_INITIAL_NETWORK,
  activate,
  backwardPropagateError,
  cloneNetwork,
  countOutputs,
  formatEpochLine,
  formatFixed,
  formatNetwork,
  forwardPropagate,
  initializeNetwork,
  trainNetwork,
  transfer,
  transferDerivative,
  updateWeights,
  type ToyNetwork,
  type ToyRow,
} from '../../src/reference/toy.ts';

/** Epoch 19's error, which the notebook's export cut off: CPython 3.11 running the notebook's
 * code prints 0.687 (repr 0.6866120470178388). */
const EPOCH_19_ERROR = 0.6866120470178388;

function trainNotebook(): { network: ToyNetwork; errors: number[] } {
  const network = cloneNetwork(NOTEBOOK_INITIAL_NETWORK);
  const errors = trainNetwork(network, NOTEBOOK_DATASET, 0.4, 20, 2);
  return { network, errors };
}

describe('toy network: the notebook run', () => {
  const { network, errors } = trainNotebook();

  it.each(NOTEBOOK_EPOCH_ERRORS.map((printed, epoch) => [epoch, printed]))(
    'epoch %i prints error %s',
    (epoch, printed) => {
      expect(formatFixed(errors[epoch], 3)).toBe(printed.toFixed(3));
      expect(Math.abs(errors[epoch] - printed)).toBeLessThan(5e-4);
    },
  );

  it('epoch 19 (cut off in the export) matches CPython', () => {
    expect(errors).toHaveLength(20);
    expect(formatFixed(errors[19], 3)).toBe('0.687');
    expect(errors[19]).toBeCloseTo(EPOCH_19_ERROR, 12);
  });

  it("reproduces cell 12's weights, outputs and deltas to 1e-12", () => {
    expect(network.map((layer) => layer.length)).toEqual([2, 2]);
    network.forEach((layer, i) =>
      layer.forEach((neuron, j) => {
        const want = NOTEBOOK_FINAL_NETWORK[i][j];
        expect(neuron.weights).toHaveLength(want.weights.length);
        neuron.weights.forEach((w, k) => expect(Math.abs(w - want.weights[k])).toBeLessThan(1e-12));
        expect(Math.abs(neuron.output! - want.output!)).toBeLessThan(1e-12);
        expect(Math.abs(neuron.delta! - want.delta!)).toBeLessThan(1e-12);
      }),
    );
  });

  it('reports each epoch to onEpoch as it goes, with the returned values', () => {
    const seen: [number, number][] = [];
    const net = cloneNetwork(NOTEBOOK_INITIAL_NETWORK);
    const returned = trainNetwork(net, NOTEBOOK_DATASET, 0.4, 20, 2, (e, err) => seen.push([e, err]));
    expect(seen).toEqual(returned.map((err, e) => [e, err]));
    expect(returned).toEqual(errors);
  });

  it('keeps the notebook constants frozen so nobody trains them in place', () => {
    expect(() =>
      trainNetwork(NOTEBOOK_INITIAL_NETWORK as ToyNetwork, NOTEBOOK_DATASET, 0.4, 1, 2),
    ).toThrow(TypeError);
    expect(NOTEBOOK_INITIAL_NETWORK[0][0].weights[0]).toBe(0.13436424411240122);
  });
});

describe('toy network: each function by hand', () => {
  it('activate is bias + Σ w·x and ignores a trailing label', () => {
    expect(activate([2, 3, 1], [4, 5])).toBe(24);
    expect(activate([2, 3, 1], [4, 5, 99])).toBe(24);
    expect(activate([7], [])).toBe(7);
  });

  it('transfer is the sigmoid', () => {
    expect(transfer(0)).toBe(0.5);
    expect(transfer(Math.log(3))).toBeCloseTo(0.75, 15);
    expect(transfer(2) + transfer(-2)).toBeCloseTo(1, 15);
    expect(transfer(800)).toBe(1);
    expect(transfer(-800)).toBe(0);
  });

  it("transferDerivative is out·(1−out), i.e. σ'(z) given σ(z)", () => {
    expect(transferDerivative(0.5)).toBe(0.25);
    expect(transferDerivative(0)).toBe(0);
    expect(transferDerivative(1)).toBe(0);
    const z = 0.7, h = 1e-6;
    const numeric = (transfer(z + h) - transfer(z - h)) / (2 * h);
    expect(transferDerivative(transfer(z))).toBeCloseTo(numeric, 9);
  });

  // One hidden neuron with zero weights (output 0.5) feeding one output neuron with z = 2·0.5 − 1 = 0.
  const tiny = (): ToyNetwork => [[{ weights: [0, 0, 0] }], [{ weights: [2, -1] }]];
  const row: ToyRow = [1, 2, 0];

  it('forwardPropagate stores every output and returns the last layer', () => {
    const net = tiny();
    expect(forwardPropagate(net, row)).toEqual([0.5]);
    expect(net[0][0].output).toBe(0.5);
    expect(net[1][0].output).toBe(0.5);
  });

  it('backwardPropagateError: 2(out − y)·σ\' at the output, Σ w·delta·σ\' below', () => {
    const net = tiny();
    forwardPropagate(net, row);
    backwardPropagateError(net, [1]);
    expect(net[1][0].delta).toBe(2 * (0.5 - 1) * 0.25); // −0.25
    expect(net[0][0].delta).toBe(2 * -0.25 * 0.25); // −0.125
  });

  it('updateWeights: w_j −= lr·delta·input_j, bias −= lr·delta', () => {
    const net = tiny();
    forwardPropagate(net, row);
    backwardPropagateError(net, [1]);
    updateWeights(net, row, 0.5);
    expect(net[0][0].weights).toEqual([0.0625, 0.125, 0.0625]);
    expect(net[1][0].weights).toEqual([2.0625, -0.875]);
  });

  it('refuses to run backward or update steps out of order', () => {
    expect(() => backwardPropagateError(tiny(), [1])).toThrow(/forwardPropagate/);
    const net = tiny();
    forwardPropagate(net, row);
    expect(() => updateWeights(net, row, 0.1)).toThrow(/backwardPropagateError/);
  });

  it('trainNetwork rejects a label that is not an output index', () => {
    expect(() => trainNetwork(tiny(), [[1, 2, 1]], 0.1, 1, 1)).toThrow(RangeError);
    expect(() => trainNetwork(tiny(), [[1, 2, 0.5]], 0.1, 1, 1)).toThrow(RangeError);
  });

  it('initializeNetwork draws uniform [0,1) weights, hidden layer first, bias last', () => {
    const net = initializeNetwork(2, 3, 2, createRng(7));
    expect(net.map((layer) => layer.map((n) => n.weights.length))).toEqual([
      [3, 3, 3],
      [4, 4],
    ]);
    const rng = createRng(7);
    const drawn = Array.from({ length: 3 * 3 + 2 * 4 }, rng.next);
    expect(net.flat().flatMap((n) => n.weights)).toEqual(drawn);
    expect(drawn.every((w) => w >= 0 && w < 1)).toBe(true);
  });

  it('countOutputs counts distinct labels, like len(set(labels))', () => {
    expect(countOutputs(NOTEBOOK_DATASET)).toBe(2);
    expect(countOutputs([[0, 2], [1, 0], [3, 2], [4, 1]])).toBe(3);
  });

  it('cloneNetwork copies deeply', () => {
    const copy = cloneNetwork(NOTEBOOK_FINAL_NETWORK);
    expect(copy).toEqual(NOTEBOOK_FINAL_NETWORK);
    copy[0][0].weights[0] = 42;
    expect(NOTEBOOK_FINAL_NETWORK[0][0].weights[0]).not.toBe(42);
  });
});

describe('toy network: gradient check', () => {
  const squaredError = (net: ToyNetwork, r: ToyRow, expected: number[]): number =>
    forwardPropagate(net, r).reduce((s, out, i) => s + (expected[i] - out) ** 2, 0);

  /** Every weight's delta·input (bias: delta) against a central difference of Σ (y − out)². */
  function worstRelativeError(start: ToyNetwork, r: ToyRow, expected: number[]): number {
    const net = cloneNetwork(start);
    forwardPropagate(net, r);
    backwardPropagateError(net, expected);
    let worst = 0;
    net.forEach((layer, i) =>
      layer.forEach((neuron, j) =>
        neuron.weights.forEach((_, k) => {
          const fanIn = neuron.weights.length - 1;
          const input = k === fanIn ? 1 : i === 0 ? r[k] : net[i - 1][k].output!;
          const analytic = neuron.delta! * input;
          const h = 1e-5;
          const plus = cloneNetwork(start), minus = cloneNetwork(start);
          plus[i][j].weights[k] += h;
          minus[i][j].weights[k] -= h;
          const numeric =
            (squaredError(plus, r, expected) - squaredError(minus, r, expected)) / (2 * h);
          worst = Math.max(worst, Math.abs(numeric - analytic) / Math.abs(analytic));
        }),
      ),
    );
    return worst;
  }

  it.each(NOTEBOOK_DATASET.map((r, i) => [i, r]))(
    'notebook network, row %i: deltas are ∂E/∂z (1e-6 relative)',
    (_, r) => {
      const expected = [0, 0];
      expected[r[2]] = 1;
      expect(worstRelativeError(cloneNetwork(NOTEBOOK_INITIAL_NETWORK), r, expected)).toBeLessThan(
        1e-6,
      );
    },
  );

  it('holds for two hidden layers and three outputs too', () => {
    const rng = createRng(3);
    const layer = (count: number, fanIn: number) =>
      Array.from({ length: count }, () => ({
        weights: Array.from({ length: fanIn + 1 }, () => rng.uniform(-1, 1)),
      }));
    const net: ToyNetwork = [layer(4, 3), layer(3, 4), layer(3, 3)];
    expect(worstRelativeError(net, [0.3, -0.8, 0.5, 2], [0, 0, 1])).toBeLessThan(1e-6);
  });
});

describe("formatFixed: Python's '%.Nf'", () => {
  // Left: the value; right: what CPython 3.11 prints for '%.3f' % value.
  it.each([
    [6.1281832673025445, '6.128'],
    [0.4, '0.400'],
    [4.4, '4.400'],
    [0.0625, '0.062'], // exact tie: half-to-even; toFixed gives 0.063
    [0.1875, '0.188'],
    [0.3125, '0.312'],
    [-0.3125, '-0.312'],
    [2.0625, '2.062'],
    [123456789.0625, '123456789.062'],
    [0.0005, '0.001'], // the double is just above the tie
    [1.0005, '1.000'], // and this one just below
    [99.9995, '99.999'],
    [-0, '-0.000'],
    [-0.0001, '-0.000'],
    [5e-324, '0.000'],
    [1e21, '1000000000000000000000.000'],
    [NaN, 'nan'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
  ])('%s -> %s', (x, want) => {
    expect(formatFixed(x, 3)).toBe(want);
  });

  it('handles other digit counts', () => {
    expect(formatFixed(2.5, 0)).toBe('2');
    expect(formatFixed(3.5, 0)).toBe('4');
    expect(formatFixed(0.125, 2)).toBe('0.12');
  });

  it('agrees with Number#toFixed except on exact ties (x·16 odd for 3 digits)', () => {
    const rng = createRng(11);
    for (let i = 0; i < 20000; i++) {
      const x = rng.uniform(-1000, 1000) * 10 ** (rng.int(9) - 4);
      if (Number.isInteger(x * 16) && (x * 16) % 2 !== 0) continue;
      expect(formatFixed(x, 3)).toBe(x.toFixed(3));
    }
  });

  it('formatEpochLine is the notebook line', () => {
    expect(formatEpochLine(0, 0.4, 6.1281832673025445)).toBe('>epoch=0, lrate=0.400, error=6.128');
    expect(formatEpochLine(19, 0.4, EPOCH_19_ERROR)).toBe('>epoch=19, lrate=0.400, error=0.687');
  });

  it('formatNetwork prints a heading per layer and one line per neuron', () => {
    const lines = formatNetwork(NOTEBOOK_FINAL_NETWORK).split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[0]).toBe('layer 0 (hidden), 2 neurons, weights = [w_1..w_n, bias]:');
    expect(lines[1]).toBe(
      '  neuron 0: weights=[-1.7162510676007774, 2.2017368671278477, 1.2236115716194655] ' +
        'output=0.0174917162472531 delta=0.006688936418205769',
    );
    expect(lines[3]).toMatch(/^layer 1 \(output\)/);
    expect(formatNetwork(NOTEBOOK_INITIAL_NETWORK).split('\n')[1]).not.toMatch(/output=|delta=/);
  });
});
