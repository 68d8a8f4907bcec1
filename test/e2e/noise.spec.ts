// The batch-size noise view: measured at the weights of a paused run, then while the run goes on,
// without disturbing it.
import { mkdirSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { collectErrors, fillForm, openDashboard, points, trainThenPause } from './helpers.ts';

// 2,000 images at batch 32: 63 steps an epoch. The default counts (20 batches per size, G over
// min(4,096, the subset) images) are what the panel offers a person.
const RUN = { epochs: '2', model: 'dense:128:sigmoid', limitTrain: '2000', limitTest: '200', readbackEvery: '10' };
const STEPS = 2 * 63;
const SIZES = [8, 32, 128, 512];

/** The table's rows once a measurement has landed: batch size, E||g_B - G||², batch loss mean and std. */
async function noiseRows(page: Page) {
  await expect(page.locator('#noise-table tbody tr')).toHaveCount(SIZES.length, { timeout: 60_000 });
  return page.locator('#noise-table tbody tr').evaluateAll((trs) =>
    trs.map((tr) => {
      const d = (tr as HTMLElement).dataset;
      return { batch: Number(d.batch), sqDist: Number(d.sqDist), lossMean: Number(d.lossMean), lossStd: Number(d.lossStd) };
    }),
  );
}

function expectNoiseFallsWithB(rows: Awaited<ReturnType<typeof noiseRows>>): void {
  expect(rows.map((r) => r.batch)).toEqual(SIZES);
  for (const r of rows) {
    for (const v of [r.sqDist, r.lossMean, r.lossStd]) expect(Number.isFinite(v), JSON.stringify(r)).toBe(true);
    expect(r.sqDist).toBeGreaterThan(0);
  }
  expect(rows[0].sqDist).toBeGreaterThan(rows[3].sqDist);
}

test('measures the gradient noise per batch size at the current weights, with the run held', async ({ page }, info) => {
  const errors = collectErrors(page);
  await openDashboard(page);
  await fillForm(page, RUN);
  await expect(page.locator('#noise-note')).toContainText('20 random batches of each size B = 8, 32, 128, 512');
  await expect(page.locator('#noise-note')).toContainText('whole training subset (2,000 images)');
  const pausedAt = await trainThenPause(page);

  await page.locator('#noise').click();
  const paused = await noiseRows(page);
  expectNoiseFallsWithB(paused);
  await expect(page.locator('#noise-summary')).toContainText('(paused)');
  await expect.poll(() => points(page, 'noise-chart')).toBe(SIZES.length);
  expect(await points(page, 'chart-loss')).toBe(pausedAt);
  info.annotations.push({ type: 'measured while paused', description: String(await page.locator('#noise-summary').textContent()) });

  // Asked for while steps run: measured at a read-back (or at the end), and the run still takes
  // every step once.
  await page.locator('#resume').click();
  await expect(page.locator('#noise')).toBeEnabled();
  await page.locator('#noise').click();
  await expect(page.locator('#noise-summary')).not.toContainText('(paused)', { timeout: 60_000 });
  expectNoiseFallsWithB(await noiseRows(page));
  await expect(page.locator('#run-status')).toContainText('Done', { timeout: 60_000 });
  await expect.poll(() => points(page, 'chart-loss')).toBe(STEPS);
  await expect(page.locator('#noise-error')).toBeEmpty();
  mkdirSync('test-results', { recursive: true });
  await page.locator('#noise-panel').screenshot({ path: 'test-results/noise-panel.png' });
  await info.attach('noise panel', { path: 'test-results/noise-panel.png', contentType: 'image/png' });
  expect(errors).toEqual([]);
});
