// The page as a newcomer first meets it (issue 22's first hour): charts that say what they will
// show instead of empty frames, messages that name the page's fields rather than the CLI's
// options, and a confusion matrix of 10,000 test images whole from a 360 px phone to a desktop.
import { expect, test } from '@playwright/test';
import { TRAIN_TAB_LABELS } from '../../src/app/config-form.ts';
import { blobsCsv } from '../support/datasets.ts';
import { collectErrors, fillForm, openDashboard } from './helpers.ts';
import { confusionOverrun, expectScrollCues, settle } from './layout-checks.ts';

/** The text a chart shows in place of its axes, '' when it shows its axes. */
const placeholder = (page: import('@playwright/test').Page, id: string) => page.locator(`#${id}`).evaluate((chart) => {
  const text = getComputedStyle(chart, '::before').content;
  return text === 'none' || text === 'normal' ? '' : `${JSON.parse(text)} (${chart.getBoundingClientRect().height} px)`;
});

test('before any run: a line instead of each empty chart, and messages in the words of the page', async ({ page }) => {
  const errors = collectErrors(page);
  await openDashboard(page);
  for (const id of ['chart-loss', 'chart-epochs', 'chart-speed', 'chart-models']) {
    await expect(page.locator(`#${id}`)).toHaveAttribute('data-points', '0');
    expect(await placeholder(page, id), id).toMatch(/^\S.* \((4\d|5\d)(\.\d+)? px\)$/);
    await expect(page.locator(`#${id} .uplot`)).toBeHidden();
  }
  expect(await placeholder(page, 'chart-loss')).toContain('Train to see the loss curve');

  // Every option the training tab translates has a field of that label on the tab.
  const labels = await page.locator('#tab-train label').evaluateAll((els) => els.map((l) => l.textContent!.trim()));
  for (const [option, label] of Object.entries(TRAIN_TAB_LABELS)) expect(labels.filter((l) => l.startsWith(label)), `${option} -> ${label}`).not.toEqual([]);

  // The CSV loader's message (the CLI's says --label-column) names the field.
  await page.locator('#data-files').setInputFiles([
    { name: 'iris-train.csv', mimeType: 'text/csv', buffer: Buffer.from(blobsCsv(30, 1)) },
    { name: 'iris-test.csv', mimeType: 'text/csv', buffer: Buffer.from(blobsCsv(9, 2)) },
  ]);
  await expect(page.locator('#data-message')).toContainText('Name the label column with "CSV label column".');
  await expect(page.locator('#data-message')).not.toContainText('--');
  // A field's message names the other field it depends on.
  await fillForm(page, { momentum: '0' });
  await page.locator('#config-form [name="nesterov"]').check();
  await expect(page.locator('#config-form [data-error-for="nesterov"]')).toHaveText('needs "Momentum" > 0');

  await page.locator('#tab-link-part1').click();
  expect(await placeholder(page, 'toy-chart')).toContain('epoch error');
  await page.locator('#tab-link-homework').click();
  expect(await placeholder(page, 'mini-sweep-chart')).toContain('sweep');
  await page.locator('#mini-sweep [name="epochs"]').fill('0');
  await expect(page.locator('#mini-sweep-error')).toContainText('"Epochs" must be a positive integer, got 0');
  await expect(page.locator('#mini-sweep-error')).not.toContainText('--');
  expect(errors).toEqual([]);
});

test('the confusion matrix of 10,000 test images fits from 360 to 1440 px; the epochs table scrolls with a cue on a phone', async ({ page }, info) => {
  const errors = collectErrors(page);
  await openDashboard(page);
  // A small ReLU network for 125 steps: its diagonal reaches four digits (1,135 test images are 1s).
  await fillForm(page, { epochs: '1', limitTrain: '4000', limitTest: '', model: 'dense:32:relu', lr: '0.1', readbackEvery: '25' });
  await page.locator('#train').click();
  await expect(page.locator('#run-status')).toContainText('Done', { timeout: 180_000 });
  await expect(page.locator('#confusion-caption')).toContainText('10,000 test samples');
  const widest = Math.max(...(await page.locator('#confusion td').allTextContents()).map((t) => t.length));
  expect(widest, 'the widest count has four digits').toBe(4);
  expect(await placeholder(page, 'chart-loss')).toBe('');
  expect((await page.locator('#chart-loss').boundingBox())!.height).toBeGreaterThan(200);

  for (const width of [360, 390, 420, 1280, 1440]) {
    await page.setViewportSize({ width, height: 900 });
    await settle(page);
    const overrun = await confusionOverrun(page);
    info.annotations.push({ type: `confusion matrix's last column past its box at ${width} px`, description: `${overrun.toFixed(1)} px` });
    expect(overrun, `at ${width} px`).toBeLessThanOrEqual(0);
    await expectScrollCues(page, `at ${width} px`);
  }
  // At 360 px the epochs table scrolls: its cue turns round at the far end.
  await page.setViewportSize({ width: 360, height: 900 });
  await settle(page);
  const epochs = page.locator('.scroll:has(> table.epochs)');
  expect(await epochs.evaluate((b) => b.scrollWidth - b.clientWidth)).toBeGreaterThan(0);
  await epochs.evaluate((b) => b.scrollTo({ left: b.scrollWidth }));
  await expect(epochs).toHaveAttribute('data-more', 'left');
  await expect(page.locator('.scroll:has(> table.epochs) + .scroll-hint')).toHaveText('← scroll back');
  expect(errors).toEqual([]);
});
