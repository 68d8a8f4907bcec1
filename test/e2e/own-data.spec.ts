// Data of the person's own in the dashboard: IDX files dropped on the page and CSV files chosen
// with the file picker, checked by the loaders the CLI uses (the page shows their messages), trained
// on (to the CLI's CPU-reference accuracies, epoch for epoch), and the panels sized for them; then
// back to the built-in MNIST.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { expect, test, type Page } from '@playwright/test';
import { dataFromBytes, pickDataFiles } from '../../src/data/sources.ts';
import { MNIST_FILES } from '../../src/data/mnist.ts';
import { readSafetensors } from '../../src/train/safetensors.ts';
import { blobsCsv, blockImages, idxBytes } from '../support/datasets.ts';
import { collectErrors, fillForm, openDashboard } from './helpers.ts';

interface NamedFile {
  name: string;
  buffer: Buffer;
}

/** 12x10 images in 13 classes, the training images gzip-compressed (as Fashion-MNIST ships them).
 * The CLI measured this set on the CPU reference: 100% test accuracy after 3 epochs of batch 8. */
function blockSet(): NamedFile[] {
  const train = blockImages(520, 12, 10, 13, 1);
  const test = blockImages(130, 12, 10, 13, 2);
  return [
    { name: `${MNIST_FILES.trainImages}.gz`, buffer: gzipSync(idxBytes([520, 12, 10], train.images)) },
    { name: MNIST_FILES.trainLabels, buffer: Buffer.from(idxBytes([520], train.labels)) },
    { name: MNIST_FILES.testImages, buffer: Buffer.from(idxBytes([130, 12, 10], test.images)) },
    { name: MNIST_FILES.testLabels, buffer: Buffer.from(idxBytes([130], test.labels)) },
  ];
}

/** What the loaders (the CLI's) say about these files. */
async function loaderMessage(files: NamedFile[]): Promise<string> {
  const byName = new Map(files.map((f) => [f.name, f]));
  try {
    const picked = pickDataFiles(files.map((f) => f.name), 'the selection');
    await dataFromBytes(picked, async (name) => ({ name, bytes: new Uint8Array(byName.get(name)!.buffer) }), { format: 'idx' }, 'test');
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the files loaded');
}

/** Each epoch's test accuracy as the page's epochs table shows it, of `npm run train` on the CPU
 * reference given the same files (`args` with DIR standing for their folder). */
function cliAccuracies(files: NamedFile[], args: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'own-data-'));
  try {
    for (const f of files) writeFileSync(join(dir, f.name), f.buffer);
    const report = join(dir, 'report.json');
    execFileSync('node', ['src/node/launch.mjs', 'src/cli/train.ts', '--device', 'cpu', '--json', report, ...args.map((a) => a.replace('DIR', dir))], { stdio: 'pipe' });
    const { epochs } = JSON.parse(readFileSync(report, 'utf8')) as { epochs: { testAccuracy: number }[] };
    return epochs.map((e) => `${e.testAccuracy.toFixed(2)}%`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The test accuracy column of the page's epochs table. */
const pageAccuracies = (page: Page) => page.locator('#epochs tr td:nth-child(7)').allTextContents();

/** The files as a drag from a file manager carries them. */
const dataTransferOf = (page: Page, files: NamedFile[]) =>
  page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name));
    return dt;
  }, files.map((f) => ({ name: f.name, base64: f.buffer.toString('base64') })));

/** Drops files on the page as a file manager would: on the log, far from the drop area. */
async function dropFiles(page: Page, files: NamedFile[]): Promise<void> {
  await page.locator('#log').dispatchEvent('drop', { dataTransfer: await dataTransferOf(page, files) });
}

