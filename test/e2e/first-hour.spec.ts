// What a newcomer meets in the first hour on the dashboard: a status that waits for the adapter,
// the kernels in words, a short run that says why it ended near chance, an ETA while it runs,
// legends that show the latest values, and a layout that holds from a 360 px phone to a desktop:
// nothing wider than the window, tables that fit or say they scroll, the confusion matrix whole,
// Part 1's drawing readable (screenshots of every tab at 390 and 1440 px in test-results/).
import { mkdirSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { collectErrors, fillForm, openDashboard } from './helpers.ts';
import { confusionOverrun, expectReadableDrawing, expectScrollCues } from './layout-checks.ts';

const TABS = ['train', 'part1', 'homework'] as const;

/** Every text the status and the device card showed together, from the first paint on. */
async function recordStatus(page: Page): Promise<() => Promise<string[]>> {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { statusSeen: string[] }).statusSeen = seen;
    new MutationObserver(() => {
      const pair = `${document.getElementById('run-status')?.textContent} | ${document.getElementById('device-status')?.textContent}`;
      if (seen.at(-1) !== pair) seen.push(pair);
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  return () => page.evaluate(() => (window as unknown as { statusSeen: string[] }).statusSeen);
}

async function overflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

test('a short run: status, kernels, ETA, plateau note, legends, and the layout from 360 px', async ({ page }, info) => {
  const errors = collectErrors(page);
  const statuses = await recordStatus(page);
  await openDashboard(page);
  // Never "Ready" while the adapter is still being looked for.
  const seen = await statuses();
  expect(seen.some((s) => s.startsWith('Ready'))).toBe(true);
  expect(seen.filter((s) => s.startsWith('Ready') && s.includes('Looking for a WebGPU adapter'))).toEqual([]);

  // The kernels in words; the raw choice one click away.
  const device = page.locator('#device-status');
  await expect(device).toContainText('Matrix multiplies:', { timeout: 120_000 });
  await expect(device).not.toContainText('biasGrad serial');
  const details = device.locator('details.kernel-details');
  await expect(details.locator('p').first()).toBeHidden();
  await details.locator('summary').click();
  // Each shape of the step with its variant.
  await expect(details).toContainText(/32x512x784 B\^T bias-sigmoid: (naive|blocked|vec4|tiled|tiled32|skinny|skinny-subgroups)/);

  // 2 epochs of 640 images with a read-back every 5 steps: 40 steps, far too few for the sigmoid
  // network to leave its plateau.
  const etas = page.locator('#metric-eta').evaluate((el) => {
    const seenEtas: string[] = [];
    new MutationObserver(() => seenEtas.push(el.textContent ?? '')).observe(el, { childList: true, characterData: true, subtree: true });
    return new Promise<string[]>((resolve) => {
      const done = new MutationObserver(() => {
        if (/^Done/.test(document.getElementById('run-status')?.textContent ?? '')) resolve(seenEtas);
      });
      done.observe(document.getElementById('run-status')!, { childList: true, characterData: true, subtree: true });
    });
  });
  await fillForm(page, { epochs: '2', limitTrain: '640', limitTest: '200', readbackEvery: '5' });
  await page.locator('#train').click();
  await expect(page.locator('#run-status')).toContainText('left', { timeout: 120_000 });
  await expect(page.locator('#run-status')).toContainText('Done', { timeout: 150_000 });
  expect((await etas).filter((t) => /^\d+\.\d s$|^\d+:\d\d min$/.test(t)).length).toBeGreaterThan(0);
  await expect(page.locator('#metric-eta')).toHaveText('–');
  const accuracy = Number(await page.locator('#metric-acc').getAttribute('data-value'));
  expect(accuracy).toBeLessThan(20);
  await expect(page.locator('#run-note')).toContainText('plateau');
  await expect(page.locator('#run-note')).toContainText('20,000 train images and 3 epochs');
  info.annotations.push({ type: 'accuracy of the 40-step run (near chance)', description: String(accuracy) });

  // With the mouse away from the charts, every legend shows a number, not "--".
  await page.mouse.move(0, 0);
  for (const chart of ['chart-loss', 'chart-epochs', 'chart-speed']) {
    const values = await page.locator(`#${chart} .u-legend .u-value`).allTextContents();
    expect(values.length, chart).toBeGreaterThan(1);
    expect(values.filter((v) => v === '--' || v === ''), chart).toEqual([]);
  }

  // Some content on the other tabs too: one toy sample stepped.
  await page.locator('#tab-link-part1').click();
  await expect(page.locator('#toy-step')).toBeEnabled({ timeout: 120_000 });
  await page.locator('#toy-sample').click();
  await expect(page.locator('#toy-steps section')).toHaveCount(4);

  mkdirSync('test-results', { recursive: true });
  for (const width of [360, 390, 420, 1280, 1440]) {
    await page.setViewportSize({ width, height: 900 });
    for (const tab of TABS) {
      await page.locator(`#tab-link-${tab}`).click();
      await expect(page.locator(`#tab-${tab}`)).toBeVisible();
      // Let the charts follow their containers' new width.
      await page.evaluate(() => new Promise(requestAnimationFrame));
      expect(await overflow(page), `${tab} at ${width} px`).toBeLessThanOrEqual(0);
      await expectScrollCues(page, `${tab} at ${width} px`);
      if (tab === 'train') expect(await confusionOverrun(page), `confusion matrix at ${width} px`).toBeLessThanOrEqual(0);
      if (tab === 'part1') await expectReadableDrawing(page, `Part 1's drawing at ${width} px`);
      if (width === 390 || width === 1440) {
        const path = `test-results/layout-${width}-${tab}.png`;
        await page.screenshot({ path, fullPage: true });
        await info.attach(`${tab} at ${width} px`, { path, contentType: 'image/png' });
      }
    }
  }
  expect(errors).toEqual([]);
});
