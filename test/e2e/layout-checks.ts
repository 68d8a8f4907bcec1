// Geometric checks of the dashboard at one window width: what a person would see cut off, spilled
// or too small. Used by the specs that resize the page (first-hour, page-layout).
import { expect, type Page } from '@playwright/test';

/** Two frames: the page's resize observers (scroll cues, Part 1's drawing) have run after a resize. */
export async function settle(page: Page): Promise<void> {
  for (let i = 0; i < 2; i++) await page.evaluate(() => new Promise(requestAnimationFrame));
}

interface ScrollBox {
  table: string;
  overflow: number;
  more: string;
  hint: string;
  mask: string;
}

/** Every visible sideways-scrolling box: how far its content overflows, the sides it marks, its
 * hint and its fade. */
export function scrollBoxes(page: Page): Promise<ScrollBox[]> {
  return page.evaluate(() => [...document.querySelectorAll<HTMLElement>('.scroll')].filter((b) => b.offsetParent).map((b) => {
    const hint = b.nextElementSibling as HTMLElement;
    return {
      table: b.firstElementChild?.id || b.firstElementChild?.className || '?',
      overflow: b.scrollWidth - b.clientWidth,
      more: b.dataset.more ?? '',
      hint: hint.checkVisibility() ? hint.textContent ?? '' : '',
      mask: getComputedStyle(b).maskImage,
    };
  }));
}

/** A box whose table overflows fades its hidden side and says so under it; one that fits shows
 * neither. At scrollLeft 0 the hidden side is the right one. */
export async function expectScrollCues(page: Page, where: string): Promise<void> {
  await settle(page);
  for (const box of await scrollBoxes(page)) {
    if (box.overflow > 1) {
      expect(box.more, `${box.table} ${where}`).toBe('right');
      expect(box.hint, `${box.table} ${where}`).toContain('scroll →');
      expect(box.mask, `${box.table} ${where}`).toContain('gradient');
    } else {
      expect([box.more, box.hint, box.mask], `${box.table} ${where}`).toEqual(['', '', 'none']);
    }
  }
}

/** How far the confusion matrix's last column reaches past the box that shows it (<= 0: inside). */
export function confusionOverrun(page: Page): Promise<number> {
  return page.locator('#confusion').evaluate((table) => {
    const box = table.parentElement!.getBoundingClientRect();
    const cells = [...table.querySelectorAll('tr')].map((row) => row.lastElementChild!.getBoundingClientRect());
    return Math.max(...cells.map((c) => c.right - box.right));
  });
}

interface Drawing {
  /** The smallest text as rendered: its font size times the SVG's scale. */
  minPx: number;
  /** Pairs of texts whose boxes intersect. */
  overlaps: string[];
  /** Values wider than their circle less the text's 2-unit halo on each side. */
  spills: string[];
}

export function toyDrawing(page: Page): Promise<Drawing> {
  return page.locator('#toy-network svg').evaluate((svg: SVGSVGElement) => {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    const texts = [...svg.querySelectorAll('text')].map((t) => ({ text: t.textContent, box: t.getBoundingClientRect(), px: parseFloat(getComputedStyle(t).fontSize) * scale }));
    const meet = (a: DOMRect, b: DOMRect) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    const overlaps = texts.flatMap((a, i) => texts.slice(i + 1).filter((b) => meet(a.box, b.box)).map((b) => `${a.text} / ${b.text}`));
    const circles = [...svg.querySelectorAll('circle')].map((c) => c.getBoundingClientRect());
    const spills = [...svg.querySelectorAll('text.value')].flatMap((t) => {
      const box = t.getBoundingClientRect();
      const circle = circles.find((c) => meet(c, box));
      const halo = 2 * scale;
      return circle && box.left >= circle.left + halo && box.right <= circle.right - halo ? [] : [`${t.textContent} (${box.width.toFixed(1)} px in ${circle?.width.toFixed(1)} px)`];
    });
    return { minPx: Math.min(...texts.map((t) => t.px)), overlaps, spills };
  });
}

/** Part 1's drawing readable: text of 11 px or more, no two labels on each other, values inside
 * their circles. */
export async function expectReadableDrawing(page: Page, where: string): Promise<Drawing> {
  await settle(page);
  const drawing = await toyDrawing(page);
  expect(drawing.minPx, where).toBeGreaterThanOrEqual(11);
  expect(drawing.overlaps, where).toEqual([]);
  expect(drawing.spills, where).toEqual([]);
  return drawing;
}