test('IDX files of 12x10 images in 13 classes dropped on the page: trained on, a corrupt set refused, back to MNIST', async ({ page }, info) => {
  const errors = collectErrors(page);
  await openDashboard(page);
  const set = blockSet();
  await dropFiles(page, set);
  await expect(page.locator('#data-summary')).toHaveText(`${set.map((f) => f.name).join(' + ')}: 520 training / 130 test samples, 12x10 images, 13 classes.`);
  await expect(page.locator('#log')).toContainText('data: ');
  await expect(page.locator('#draw-panel')).toBeHidden();
  await expect(page.locator('#data-builtin')).toBeVisible();
  await expect(page.locator('#config-form [name="limitTrain"]')).toHaveAttribute('placeholder', 'all 520');

  await fillForm(page, { epochs: '4', batchSize: '8', model: 'dense:32:sigmoid', readbackEvery: '10' });
  await page.locator('#train').click();
  await expect(page.locator('#run-status')).toContainText('Done', { timeout: 150_000 });
  const accuracy = Number(await page.locator('#metric-acc').getAttribute('data-value'));
  info.annotations.push({ type: 'test accuracy % (120-32-13 sigmoid, 4 epochs)', description: String(accuracy) });
  expect(accuracy).toBeGreaterThan(90);
  // The page's WebGPU run and the CLI's CPU reference agree epoch for epoch.
  expect(await pageAccuracies(page)).toEqual(cliAccuracies(set, ['--data', 'DIR', '--hidden', '32', '--epochs', '4', '--batch', '8']));
  // No MNIST plateau advice for other data.
  await expect(page.locator('#run-note')).toHaveText('');
  await expect(page.locator('#model-name')).toHaveText('Current model: 120-32-13, after epoch 4.');
  // Thirteen classes: a 13x13 matrix over the 130 test samples, its header the two axis names
  // and a column per class.
  await expect(page.locator('#confusion thead th')).toHaveCount(15);
  const cells = await page.locator('#confusion td').allTextContents();
  expect(cells).toHaveLength(169);
  expect(cells.reduce((a, t) => a + Number(t.replace(/,/g, '') || 0), 0)).toBe(130);
  // 32 fc1 neurons as 12x10 tiles, 8 to a row with a 1-pixel gap.
  await expect(page.locator('#weights-panel')).toBeVisible();
  await expect(page.locator('#weights')).toHaveJSProperty('width', 8 * 11 - 1);
  await expect(page.locator('#weights')).toHaveJSProperty('height', 4 * 13 - 1);
  await expect(page.locator('#weights-note')).toContainText('120 weights as a 12x10 image');
  await page.screenshot({ path: 'test-results/own-data-idx.png', fullPage: true });

  // A truncated test image file: the loader's message, and nothing lost.
  const corrupt = set.map((f) => (f.name === MNIST_FILES.testImages ? { ...f, buffer: f.buffer.subarray(0, f.buffer.length - 7) } : f));
  const expected = await loaderMessage(corrupt);
  expect(expected).toContain('t10k-images-idx3-ubyte: truncated: expected 15600 bytes of data, found 15593');
  const before = await page.locator('#data-summary').textContent();
  await dropFiles(page, corrupt);
  await expect(page.locator('#data-message')).toHaveText(`Not loaded: ${expected.replace(/\.$/, '')}. The data in use is unchanged.`);
  await expect(page.locator('#data-summary')).toHaveText(before ?? '');
  await expect(page.locator('#model-name')).toHaveText('Current model: 120-32-13, after epoch 4.');
  await expect(page.locator('#epochs tr')).toHaveCount(4);
  await expect(page.locator('#train')).toBeEnabled();
  // A set with a file missing: named, as the CLI names it.
  const missing = set.filter((f) => f.name !== MNIST_FILES.testLabels);
  await dropFiles(page, missing);
  await expect(page.locator('#data-message')).toContainText(`Not loaded: ${(await loaderMessage(missing)).replace(/\.$/, '')}`);
  await expect(page.locator('#data-message')).toContainText('the selection is missing a file: t10k-labels-idx1-ubyte');

  await page.locator('#data-builtin').click();
  await expect(page.locator('#data-summary')).toHaveText('MNIST (built in): 60,000 training / 10,000 test samples, 28x28 images, 10 classes.');
  await expect(page.locator('#data-builtin')).toBeHidden();
  await expect(page.locator('#draw-panel')).toBeVisible();
  // The 13-class model cannot read MNIST.
  await expect(page.locator('#model-name')).toHaveText('No model yet.');
  expect(errors).toEqual([]);
});

