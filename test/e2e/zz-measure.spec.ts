import { expect, test } from '@playwright/test';
import { fillForm, openDashboard, points } from './helpers.ts';

test('measure pagehide', async ({ page }) => {
  test.setTimeout(400_000);
  await openDashboard(page);
  for (const at of [300, 330, 360]) {
    await fillForm(page, { epochs: '2', hidden: '64', limitTrain: '8000', limitTest: '500', readbackEvery: '5', lr: '0.1', momentum: '0.9' });
    await page.locator('#train').click();
    await expect.poll(() => points(page, 'chart-loss'), { timeout: 190_000, intervals: [10] }).toBeGreaterThan(at);
    const seen = await points(page, 'chart-loss');
    await page.reload();
    await expect(page.locator('#stored-run')).toBeVisible({ timeout: 90_000 });
    console.log('seen', seen, 'banner', await page.locator('#stored-run-text').textContent());
    await expect(page.locator('#run-status')).toContainText('Ready', { timeout: 90_000 });
    await page.locator('#stored-discard').click();
  }
});
