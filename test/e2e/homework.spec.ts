// The Homework tab: each of the notebook's three questions has its place. The committed sweeps as
// a table and a chart, and a small sweep run in the page by the training worker.
import { expect, test } from '@playwright/test';
import { collectErrors, openDashboard, points } from './helpers.ts';

test('shows the committed sweeps and runs a small sweep on a subset', async ({ page }, info) => {
  const errors = collectErrors(page);
  await openDashboard(page);
  await page.locator('#tab-link-homework').click();
  await expect(page.locator('#tab-homework')).toBeVisible();
  await expect(page.locator('#tab-homework h2')).toHaveCount(3);

  // 1: the lesson and docs/backprop.md.
  await page.locator('#tab-homework details summary').click();
  await expect(page.locator('#backprop-doc')).toContainText('# Back-propagation, one step, with the numbers');
  // 2: the notebook as printed, its recipe and the two tuned configurations, best first.
  const rows = page.locator('#sweep-table tr');
  await expect(rows).toHaveCount(5);
  await expect(rows.nth(1)).toContainText('97.53');
  await expect(rows.nth(2)).toContainText('notebook recipe');
  await expect(rows.nth(2)).toContainText('97.47');
  await expect(rows.nth(3)).toContainText('98.38');
  expect(await points(page, 'sweep-chart')).toBe(40);

  // A sweep of two learning rates on 320 images: the grid as `npm run sweep --grid` takes it.
  await page.locator('#mini-sweep [name="grid"]').fill('lr=0.5,x');
  await expect(page.locator('#mini-sweep-error')).toContainText('lr must be a number, got "x"');
  await expect(page.locator('#mini-sweep-run')).toBeDisabled();
  await page.locator('#mini-sweep [name="grid"]').fill('lr=0.5,2');
  await page.locator('#mini-sweep [name="epochs"]').fill('1');
  await page.locator('#mini-sweep [name="limitTrain"]').fill('320');
  await page.locator('#mini-sweep [name="limitTest"]').fill('200');
  await expect(page.locator('#mini-sweep-error')).toHaveText('');
  await page.locator('#mini-sweep-run').click();
  // The trainer's Train button waits while the worker sweeps.
  await expect(page.locator('#train')).toBeDisabled();
  await expect(page.locator('#mini-sweep-progress')).toContainText('Done: 2 runs', { timeout: 150_000 });
  const miniRows = page.locator('#mini-sweep-table tr');
  await expect(miniRows).toHaveCount(3);
  const labels = await miniRows.locator('td:first-child').allTextContents();
  // Each run named by what differs from the notebook's recipe.
  expect(labels.sort()).toEqual(['epochs=1', 'lr=2 epochs=1']);
  expect(await points(page, 'mini-sweep-chart')).toBe(1);
  await expect(page.locator('#train')).toBeEnabled();
  info.annotations.push({ type: 'small sweep', description: (await page.locator('#mini-sweep-table').textContent()) ?? '' });

  // 3: the noise panel, one click away on the training tab.
  await page.locator('#tab-homework a[data-focus="noise-panel"]').click();
  await expect(page.locator('#tab-train')).toBeVisible();
  await expect(page.locator('#noise-panel')).toBeInViewport();
  expect(errors).toEqual([]);
});
