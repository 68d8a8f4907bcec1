// The ONNX export without a GPU: the model's structure and metadata as written, ONNX's own checker
// (test/torch/check_onnx.py, where /usr/bin/python3 has onnx) on every layer type and activation,
// ONNX Runtime's wasm backend against the CPU reference on a network with every layer option
// (stride, padding, a pool's dropped remainder), and the command line and the library's exportOnnx.
// test/gpu/onnx-runtime.test.ts compares trained networks with the GPU trainer.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExportCli } from '../../src/cli/export.ts';
import { createRng } from '../../src/data/prng.ts';
import { exportOnnx, ONNX_OPSET, ONNX_PRODUCER } from '../../src/export/onnx.ts';
import { ModelProtoSchema, type ModelProto, type ValueInfoProto } from '../../src/export/onnx-proto/onnx_pb.ts';
import { loadTrainer } from '../../src/lib/index.ts';
import { formatModel, parseModel, resolveNetwork, type NetworkSpec } from '../../src/model/spec.ts';
import { forwardMlp, initNetwork, type Mlp } from '../../src/reference/mlp.ts';
import { encodeCheckpoint } from '../../src/train/checkpoint.ts';
import { validateConfig } from '../../src/train/config.ts';
import { encodeSafetensors } from '../../src/train/safetensors.ts';
import { startOfRun } from '../../src/train/trainer.ts';
import { captureCli } from '../support/cli.ts';

const PYTHON = '/usr/bin/python3';
const CHECKER = 'test/torch/check_onnx.py';

interface Net {
  name: string;
  model: string;
  loss: NetworkSpec['loss'];
  inputShape: number[];
  classes: number;
}

// Every layer type, every activation, both losses, image and row inputs.
const NETS: Net[] = [
  { name: "the notebook's MLP", model: 'mlp', loss: 'nll', inputShape: [1, 28, 28], classes: 10 },
  { name: 'a ReLU MLP on rows', model: 'dense:64:relu', loss: 'nll', inputShape: [784], classes: 10 },
  { name: 'the cnn preset', model: 'cnn', loss: 'nll', inputShape: [1, 28, 28], classes: 10 },
  { name: 'stride, padding, a ragged pool, every activation', model: 'conv2d:4:k3:s2:p1:gelu,maxpool2d:3,conv2d:5:k2:tanh,flatten,dense:7:leaky_relu,dense:6:sigmoid',
    loss: 'squared', inputShape: [2, 11, 13], classes: 3 },
];

const specOf = (n: Net): NetworkSpec => ({ model: parseModel(n.model), loss: n.loss });
const weightsOf = (n: Net, seed = 1): Mlp => initNetwork(resolveNetwork(specOf(n).model, n.inputShape, n.classes, n.loss), seed);
const metadata = (m: ModelProto) => Object.fromEntries(m.metadataProps.map((p) => [p.key, p.value]));
const dims = (v: ValueInfoProto) =>
  v.type!.value.case === 'tensorType' ? v.type!.value.value.shape!.dim.map((d) => (d.value.case === 'dimParam' ? d.value.value : Number(d.value.value))) : [];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'onnx-export-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the generated ONNX schema', () => {
  it('is what npm run gen:onnx generates from the committed onnx.proto now', async () => {
    const out = join(dir, 'gen');
    const run = spawnSync(process.execPath, ['node_modules/@bufbuild/buf/bin/buf', 'generate', '--template', 'src/export/onnx-proto/buf.gen.yaml', '-o', out], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const generated = await readFile(join(out, 'src/export/onnx-proto/onnx_pb.ts'), 'utf8');
    expect(generated === (await readFile('src/export/onnx-proto/onnx_pb.ts', 'utf8')), 'src/export/onnx-proto/onnx_pb.ts is stale: run npm run gen:onnx').toBe(true);
  });
});

