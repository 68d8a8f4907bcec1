// Exported models in the real runtime: each network is trained here for a few hundred steps (so
// its argmax means something), exported, and run in ONNX Runtime Web on 1,000 test samples: in
// Node its wasm backend, in Chromium its WebGPU execution provider. Its outputs must match this
// trainer's own forward pass on the GPU (evaluate, which predict runs): every argmax identical,
// max |difference| <= 1e-4 for the logits and for the log-probabilities (or the sigmoid's outputs).
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { csvDataFromText } from '../../src/data/csv.ts';
import { limitSplit } from '../../src/data/batches.ts';
import { twoMoonsCsv } from '../../src/data/synthetic.ts';
import type { DataSet, Split } from '../../src/data/dataset.ts';
import { exportOnnx, ONNX_INPUT, ONNX_LOGITS, ONNX_SCORES } from '../../src/export/onnx.ts';
import { parseModel } from '../../src/model/spec.ts';
import { logSoftmaxNllCpu } from '../../src/reference/kernels.ts';
import { validateConfig, type TrainConfig } from '../../src/train/config.ts';
import { evaluateSession, runSession } from '../../src/train/session.ts';
import { loadTestMnist, useGpu } from './gpu-suite.ts';

const inBrowser = typeof window !== 'undefined';
/** The issue's bar for an exported model against the trainer. */
const MAX_DIFF = 1e-4;
const SAMPLES = 1000;
const STEPS = 200;

// Node: the wasm backend, one thread (no worker to start). Chromium: the WebGPU provider, with the
// wasm files Vite serves from node_modules; what it cannot run falls back to ORT's CPU kernels.
ort.env.wasm.numThreads = 1;
if (inBrowser) ort.env.wasm.wasmPaths = '/node_modules/onnxruntime-web/dist/';
const PROVIDER = inBrowser ? 'webgpu' : 'wasm';

interface Case {
  name: string;
  model: string;
  data: 'mnist' | 'csv';
  config: Partial<TrainConfig>;
  /** Training steps of batch 32: fewer for the CNN, whose steps cost the most on SwiftShader. */
  steps?: number;
}

const ADAM = { optimizer: 'adam', lr: 1e-3 } as const;
const CASES: Case[] = [
  { name: "the notebook's MLP (sigmoid 784-512-256-10)", model: 'mlp', data: 'mnist', config: ADAM },
  { name: 'a ReLU MLP', model: 'dense:128:relu,dense:64:relu', data: 'mnist', config: ADAM },
  { name: 'the cnn preset', model: 'cnn', data: 'mnist', config: { optimizer: 'adam', lr: 2e-3 }, steps: 120 },
  { name: 'a CSV-trained model (two moons, named classes, the squared loss)', model: 'dense:16:relu', data: 'csv', config: { ...ADAM, lr: 1e-2, loss: 'squared' } },
  { name: 'GELU, tanh and leaky ReLU', model: 'dense:32:gelu,dense:32:tanh,dense:16:leaky_relu', data: 'mnist', config: ADAM },
];

/** MNIST, or two moons (classes named upper and lower): STEPS batches of 32 to train on, SAMPLES to test. */
async function dataFor(kind: Case['data']): Promise<DataSet> {
  if (kind === 'mnist') return loadTestMnist();
  const text = (count: number, seed: number, name: string) => ({ text: twoMoonsCsv(count, seed, 0.1), name });
  return csvDataFromText(text(STEPS * 32, 1, 'train.csv'), text(SAMPLES, 2, 'test.csv'), { labelColumn: 'moon' }, 'two moons');
}

/** The samples as the model's input takes them: bytes scaled to [0, 1] as the trainer's gather does. */
const inputOf = (s: Split): Float32Array => (s.features instanceof Float32Array ? s.features.slice(0, s.count * s.width) : Float32Array.from(s.features.subarray(0, s.count * s.width), (b) => b / 255));

/** Where ORT's log lines go while a session is created; elsewhere the console prints them. */
let ortLog: ((line: string) => void) | null = null;
// ORT's wasm module keeps the console functions it finds when it starts, so the hook goes in once,
// before the first session.
if (inBrowser) {
  for (const m of ['log', 'info', 'warn', 'error'] as const) {
    const print = console[m];
    console[m] = (...args: unknown[]) => (ortLog ? ortLog(args.map(String).join(' ')) : print(...args));
  }
}

