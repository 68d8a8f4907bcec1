// What every dashboard test does: open the page, fill the form, read charts, watch for errors.
import { expect, type Page } from '@playwright/test';

/** Console errors and uncaught exceptions of the page and its worker. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

export async function openDashboard(page: Page): Promise<void> {
  await page.goto('/');
  // Ready once MNIST is loaded and the adapter probed.
  await expect(page.locator('#run-status')).toContainText('Ready', { timeout: 90_000 });
}

export async function fillForm(page: Page, values: Record<string, string>): Promise<void> {
  for (const [name, value] of Object.entries(values)) await page.locator(`#config-form [name="${name}"]`).fill(value);
}

export const points = (page: Page, chart: string) => page.locator(`#${chart}`).getAttribute('data-points').then(Number);

/** Starts a run and pauses it as soon as it has started: the pause takes effect at the next
 * read-back, so it lands mid-epoch however fast the adapter is (waiting for a chart point first
 * would race a fast adapter to the end of a short epoch). Returns the loss chart's points then. */
export async function trainThenPause(page: Page): Promise<number> {
  await page.locator('#train').click();
  await expect(page.locator('#pause')).toBeEnabled({ timeout: 120_000 });
  await page.locator('#pause').click();
  await expect(page.locator('#run-status')).toContainText('Paused', { timeout: 120_000 });
  // The chart redraws on the next animation frame: let the last read-back land first.
  await page.evaluate(() => new Promise(requestAnimationFrame));
  return points(page, 'chart-loss');
}

/** Draws an MNIST image on the pad the way a hand would: one mouse stroke along every run of
 * ink in every row of the 28x28 image, scaled to the pad. */
export async function drawDigit(page: Page, pixels: Uint8Array): Promise<void> {
  // Mouse events land only inside the viewport.
  await page.locator('#pad').scrollIntoViewIfNeeded();
  const box = await page.locator('#pad').boundingBox();
  if (!box) throw new Error('the drawing pad is not visible');
  const at = (x: number, y: number) => [box.x + ((x + 0.5) * box.width) / 28, box.y + ((y + 0.5) * box.height) / 28] as const;
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      if (pixels[y * 28 + x] < 128) continue;
      const start = x;
      while (x + 1 < 28 && pixels[y * 28 + x + 1] >= 128) x++;
      await page.mouse.move(...at(start, y));
      await page.mouse.down();
      await page.mouse.move(...at(x, y), { steps: Math.max(1, x - start) });
      await page.mouse.up();
    }
  }
}
