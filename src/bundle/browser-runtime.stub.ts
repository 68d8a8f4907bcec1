// The device bundle's stand-in for src/headless/browser-runtime.ts: the bundle carries Node and
// Dawn, not Chromium, Vite or Playwright, so `--runtime browser` ends with this message.
import type * as BrowserRuntime from '../headless/browser-runtime.ts';

const nodeOnly = (): never => {
  throw new Error('this device bundle runs the Node runtime only (Dawn): pass --runtime node');
};

export const withHeadlessPage: typeof BrowserRuntime.withHeadlessPage = nodeOnly;
export const withBrowserTrainer: typeof BrowserRuntime.withBrowserTrainer = nodeOnly;
export const runInBrowser: typeof BrowserRuntime.runInBrowser = nodeOnly;