test('CSV files chosen with the picker: the label column named, a ReLU network trained, relu in its config and its file', async ({ page }) => {
  const errors = collectErrors(page);
  await openDashboard(page);
  const files = [
    { name: 'iris-train.csv', mimeType: 'text/csv', buffer: Buffer.from(blobsCsv(300, 1)) },
    { name: 'iris-test.csv', mimeType: 'text/csv', buffer: Buffer.from(blobsCsv(90, 2)) },
  ];
  // The default label column, "label", is not in these files.
  await page.locator('#data-files').setInputFiles(files);
  await expect(page.locator('#data-message')).toContainText(
    'Not loaded: iris-train.csv: no column named "label" for the labels; the header has "sepal_length", "sepal_width", "species", "petal_length", "petal_width"');
  await expect(page.locator('#data-summary')).toContainText('MNIST (built in)');
  // Naming the column reads the same files again.
  await page.locator('#label-column').fill('species');
  await page.locator('#label-column').press('Tab');
  await expect(page.locator('#data-summary')).toHaveText('iris-train.csv + iris-test.csv: 300 training / 90 test samples, rows of 4 features, 3 classes.');
  await expect(page.locator('#data-classes')).toHaveText('Classes: 0 = setosa, 1 = versicolor, 2 = virginica.');
  await expect(page.locator('#data-message')).toHaveText('');
  await expect(page.locator('#weights-panel')).toBeHidden();
  await expect(page.locator('#draw-panel')).toBeHidden();

  // Features are not images: no shift (the CLI's check and words).
  await fillForm(page, { augmentShift: '1' });
  await expect(page.locator('[data-error-for="augmentShift"]')).toContainText('this data holds rows of features, not images');
  await expect(page.locator('#train')).toBeDisabled();
  await fillForm(page, { augmentShift: '0', model: 'dense:16:swish' });
  await expect(page.locator('[data-error-for="model"]')).toHaveText('layer 1 (dense:16:swish): dense activation must be one of sigmoid, relu, tanh, gelu, leaky_relu, got "swish"');
  // Measured with the CLI on the CPU reference: 98.89% after 5 epochs.
  await fillForm(page, { model: 'dense:16:relu', lr: '0.05', epochs: '5', batchSize: '10', readbackEvery: '10' });
  await page.locator('#train').click();
  await expect(page.locator('#run-status')).toContainText('Done', { timeout: 150_000 });
  expect(Number(await page.locator('#metric-acc').getAttribute('data-value'))).toBeGreaterThan(85);
  expect(await pageAccuracies(page)).toEqual(cliAccuracies(files.map(({ name, buffer }) => ({ name, buffer })), ['--data', 'DIR/iris-train.csv',
    '--test-data', 'DIR/iris-test.csv', '--label-column', 'species', '--activation', 'relu', '--lr', '0.05', '--epochs', '5', '--batch', '10', '--hidden', '16']));
  await expect(page.locator('#log')).toContainText('config: {"epochs":5,"batchSize":10,"optimizer":"sgd","lr":0.05,');
  await expect(page.locator('#log')).toContainText('"model":"dense:16:relu","loss":"nll"');
  await expect(page.locator('#confusion thead th')).toHaveText(['true ↓', 'predicted →', 'setosa', 'versicolor', 'virginica']);
  await page.screenshot({ path: 'test-results/own-data-csv.png', fullPage: true });

  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#download').click()]);
  expect(download.suggestedFilename()).toBe('mlp-4-16-3.safetensors');
  const saved = readSafetensors(new Uint8Array(readFileSync(await download.path())), 'download');
  expect(saved.metadata).toMatchObject({ model: 'dense:16:relu', loss: 'nll' });
  expect(errors).toEqual([]);
});

test('Train pressed while dropped files are still being read waits for them: the run trains on them, not on MNIST', async ({ page }) => {
  const errors = collectErrors(page);
  await openDashboard(page);
  await fillForm(page, { epochs: '1', batchSize: '8', model: 'dense:32:sigmoid', readbackEvery: '10' });
  const set = blockSet();
  // The drop and the press in one task, as a quick hand would: the page reads the files after it.
  await page.evaluate((dataTransfer) => {
    document.querySelector('#log')!.dispatchEvent(new DragEvent('drop', { dataTransfer, bubbles: true, cancelable: true }));
    document.querySelector<HTMLButtonElement>('#train')!.click();
  }, await dataTransferOf(page, set));
  await expect(page.locator('#data-summary')).toHaveText(`${set.map((f) => f.name).join(' + ')}: 520 training / 130 test samples, 12x10 images, 13 classes.`);
  await expect(page.locator('#data-message')).toHaveText('');
  await expect(page.locator('#train')).toBeEnabled();
  await expect(page.locator('#log')).not.toContainText('— started');
  await page.locator('#train').click();
  await expect(page.locator('#run-status')).toContainText('Done', { timeout: 150_000 });
  await expect(page.locator('#model-name')).toHaveText('Current model: 120-32-13, after epoch 1.');
  expect(errors).toEqual([]);
});
