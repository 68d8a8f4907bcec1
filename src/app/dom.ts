// Small DOM helpers shared by the dashboard's panels.

/** The element with this id, of the expected type; a missing one is a bug in index.html. */
export function byId<T extends HTMLElement = HTMLElement>(id: string, type: new () => T = HTMLElement as unknown as new () => T): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`index.html has no <${type.name}> with id "${id}"`);
  return el;
}

export function element<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (text !== undefined) el.textContent = text;
  if (className) el.className = className;
  return el;
}

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 12,345 */
export const formatCount = (n: number): string => grouped.format(n);

/** Seconds with one decimal below a minute, else m:ss. */
export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  const whole = Math.round(s);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')} min`;
}
