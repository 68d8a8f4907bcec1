// The dashboard in a browser without WebGPU: Chromium on Linux gives no adapter without
// --enable-unsafe-webgpu. The page must say why and still train, on the CPU reference.
import { expect, test } from '@playwright/test';
import { chromiumArgs, findChrome } from '../../src/headless/chrome.ts';
import { collectErrors, fillForm, openDashboard, points } from './helpers.ts';

test.use({ launchOptions: { executablePath: findChrome(), args: chromiumArgs.filter((a) => a !== '--enable-unsafe-webgpu') } });

test('explains why and trains on the CPU reference', async ({ page }) => {
  const errors = collectErrors(page);
  await openDashboard(page);
  await expect(page.locator('#device-status')).toContainText('No WebGPU');
  await expect(page.locator('#device-status')).toContainText('enable-unsafe-webgpu');
  await expect(page.locator('#device')).toHaveValue('cpu');
  await expect(page.locator('#check')).toBeDisabled();
  await expect(page.locator('#noise')).toBeDisabled();
  await expect(page.locator('#noise-progress')).toHaveText('needs WebGPU');
  await fillForm(page, { epochs: '1', model: 'dense:128:sigmoid', limitTrain: '1000', limitTest: '200' });
  await page.locator('#train').click();
  await expect(page.locator('#run-status')).toContainText('Done', { timeout: 120_000 });
  await expect(page.locator('#log')).toContainText('started on the CPU reference');
  await expect(page.locator('#metric-acc')).toHaveText(/^\d+\.\d\d%$/);
  expect(await points(page, 'chart-loss')).toBe(32);

  // Part 1 runs on the CPU reference alone, and says so.
  await page.locator('#tab-link-part1').click();
  await expect(page.locator('#toy-device-note')).toContainText('WebGPU is not available here');
  await expect(page.locator('#toy-device')).toHaveValue('cpu');
  await page.locator('#toy-run').click();
  await expect(page.locator('#toy-output')).toHaveAttribute('data-done', 'true');
  await expect(page.locator('#toy-output')).toContainText('>epoch=0, lrate=0.400, error=6.128');
  await expect(page.locator('#toy-output')).toContainText('>epoch=19, lrate=0.400, error=0.687');
  await expect(page.locator('#toy-diff')).toHaveText('');
  expect(errors).toEqual([]);
});
