// A page reload loses nothing: the dashboard keeps its run's checkpoint in the browser's storage
// (IndexedDB), and the next visit offers to resume it exactly or to discard it.
import { expect, test, type Page } from '@playwright/test';
import { collectErrors, fillForm, openDashboard, points, trainThenPause } from './helpers.ts';

// 8,000 images in batches of 32: 250 steps an epoch, about 4 s on SwiftShader, long enough for a
// save mid-epoch (a save there held training 25-76 ms in four runs, so they come 0.5-1.5 s apart). Momentum:
// its velocities must come back with the weights.
const SMALL = { epochs: '2', model: 'dense:64:sigmoid', limitTrain: '8000', limitTest: '500', readbackEvery: '5', lr: '0.1', momentum: '0.9' };
const STEPS_PER_EPOCH = 250;

/** Records, in the page, every step loss the worker sends (a resumed run's history included), by
 * global step: window.stepLosses. */
async function recordStepLosses(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const losses: number[] = [];
    Object.assign(window, { stepLosses: losses });
    const Base = window.Worker;
    window.Worker = class extends Base {
      constructor(url: string | URL, options?: WorkerOptions) {
        super(url, options);
        this.addEventListener('message', (ev: MessageEvent<{ type: string; firstStep?: number; losses?: Float32Array }>) => {
          const { type, firstStep = 0, losses: l } = ev.data;
          if (type === 'steps' || type === 'history') l!.forEach((v, i) => (losses[firstStep + i] = v));
        });
      }
    };
  });
}

/** Where the checkpoint in the browser's storage stands (its safetensors header's metadata), or
 * null when there is none. */
const storedProgress = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<{ epoch: number; step: number } | null>((resolve, reject) => {
        const open = indexedDB.open('webgpu-mnist-trainer');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const get = open.result.transaction('run').objectStore('run').get('checkpoint');
          get.onerror = () => reject(get.error);
          get.onsuccess = () => {
            const bytes = get.result as Uint8Array | undefined;
            open.result.close();
            if (!bytes) return resolve(null);
            const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
            const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
            const { epoch, step } = JSON.parse(header.__metadata__.progress);
            resolve({ epoch, step });
          };
        };
      }),
  );

const stepLosses = (page: Page) => page.evaluate(() => (window as unknown as { stepLosses: number[] }).stepLosses.slice());
const epochRows = (page: Page) =>
  page.locator('#epochs tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].slice(0, 7).map((td) => td.textContent)));

test('a reload mid-epoch loses nothing: Resume continues the stored run with the same step losses as an uninterrupted run', async ({ page }, info) => {
  const errors = collectErrors(page);
  await recordStepLosses(page);
  await openDashboard(page);
  await fillForm(page, SMALL);
  await page.locator('#train').click();
  await expect(page.locator('#run-status')).toContainText('Done', { timeout: 150_000 });
  const uninterrupted = await stepLosses(page);
  expect(uninterrupted).toHaveLength(2 * STEPS_PER_EPOCH);
  const rows = await epochRows(page);
  // What a save costs, for the record.
  info.annotations.push({ type: 'storage', description: (await page.locator('#log').textContent())?.match(/storage: .*/)?.[0] ?? 'no save logged' });

  // Nothing is left to resume once a run is done.
  expect(await storedProgress(page)).toBeNull();

  // The same run again (the same kernels: this page chose them), reloaded once a save has landed
  // in the middle of its second epoch.
  await page.locator('#train').click();
  await expect
    .poll(async () => {
      const p = await storedProgress(page);
      return p !== null && p.epoch >= 1 && p.step > 0;
    }, { timeout: 150_000, intervals: [20] })
    .toBe(true);
  await page.reload();
  await expect(page.locator('#run-status')).toContainText('Ready', { timeout: 90_000 });
  const banner = page.locator('#stored-run');
  await expect(banner).toBeVisible();
  await expect(banner).toContainText('A run of 784-64-10 dense:64:sigmoid (sgd, lr 0.1, batch 32, 2 epochs, 8,000 training samples) on MNIST (built in) stopped at epoch 2, step ');
  const step = Number((await banner.textContent())!.match(/step (\d+) of 250/)![1]);
  info.annotations.push({ type: 'resumed at', description: `epoch 2, step ${step}` });
  // The stored run's settings, not the form's recipe, are what resumes.
  await page.locator('#stored-resume').click();
  await expect(banner).toBeHidden();
  await expect(page.locator('#config-form [name="model"]')).toHaveValue('dense:64:sigmoid');
  await expect(page.locator('#log')).toContainText(`resumed at epoch 2, step ${step}`);
  await expect(page.locator('#run-status')).toContainText('Done', { timeout: 150_000 });
  expect(await stepLosses(page)).toEqual(uninterrupted);
  expect(await epochRows(page)).toEqual(rows);
  expect(await points(page, 'chart-loss')).toBe(2 * STEPS_PER_EPOCH);

  expect(await storedProgress(page)).toBeNull();
  expect(errors).toEqual([]);
});

test('a paused run reloaded is offered where it paused; Discard forgets it', async ({ page }) => {
  const errors = collectErrors(page);
  await openDashboard(page);
  await fillForm(page, { ...SMALL, epochs: '1' });
  const pausedAt = await trainThenPause(page);
  expect(pausedAt).toBeLessThan(STEPS_PER_EPOCH);
  // The pause saves at once; its write lands soon after.
  await expect.poll(() => storedProgress(page)).toEqual({ epoch: 0, step: pausedAt });
  await page.reload();
  await expect(page.locator('#run-status')).toContainText('Ready', { timeout: 90_000 });
  const banner = page.locator('#stored-run');
  await expect(banner).toContainText(`stopped at epoch 1, step ${pausedAt} of ${STEPS_PER_EPOCH}`);
  await page.screenshot({ path: 'test-results/reload-offer.png' });
  await page.locator('#stored-discard').click();
  await expect(banner).toBeHidden();
  expect(await storedProgress(page)).toBeNull();
  // Nor is it offered again.
  await page.reload();
  await expect(page.locator('#run-status')).toContainText('Ready', { timeout: 90_000 });
  await expect(banner).toBeHidden();
  expect(errors).toEqual([]);
});

test('storage the browser refuses (a 1-byte quota) is said in the log, and the run trains on', async ({ page, baseURL }) => {
  const errors = collectErrors(page);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(baseURL!).origin, quotaSize: 1 });
  await openDashboard(page);
  await fillForm(page, { ...SMALL, epochs: '1', limitTrain: '1000' });
  await page.locator('#train').click();
  await expect(page.locator('#run-status')).toContainText('Done', { timeout: 150_000 });
  await expect(page.locator('#log')).toContainText('storage: the browser refused to keep the run (QuotaExceededError');
  await expect(page.locator('#log')).toContainText('training goes on, but a page reload will lose it');
  expect(errors).toEqual([]);
});
