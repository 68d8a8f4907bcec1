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