/** A session on PROVIDER. In Chromium, ORT's verbose log says where each node runs: the WebGPU
 * provider is its JsExecutionProvider, and what that lacks falls back to the CPUExecutionProvider.
 * Its placement lines are summed up per provider, the rest of its log dropped. */
async function createSession(model: Uint8Array): Promise<{ session: ort.InferenceSession; placements: string[] }> {
  if (!inBrowser) return { session: await ort.InferenceSession.create(model, { executionProviders: [PROVIDER] }), placements: [] };
  const placed = new Map<string, string[]>();
  let provider: string[] | null = null;
  ortLog = (line) => {
    const text = /VerifyEachNodeIsAssignedToAnEp\]\s*(.*)/.exec(line)?.[1] ?? '';
    const ep = /placed on \[(\w+)\]/.exec(text)?.[1];
    if (ep) placed.set(ep, (provider = []));
    else if (provider && /^\w+ \(/.test(text)) provider.push(text.split(' ')[0]);
  };
  try {
    const session = await ort.InferenceSession.create(model, { executionProviders: [PROVIDER], logSeverityLevel: 0, logVerbosityLevel: 0 });
    return { session, placements: [...placed].map(([ep, ops]) => `${ep} ${ops.length ? ops.join(' ') : 'all'}`) };
  } finally {
    ortLog = null;
  }
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

const argmaxRows = (v: ArrayLike<number>, C: number) =>
  Uint8Array.from({ length: v.length / C }, (_, r) => {
    let best = 0;
    for (let c = 1; c < C; c++) if (v[r * C + c] > v[r * C + best]) best = c;
    return best;
  });

describe(`exported models in ONNX Runtime Web (${PROVIDER})`, () => {
  const gpu = useGpu();

  it.each(CASES)('$name: the same argmax on 1,000 of 1,000 samples, outputs within 1e-4', async (c) => {
    const data = await dataFor(c.data);
    const config = validateConfig({ ...c.config, model: parseModel(c.model), epochs: 1, limitTrain: (c.steps ?? STEPS) * 32 });
    const { weights } = await runSession({ config, device: 'gpu', data: { ...data, test: null }, ctx: gpu() });
    const test = limitSplit(data.test, SAMPLES);
    const ours = await evaluateSession({ config, device: 'gpu', weights, split: test, keepOutputs: true, ctx: gpu() });
    // Trained: well above chance, so the argmax is the model's decision.
    const accuracy = ours.accuracy;
    expect(accuracy).toBeGreaterThan(70);
    const C = weights.sizes[weights.sizes.length - 1];
    const { session, placements } = await createSession(exportOnnx(weights, config, { classNames: data.classNames }));
    const input = new ort.Tensor('float32', inputOf(test), [SAMPLES, ...weights.inputShape]);
    const t0 = performance.now();
    const out = await session.run({ [ONNX_INPUT]: input });
    const ms = performance.now() - t0;
    const scores = out[ONNX_SCORES[config.loss]].data as Float32Array;

    // 'nll': the logits and their log-softmax (f32, as the loss computes it); 'squared': the
    // output layer's sigmoid, which is what the trainer keeps.
    const diffs = config.loss === 'nll'
      ? { logits: maxAbsDiff(out[ONNX_LOGITS].data as Float32Array, ours.outputs!), log_probs: maxAbsDiff(scores, logSoftmaxNllCpu(ours.outputs!, test.labels, SAMPLES, C).logProbs) }
      : { probabilities: maxAbsDiff(scores, ours.outputs!) };
    const ortArgmax = argmaxRows(scores, C);
    const same = ortArgmax.filter((p, i) => p === ours.predictions[i]).length;
    console.log(`${c.name} on ${PROVIDER}: trained to ${accuracy.toFixed(1)}%, argmax ${same}/${SAMPLES} identical, max |diff| ` +
      `${Object.entries(diffs).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')}; ORT run of ${SAMPLES} samples ${ms.toFixed(0)} ms` +
      (inBrowser ? `; nodes placed: ${placements.join('; ')}` : ''));
    expect(same).toBe(SAMPLES);
    // On WebGPU indeed, not all fallen back to the CPU.
    if (inBrowser) expect(placements.some((p) => p.startsWith('JsExecutionProvider')), placements.join('; ')).toBe(true);
    for (const [name, d] of Object.entries(diffs)) expect(d, name).toBeLessThanOrEqual(MAX_DIFF);
    await session.release();
  });
});
