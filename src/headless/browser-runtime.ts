// Runs the WebGPU trainer inside headless Chrome/Chromium: a Vite server on 127.0.0.1 serves the
// page and the data's files, Playwright drives the system browser, and the page's events come back to the
// terminal reporter as they happen.
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright';
import { createServer, type InlineConfig } from 'vite';
import type { DataFormat } from '../data/sources.ts';
import type { MatmulVariant } from '../gpu/kernels/matmul.ts';
import type { Mlp } from '../reference/mlp.ts';
import { fail } from '../cli/common.ts';
import { STOP_SIGNALS } from '../cli/interrupt.ts';
import { decodeCheckpoint, encodeCheckpoint, type TrainState } from '../train/checkpoint.ts';
import type { TrainConfig } from '../train/config.ts';
import { encodeSafetensors } from '../train/safetensors.ts';
import type { SessionResult } from '../train/session.ts';
import type { Progress } from '../train/trainer.ts';
import { launchChromium } from './chrome.ts';
import { base64ToBytes, bytesToBase64, type HeadlessEvent, type HeadlessRequest, type HeadlessWindow } from './headless-protocol.ts';
import { mnistAssets } from './mnist-assets.ts';
import type { Reporter } from '../cli/reporter.ts';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The data's files by the names the page fetches them under, and how to read them (default:
 * the embedded MNIST). */
export interface ServedData {
  format: DataFormat;
  served: Record<string, string>;
}

export interface BrowserRunOptions {
  config: TrainConfig;
  data?: ServedData;
  /** The data's name on this side (the page's URL changes with the server's port). */
  dataSource: string;
  init: Mlp | null;
  resume: TrainState | null;
  matmul?: MatmulVariant;
  /** After every epoch, with the state to checkpoint; the page waits for it. */
  onCheckpoint?: (state: TrainState) => Promise<void>;
  /** Registers the stop request (Ctrl-C): the page's session stops at its next read-back. */
  onStop(listener: () => void): void;
}

/** Trains one session in the page, handing its events to `onEvent` (awaited for checkpoints). */
export type BrowserTrain = (req: HeadlessRequest, onEvent: (kind: HeadlessEvent, payload: unknown) => void | Promise<void>) =>
  Promise<SessionResult>;

/** The Vite config that serves `pagePath` (relative to the project root) and the data under /mnist/. */
export function pageServerConfig(pagePath: string, data?: ServedData): InlineConfig {
  return {
    configFile: false,
    root: projectRoot,
    logLevel: 'error',
    // No watcher and no HMR: an edit in the working tree must not reload a page mid-training.
    server: { host: '127.0.0.1', port: 0, hmr: false, watch: null },
    // Scan only the served page for dependencies: by default Vite scans every HTML file in the
    // tree, and examples/browser imports the built package by name, which a fresh clone lacks.
    optimizeDeps: { entries: [pagePath] },
    plugins: [mnistAssets(data?.served)],
  };
}

/** Starts a Vite server for the project on a free loopback port. */
async function startPageServer(pagePath: string, data?: ServedData) {
  const ownListeners = new Set(STOP_SIGNALS.flatMap((s) => process.listeners(s)));
  const server = await createServer(pageServerConfig(pagePath, data));
  // Vite's dev server closes itself and exits the process on SIGTERM; the commands stop their work
  // and save it first (src/cli/interrupt.ts), then close the server themselves.
  for (const s of STOP_SIGNALS) for (const l of process.listeners(s)) if (!ownListeners.has(l)) process.off(s, l);
  await server.listen();
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('the page server did not report a URL');
  return { server, url };
}

export interface HeadlessPageOptions {
  data?: ServedData;
  /** The page, relative to the project root, e.g. 'src/headless/headless.html'. */
  pagePath: string;
  /** A window property the page sets to true once its entry point has loaded. */
  readyFlag: string;
  /** Functions the page may call back, by window property name. */
  expose: Record<string, (...args: never[]) => unknown>;
}

/** Serves the project, opens `pagePath` in headless Chrome/Chromium, waits until the page is
 * ready, runs `body`, and closes browser and server whatever happens. */
export async function withHeadlessPage<T>(opts: HeadlessPageOptions, body: (page: Page, browser: Browser) => Promise<T>): Promise<T> {
  const { server, url } = await startPageServer(opts.pagePath, opts.data);
  const browser = await launchChromium().catch(async (e) => {
    await server.close();
    throw e;
  });
  try {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
    for (const [name, fn] of Object.entries(opts.expose)) await page.exposeFunction(name, fn);
    await page.goto(`${url}${opts.pagePath}`);
    await page.waitForFunction((flag) => (window as unknown as Record<string, unknown>)[flag] === true, opts.readyFlag, { timeout: 60_000 })
      .catch(() => {
        throw new Error(`the page ${opts.pagePath} did not start: ${pageErrors.join('; ') || 'no error reported'}`);
      });
    return await body(page, browser);
  } finally {
    await browser.close();
    await server.close();
  }
}

/** Opens one headless page and hands `body` a function that trains in it, and one that stops the
 * session running there; sessions after the first reuse the page's data and compiled pipelines. */
export function withBrowserTrainer<T>(data: ServedData | undefined, body: (train: BrowserTrain, stop: () => void) => Promise<T>): Promise<T> {
  let listener: (kind: HeadlessEvent, payload: unknown) => void | Promise<void> = () => {};
  const trainerEvent = (kind: HeadlessEvent, payload: unknown) => listener(kind, payload);
  return withHeadlessPage({ data, pagePath: 'src/headless/headless.html', readyFlag: 'headlessReady', expose: { trainerEvent } },
    (page) => {
      const stop = () => void page.evaluate(() => (window as unknown as HeadlessWindow).stopHeadlessTraining()).catch(() => {});
      return body(async (req, onEvent) => {
        listener = onEvent;
        const result = await page.evaluate((r) => (window as unknown as HeadlessWindow).runHeadlessTraining(r), req);
        if ('configError' in result) fail(result.configError);
        const state = decodeCheckpoint(base64ToBytes(result.stateBase64), 'the trained state');
        return { report: result.report, weights: state.weights, state };
      }, stop);
    });
}

export function runInBrowser(opts: BrowserRunOptions, reporter: Reporter): Promise<SessionResult> {
  const req: HeadlessRequest = {
    config: opts.config,
    dataSource: opts.dataSource,
    dataFormat: opts.data?.format ?? { format: 'idx' },
    initBase64: opts.init ? bytesToBase64(encodeSafetensors(opts.init)) : null,
    resumeBase64: opts.resume ? bytesToBase64(encodeCheckpoint(opts.resume)) : null,
    matmul: opts.matmul,
    checkpoints: !!opts.onCheckpoint,
  };
  return withBrowserTrainer(opts.data, (train, stop) => {
    opts.onStop(stop);
    return train(req, (kind, payload) => {
      if (kind === 'ready') reporter.ready(payload as Parameters<Reporter['ready']>[0]);
      else if (kind === 'log') reporter.onLog?.(payload as string);
      else if (kind === 'progress') void reporter.onProgress?.(payload as Progress);
      else if (kind === 'checkpoint') return opts.onCheckpoint?.(decodeCheckpoint(base64ToBytes(payload as string), 'the epoch\'s checkpoint'));
    });
  });
}
