import { describe, expect, it } from 'vitest';
import { CNN_RECIPE, ConfigError, NOTEBOOK_RECIPE, lrAt, optimizerDefaults, PRESET_RECIPES, recipeFor, validateConfig, type TrainConfig } from '../../src/train/config.ts';
import { denseSpec, formatModel, MODEL_PRESETS, parseModel, type DenseSpec, type LayerSpec } from '../../src/model/spec.ts';

const MNIST = { trainCount: 60_000, testCount: 10_000 };

/** validateConfig must throw a ConfigError naming `option` and containing every piece of `range`. */
function expectRejected(partial: Partial<TrainConfig>, option: string, range: string[], data = MNIST): void {
  let error: unknown;
  try {
    validateConfig(partial, data);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const { message, option: named } = error as ConfigError;
  expect(named).toBe(option);
  expect(message.startsWith(`${option} `)).toBe(true);
  for (const piece of range) expect(message).toContain(piece);
}

describe('validateConfig', () => {
  // Found by fuzzing the checkpoint's metadata: each was a TypeError ('is not iterable', 'Cannot
  // convert object to primitive value'), not a ConfigError.
  it.each([
    [{ model: 5 }, '--model must list one or more hidden layers, got 5'],
    [{ epochs: JSON.parse('{"toString":1}') }, 'epochs holds an object with its own toString or valueOf: {"toString":1}'],
    [{ model: JSON.parse('[{"valueOf":{}}]') }, 'model holds an object with its own toString or valueOf: [{"valueOf":{}}]'],
    [{ hidden: 5 }, 'hidden is not an option: did you mean'],
  ])('refuses a value from a file that its message could not show: %j', (partial, message) => {
    expect(() => validateConfig(partial as Partial<TrainConfig>)).toThrow(message);
  });

  it("defaults to the notebook's recipe", () => {
    const c = validateConfig({}, MNIST);
    expect(c).toEqual(NOTEBOOK_RECIPE);
    expect(c).toMatchObject({
      model: denseSpec([512, 256], ['sigmoid']), // with 784 inputs and 10 classes: 784-512-256-10
      lr: 0.5,
      batchSize: 32,
      epochs: 10,
      shuffle: true,
      logInterval: 200,
      momentum: 0,
      nesterov: false,
      weightDecay: 0,
      lrSchedule: 'constant',
      limitTrain: null,
      limitTest: null,
    });
  });

  it('returns a fresh model, never the frozen recipe or the caller\'s', () => {
    const model = denseSpec([64], ['relu']);
    const c = validateConfig({ model });
    c.model.push({ type: 'dense', units: 1, activation: 'tanh' });
    (c.model[0] as DenseSpec).units = 5;
    expect(model).toEqual(denseSpec([64], ['relu']));
    expect(validateConfig({}).model).toEqual(denseSpec([512, 256], ['sigmoid']));
  });

  it('accepts the edges of every range', () => {
    expect(() =>
      validateConfig(
        { batchSize: 60_000, momentum: 0.999, nesterov: true, seed: 0xffffffff, limitTrain: 60_000, limitTest: 10_000 },
        MNIST,
      ),
    ).not.toThrow();
    expect(() => validateConfig({ batchSize: 64, limitTrain: 64, seed: 0, weightDecay: 0 }, MNIST)).not.toThrow();
  });

  it.each([0, -0.1, Number.NaN, Infinity, -Infinity])('refuses --lr %s', (lr) => {
    expectRejected({ lr }, '--lr', ['> 0', 'finite']);
  });

  it.each([0, 1.5, -32])('refuses --batch %s', (batchSize) => {
    expectRejected({ batchSize }, '--batch', ['positive integer']);
  });

  it('refuses a batch larger than the training set, or than --limit-train', () => {
    expectRejected({ batchSize: 60_001 }, '--batch', ['at most', '60000']);
    expectRejected({ batchSize: 64, limitTrain: 32 }, '--batch', ['at most', '32']);
  });

  it.each([0, 2.5])('refuses --epochs %s', (epochs) => {
    expectRejected({ epochs }, '--epochs', ['positive integer']);
  });

  it.each([
    [[], 'must list one or more hidden layers'],
    [[{ type: 'dense', units: 0, activation: 'relu' }], 'layer 1: dense units must be a positive integer, got 0'],
    [[{ type: 'dense', units: 8, activation: 'relu' }, { type: 'dense', units: 3.5, activation: 'relu' }], 'layer 2: dense units must be a positive integer, got 3.5'],
    [[{ type: 'dense', units: 8 }], 'layer 1: dense activation must be one of sigmoid, relu'],
    [[{ type: 'dense', units: 8, activation: 'relu', dropout: 0.5 }], 'layer 1: dense has units, activation, not "dropout"'],
    [[{ type: 'conv', filters: 8 }], 'layer 1: must be an object with a type of dense'],
    [[null], 'layer 1: must be an object with a type of dense'],
    ['dense:8', 'must list one or more hidden layers'],
  ])('refuses the model %j', (model, message) => {
    expectRejected({ model: model as LayerSpec[] }, '--model', [message]);
  });

  it.each([-0.1, 1, Number.NaN])('refuses --momentum %s', (momentum) => {
    expectRejected({ momentum }, '--momentum', ['[0, 1)']);
  });

  it('refuses --nesterov without momentum', () => {
    expectRejected({ nesterov: true }, '--nesterov', ['--momentum > 0']);
  });

  it('refuses an unknown --optimizer, and SGD\'s momentum and Nesterov for Adam and AdamW', () => {
    expectRejected({ optimizer: 'rmsprop' as never }, '--optimizer', ['sgd, adam, adamw', 'rmsprop']);
    expectRejected({ optimizer: 'adam', momentum: 0.9 }, '--momentum', ["SGD's", '--beta1']);
    expectRejected({ optimizer: 'adamw', nesterov: true }, '--nesterov', ["SGD's"]);
  });

  it.each([['beta1', -0.1], ['beta1', 1], ['beta2', Number.NaN], ['beta2', 1.5]] as const)('refuses --%s %s', (key, v) => {
    expectRejected({ optimizer: 'adam', [key]: v }, `--${key}`, ['[0, 1)']);
  });

  it.each([0, -1e-8, Infinity])('refuses --eps %s', (eps) => {
    expectRejected({ optimizer: 'adam', eps }, '--eps', ['> 0']);
  });

  it("takes PyTorch's lr and weight decay for Adam and AdamW where none is given, the notebook's for SGD", () => {
    expect(optimizerDefaults('sgd')).toEqual({ lr: 0.5, weightDecay: 0 });
    expect(optimizerDefaults('adam')).toEqual({ lr: 1e-3, weightDecay: 0 });
    expect(optimizerDefaults('adamw')).toEqual({ lr: 1e-3, weightDecay: 1e-2 });
  });

  it.each([-1e-4, Infinity, Number.NaN])('refuses --weight-decay %s', (weightDecay) => {
    expectRejected({ weightDecay }, '--weight-decay', ['>= 0']);
  });

  it.each([-1, 2 ** 32, 0.5])('refuses --seed %s', (seed) => {
    expectRejected({ seed }, '--seed', ['[0, 4294967295]']);
  });

  it.each([0, 2.5])('refuses --limit-train / --limit-test %s', (limit) => {
    expectRejected({ limitTrain: limit }, '--limit-train', ['positive integer']);
    expectRejected({ limitTest: limit }, '--limit-test', ['positive integer']);
  });

  it('refuses limits larger than their split', () => {
    expectRejected({ limitTrain: 60_001 }, '--limit-train', ['at most 60000']);
    expectRejected({ limitTest: 10_001 }, '--limit-test', ['at most 10000']);
  });

  it('checks sizes against the data only when it is given', () => {
    expect(() => validateConfig({ batchSize: 70_000, limitTrain: 70_000 })).not.toThrow();
  });

  it.each([8, -1, 1.5])('refuses --augment-shift %s', (augmentShift) => {
    expectRejected({ augmentShift }, '--augment-shift', ['[0, 7]']);
  });

  it("refuses --lr-schedule 'foo'", () => {
    expectRejected({ lrSchedule: 'foo' as TrainConfig['lrSchedule'] }, '--lr-schedule', ['constant, cosine, step']);
  });

  it.each([
    ['--log-interval', { logInterval: 0 }],
    ['--readback-every', { readbackEvery: 1.5 }],
  ] as const)('refuses %s', (option, partial) => {
    expectRejected(partial, option, ['positive integer']);
  });
});

describe('lrAt', () => {
  it('is the configured rate in every epoch under the constant schedule', () => {
    const c = validateConfig({ lr: 0.25, epochs: 5 });
    expect([0, 1, 2, 3, 4].map((e) => lrAt(c, e))).toEqual([0.25, 0.25, 0.25, 0.25, 0.25]);
  });

  it('starts at lr under cosine and decreases monotonically, never negative', () => {
    for (const epochs of [1, 2, 10, 97]) {
      const c = validateConfig({ lr: 0.5, epochs, lrSchedule: 'cosine' });
      const rates = Array.from({ length: epochs }, (_, e) => lrAt(c, e));
      expect(rates[0]).toBe(0.5);
      for (let e = 1; e < epochs; e++) expect(rates[e]).toBeLessThan(rates[e - 1]);
      expect(rates.every((r) => r > 0)).toBe(true);
      expect(lrAt(c, epochs)).toBeGreaterThanOrEqual(0);
    }
  });

  it('divides lr by 10 after half and again after three quarters of the epochs under step', () => {
    const c = validateConfig({ lr: 2, epochs: 8, lrSchedule: 'step' });
    const rates = Array.from({ length: 8 }, (_, e) => lrAt(c, e));
    expect(rates.map((r) => +r.toPrecision(12))).toEqual([2, 2, 2, 2, 0.2, 0.2, 0.02, 0.02]);
  });

  it('takes the dense shorthand: one activation for every hidden layer, or one per layer, and a loss', () => {
    expect(denseSpec([64, 32, 16], ['tanh']).map((l) => l.activation)).toEqual(['tanh', 'tanh', 'tanh']);
    expect(validateConfig({ model: denseSpec([64, 32], ['relu', 'tanh']), loss: 'squared' })).toMatchObject({
      model: [{ type: 'dense', units: 64, activation: 'relu' }, { type: 'dense', units: 32, activation: 'tanh' }], loss: 'squared',
    });
    expect(() => denseSpec([64, 32, 16], ['relu', 'tanh'])).toThrow(/--activation needs one activation for every hidden layer, or one for all: 2 given for 3/);
    expect(() => validateConfig({ loss: 'mse' as 'nll' })).toThrow(/--loss must be one of nll, squared, got mse/);
  });

  it('refuses a key it does not know, naming the nearest (a config file or checkpoint of another version, a typo)', () => {
    expectRejected({ batchsize: 64 } as Partial<TrainConfig>, 'batchsize', ['is not an option: did you mean batchSize?']);
  });

  it('reads and writes a model as --model does: layers type:arg:..., or a preset', () => {
    expect(parseModel('mlp')).toEqual(NOTEBOOK_RECIPE.model);
    expect(parseModel(' dense:128:gelu , dense:64 ')).toEqual([{ type: 'dense', units: 128, activation: 'gelu' }, { type: 'dense', units: 64, activation: 'sigmoid' }]);
    for (const spec of [MODEL_PRESETS.mlp, MODEL_PRESETS.cnn, 'dense:7:leaky_relu', 'dense:3:relu,dense:2:tanh', 'conv2d:4:k5:s2:p2:gelu,maxpool2d:3,flatten']) {
      expect(formatModel(parseModel(spec))).toBe(spec);
    }
    // A convolution's stride, padding and activation in any order, with PyTorch's defaults.
    expect(parseModel('conv2d:16:relu:p1:k3')).toEqual([{ type: 'conv2d', channels: 16, kernel: 3, stride: 1, padding: 1, activation: 'relu' }]);
    expect(parseModel('conv2d:6:k5')).toEqual([{ type: 'conv2d', channels: 6, kernel: 5, stride: 1, padding: 0, activation: 'relu' }]);
    for (const [text, message] of [
      ['conv:8:3', /^--model layer 1 "conv:8:3" has no known type \(dense, conv2d, maxpool2d, flatten\): write layers separated by commas, each type:arg:arg/],
      ['', /^--model layer 1 "" has no known type/],
      ['dense:512,dense:x', /^--model layer 2 \(dense:x\): dense units must be a positive integer, got "x"/],
      ['dense:5:swish', /^--model layer 1 \(dense:5:swish\): dense activation must be one of sigmoid, relu, tanh, gelu, leaky_relu, got "swish"/],
      ['dense:5:relu:2', /^--model layer 1 \(dense:5:relu:2\): must be dense:<units>\[:<activation>\]/],
      ['dense:1e3', /dense units must be a positive integer, got "1e3"/],
      ['conv2d:8', /^--model layer 1 \(conv2d:8\): needs its kernel side, k<side>: write conv2d:<channels>:k<kernel>\[:s<stride>\]\[:p<padding>\]\[:<activation>\]/],
      ['conv2d:8:k3:k5', /gives the kernel twice \("k5"\)/],
      ['conv2d:0:k3', /conv2d channels must be a positive integer, got 0/],
      ['conv2d:8:k3:swish', /conv2d activation must be one of sigmoid, relu, tanh, gelu, leaky_relu, got "swish"/],
      ['maxpool2d', /must be maxpool2d:<kernel> \(the window side, also its stride\), e\.g\. maxpool2d:2/],
      ['flatten:2', /\(flatten:2\): takes no arguments: write flatten/],
    ] as const) {
      expect(() => parseModel(text)).toThrow(ConfigError);
      expect(() => parseModel(text)).toThrow(message);
    }
  });
});

describe('recipeFor: the recipe a --model value brings', () => {
  it('every preset has a valid recipe whose model is the preset', () => {
    expect(Object.keys(PRESET_RECIPES).sort()).toEqual(Object.keys(MODEL_PRESETS).sort());
    for (const [name, recipe] of Object.entries(PRESET_RECIPES)) {
      expect(validateConfig(recipe)).toEqual(recipe);
      expect(formatModel(recipe.model)).toBe(MODEL_PRESETS[name]);
    }
  });

  it.each([
    ['cnn', CNN_RECIPE], [' cnn ', CNN_RECIPE], ['mlp', NOTEBOOK_RECIPE], [undefined, NOTEBOOK_RECIPE],
    // Layers written out, even the preset's own, and names that are not presets: the notebook's.
    [MODEL_PRESETS.cnn, NOTEBOOK_RECIPE], ['constructor', NOTEBOOK_RECIPE], ['CNN', NOTEBOOK_RECIPE],
  ])('%j', (model, expected) => {
    expect(recipeFor(model)).toBe(expected);
  });
});
