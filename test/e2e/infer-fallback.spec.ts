// The built inference entry (build/lib/browser/infer.js, `npm run build:lib` first) in a browser
// without WebGPU: Chromium on Linux gives no adapter without --enable-unsafe-webgpu. loadModel's
// default device must fall back to the CPU, say why, and predict as the CPU reference does.
import { expect, test } from '@playwright/test';
import { chromiumArgs, findChrome } from '../../src/headless/chrome.ts';
import { forwardNetworkCpu } from '../../src/model/network.ts';
import { MODEL_PRESETS, parseModel, resolveNetwork } from '../../src/model/spec.ts';
import { initNetwork, mlpParamTensors } from '../../src/reference/mlp.ts';
import { encodeTensors } from '../../src/train/safetensors.ts';
import { builtLibrary } from '../support/built-lib.ts';
import { collectErrors } from './helpers.ts';

test.use({ launchOptions: { executablePath: findChrome(), args: chromiumArgs.filter((a) => a !== '--enable-unsafe-webgpu') } });

test('loadModel falls back to the CPU without WebGPU, says why, and predicts as the CPU reference', async ({ page }) => {
  const errors = collectErrors(page);
  const layers = resolveNetwork(parseModel(MODEL_PRESETS.cnn), [1, 28, 28], 10, 'nll');
  const weights = initNetwork(layers, 5);
  const file = encodeTensors(mlpParamTensors(weights), { model: MODEL_PRESETS.cnn, loss: 'nll', input_shape: '[1,28,28]' });
  const pixels = Uint8Array.from({ length: 4 * 784 }, (_, i) => (i * 97) % 256);
  const logits = forwardNetworkCpu(layers.map((layer, l) => ({ layer, params: weights.layers[l].params.map((p) => p.data) })),
    Float32Array.from(pixels, (v) => v / 255), 4).out;
  const expected = Array.from({ length: 4 }, (_, r) => {
    const row = Array.from(logits.subarray(r * 10, r * 10 + 10));
    return row.indexOf(Math.max(...row));
  });

  const files: Record<string, { path?: string; body?: Buffer; contentType: string }> = {
    'index.html': { body: Buffer.from('<!doctype html><title>infer</title>'), contentType: 'text/html' },
    'infer.js': { path: `${builtLibrary()}/browser/infer.js`, contentType: 'text/javascript' },
    'cnn.safetensors': { body: Buffer.from(file), contentType: 'application/octet-stream' },
  };
  await page.route('**/infer-page/**', (route) => {
    const f = files[new URL(route.request().url()).pathname.slice('/infer-page/'.length)];
    return f ? route.fulfill(f) : route.fulfill({ status: 404, body: 'not part of the page' });
  });
  await page.goto('infer-page/index.html');
  const result = await page.evaluate(async (input) => {
    const { loadModel } = (await import(new URL('infer.js', location.href).href)) as typeof import('../../src/lib/infer.ts');
    const model = await loadModel('cnn.safetensors');
    const { classes } = await model.predict(Uint8Array.from(input));
    return { device: model.device, reason: model.fallbackReason, classes: Array.from(classes) };
  }, Array.from(pixels));
  expect(result.device).toBe('cpu');
  expect(result.reason).toContain('WebGPU is not available in this browser');
  expect(result.classes).toEqual(expected);
  expect(errors).toEqual([]);
});