describe('exportOnnx', () => {
  it('names its producer with the package.json version', async () => {
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { name: string; version: string };
    expect(ONNX_PRODUCER).toEqual({ name: pkg.name, version: pkg.version });
  });

  it('writes opset 17, a dynamic batch, the input as the data is shaped, both outputs, and the metadata', () => {
    const net = NETS[3];
    const m = fromBinary(ModelProtoSchema, exportOnnx(weightsOf(net), specOf(net), { classNames: ['setosa', 'versicolor', 'virginica'] }));
    expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', ONNX_OPSET]]);
    const g = m.graph!;
    expect(g.input.map((v) => [v.name, dims(v)])).toEqual([['input', ['N', 2, 11, 13]]]);
    expect(g.output.map((v) => [v.name, dims(v)])).toEqual([['logits', ['N', 3]], ['probabilities', ['N', 3]]]);
    expect(metadata(m)).toEqual({ model: net.model, loss: 'squared', input_shape: '[2,11,13]', class_names: '["setosa","versicolor","virginica"]' });
    expect(new Set(g.node.map((n) => n.opType))).toEqual(new Set(['Conv', 'Mul', 'Erf', 'Add', 'MaxPool', 'Tanh', 'Flatten', 'Gemm', 'LeakyRelu', 'Sigmoid']));
    expect(g.initializer.filter((t) => !t.name.includes('.gelu.')).map((t) => t.name)).toEqual(weightsOf(net).layers.flatMap((l) => l.params.map((p) => p.name)));
  });

  it('refuses more class names than outputs, and weights that do not fit the model', () => {
    const net = NETS[1];
    expect(() => exportOnnx(weightsOf(net), specOf(net), { classNames: Array.from({ length: 11 }, String) })).toThrow('11 class names given for a network of 10 outputs');
    expect(() => exportOnnx(weightsOf(net), { model: parseModel('dense:32:relu'), loss: 'nll' })).toThrow(/fc1.weight \[32, 784\] where the weights have fc1.weight \[64, 784\]/);
  });

  // Debian's python3-onnx (CI installs it); elsewhere the test says why it skips.
  const hasOnnx = spawnSync(PYTHON, ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0;
  if (!hasOnnx) console.warn(`skipping ONNX's checker: ${PYTHON} cannot import onnx (apt-get install python3-onnx)`);
  it.skipIf(!hasOnnx)("passes ONNX's checker (full_check, strict shape inference) for every layer type and activation", async () => {
    const files = await Promise.all(NETS.map(async (net, i) => {
      const file = join(dir, `net${i}.onnx`);
      await writeFile(file, exportOnnx(weightsOf(net), specOf(net)));
      return file;
    }));
    const run = spawnSync(PYTHON, [CHECKER, ...files], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    console.log(run.stdout.trim());
    expect(run.stdout.trim().split('\n').map((l) => l.includes(': ok (IR 8, opset 17,'))).toEqual(NETS.map(() => true));
  });

  it("runs in ONNX Runtime's wasm backend as the CPU reference computes: stride, padding, a ragged pool, every activation", async () => {
    ort.env.wasm.numThreads = 1;
    const net = NETS[3];
    const weights = weightsOf(net);
    const B = 33;
    const rng = createRng(7);
    const x = Float32Array.from({ length: B * 2 * 11 * 13 }, () => rng.next());
    const session = await ort.InferenceSession.create(exportOnnx(weights, specOf(net)), { executionProviders: ['wasm'] });
    const out = await session.run({ input: new ort.Tensor('float32', x, [B, 2, 11, 13]) });
    const ref = forwardMlp(weights, x, B, specOf(net)).logits;
    const probabilities = out.probabilities.data as Float32Array;
    expect(out.probabilities.dims).toEqual([B, 3]);
    expect(Math.max(...probabilities.map((v, i) => Math.abs(v - ref[i])))).toBeLessThanOrEqual(1e-6);
    await session.release();
  });
});

describe('docs/onnx.md', () => {
  it("runs its ONNX Runtime snippet as written, on an exported MNIST MLP", async () => {
    const doc = await readFile('docs/onnx.md', 'utf8');
    const snippet = /```js\n([\s\S]*?)```/.exec(doc.slice(doc.indexOf('## Run it in ONNX Runtime Web')))![1];
    // Beside the repository's node_modules, so that `import 'onnxruntime-web'` resolves.
    await mkdir('test-results', { recursive: true });
    const here = await mkdtemp(join('test-results', 'onnx-snippet-'));
    try {
      await writeFile(join(here, 'mlp.onnx'), exportOnnx(weightsOf(NETS[0]), specOf(NETS[0])));
      await writeFile(join(here, 'predict.mjs'), snippet);
      const run = spawnSync(process.execPath, ['predict.mjs'], { cwd: here, encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect(run.stdout).toMatch(/^class \d\n$/);
    } finally {
      await rm(here, { recursive: true, force: true });
    }
  });
});

describe('npm run export', () => {
  const cli = captureCli(runExportCli);
  const csvNet: Net = { name: 'CSV', model: 'dense:8:relu', loss: 'nll', inputShape: [4], classes: 3 };
  const names = ['setosa', 'versicolor', 'virginica'];

  it('exports a --save weights file with its model, input shape and class names', async () => {
    const file = join(dir, 'weights.safetensors');
    await writeFile(file, encodeSafetensors(weightsOf(csvNet), { model: csvNet.model, loss: 'nll', input_shape: '[4]', class_names: JSON.stringify(names) }));
    const r = await cli('--onnx', join(dir, 'w.onnx'), file);
    expect(r).toMatchObject({ code: 0, err: [] });
    expect(r.out[0]).toMatch(/^wrote .*w\.onnx \(\d+\.\d KiB\): 4-8-3, ONNX opset 17; input "input" \[N, 4\] float32, outputs "logits" and "log_probs" \[N, 3\]$/);
    expect(r.out[1]).toBe('class names in its metadata (class_names): setosa, versicolor, virginica');
    const m = fromBinary(ModelProtoSchema, await readFile(join(dir, 'w.onnx')));
    expect(metadata(m)).toMatchObject({ model: csvNet.model, class_names: JSON.stringify(names) });
  });

  it('exports a checkpoint with the class names of its data; trainer.exportOnnx writes the same bytes', async () => {
    const config = validateConfig({ model: parseModel('cnn'), epochs: 1 });
    const weights = initNetwork(resolveNetwork(config.model, [1, 28, 28], 3, 'nll'), 1);
    const checkpoint = encodeCheckpoint({ config, weights, optimizer: null, progress: startOfRun(), data: { source: 'x', train: 1, test: 1, classes: names }, kernels: null });
    const file = join(dir, 'run.safetensors');
    await writeFile(file, checkpoint);
    expect(await cli('--onnx', join(dir, 'c.onnx'), file)).toMatchObject({ code: 0, err: [] });
    const written = await readFile(join(dir, 'c.onnx'));
    expect(metadata(fromBinary(ModelProtoSchema, written))).toMatchObject({ model: formatModel(config.model), class_names: JSON.stringify(names) });
    const trainer = await loadTrainer(checkpoint, { device: 'cpu' });
    expect(Buffer.from(await trainer.exportOnnx())).toEqual(written);
    expect(exportOnnx(weights, config, { classNames: names })).toEqual(new Uint8Array(written));
    await expect(trainer.exportOnnx({ classNames: ['a', 'b', 'c', 'd'] })).rejects.toThrow('classNames must list the class names as strings, at most one per output (3)');
  });

  it("reads a file without metadata (PyTorch's) as the notebook's network, or as --model says", async () => {
    const net: Net = { name: 'torch', model: 'dense:6:sigmoid', loss: 'nll', inputShape: [784], classes: 10 };
    const file = join(dir, 'torch.safetensors');
    await writeFile(file, encodeSafetensors(weightsOf(net)));
    const plain = await cli('--onnx', join(dir, 't.onnx'), file);
    expect(plain.code).toBe(0);
    expect(plain.out[0]).toBe(`${file} names no model: exported as the notebook's (dense:6:sigmoid, loss nll); give --model if it is another`);
    const relu = await cli('--onnx', join(dir, 't.onnx'), file, '--model', 'dense:6:relu', '--loss', 'squared');
    expect(relu).toMatchObject({ code: 0, err: [] });
    expect(metadata(fromBinary(ModelProtoSchema, await readFile(join(dir, 't.onnx'))))).toMatchObject({ model: 'dense:6:relu', loss: 'squared' });
  });

  it('refuses, naming the problem: a wrong extension, a missing or corrupt file, an unwritable output, --model for a file that names its own', async () => {
    const file = join(dir, 'named.safetensors');
    await writeFile(file, encodeSafetensors(weightsOf(csvNet), { model: csvNet.model }));
    const corrupt = join(dir, 'corrupt.safetensors');
    await writeFile(corrupt, (await readFile(file)).subarray(0, 100));
    const badNames = join(dir, 'bad-names.safetensors');
    await writeFile(badNames, encodeSafetensors(weightsOf(csvNet), { model: csvNet.model, class_names: '[1,2]' }));
    const cases: [string[], string | RegExp][] = [
      [['--onnx', join(dir, 'x.onnx'), join(dir, 'model.onnx')], 'is not a .safetensors file: give the weights (train --save) or a checkpoint (train --checkpoint)'],
      [['--onnx', join(dir, 'x.txt'), file], 'name the output file *.onnx'],
      [['--onnx', join(dir, 'x.onnx'), join(dir, 'absent.safetensors')], /the saved model ".*absent.safetensors" does not exist/],
      [['--onnx', join(dir, 'x.onnx'), corrupt], /corrupt.safetensors: header length \d+ does not fit a file of 100 bytes/],
      [['--onnx', join(dir, 'no-such-dir', 'x.onnx'), file], /the directory ".*no-such-dir" does not exist \(create it first\)/],
      [['--onnx', join(dir, 'x.onnx'), file, '--model', 'dense:8:tanh'], 'names its own model (dense:8:relu, loss nll); --model is for files that name none'],
      [['--onnx', join(dir, 'x.onnx'), badNames], 'metadata class_names must list the class names, at most one per output (3), got [1,2]'],
    ];
    const badClasses = join(dir, 'bad-classes.safetensors');
    const config = validateConfig({ model: parseModel(csvNet.model), epochs: 1 });
    await writeFile(badClasses, encodeCheckpoint({ config, weights: weightsOf(csvNet), optimizer: null, progress: startOfRun(), data: { source: 'x', train: 1, test: 1, classes: ['a', 'b', 'c', 'd'] }, kernels: null }));
    cases.push([['--onnx', join(dir, 'x.onnx'), badClasses], 'metadata data.classes must list the class names, at most one per output (3), got ["a","b","c","d"]']);
    for (const [argv, message] of cases) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err.join('\n')).toMatch(message);
    }
  });
});
