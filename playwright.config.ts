// End-to-end tests of the dashboard: the static build (what `npm run build` ships) served by
// `vite preview`, driven in the system's headless Chrome/Chromium with WebGPU (SwiftShader when
// there is no GPU). Results also go to test-results/e2e.json for CI.
import { createServer } from 'node:net';
import { defineConfig } from '@playwright/test';
// The specs check the page against the CPU reference, whose layer modules also hold their GPU
// dispatches and so import WGSL as text (`?raw`): the loader the CLIs use, in every process that
// loads this config (the runner and its workers), before any spec.
import './src/node/raw-loader.mjs';
import { chromiumArgs, findChrome } from './src/headless/chrome.ts';

/** A free loopback port, chosen once: worker processes inherit it through the environment. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

process.env.E2E_PORT ??= String(await freePort());
const port = Number(process.env.E2E_PORT);

export default defineConfig({
  testDir: 'test/e2e',
  // Training on SwiftShader shares the machine's cores: one test at a time.
  workers: 1,
  timeout: 200_000,
  expect: { timeout: 15_000 },
  reporter: [['list'], ['json', { outputFile: 'test-results/e2e.json' }]],
  // Playwright empties its output folder on start; keep it apart from other tools' results.
  outputDir: 'test-results/e2e',
  use: {
    baseURL: `http://127.0.0.1:${port}/`,
    headless: true,
    viewport: { width: 1440, height: 1000 },
    screenshot: 'only-on-failure',
    launchOptions: { executablePath: findChrome(), args: chromiumArgs },
  },
  webServer: {
    command: `npx vite build --logLevel warn && npx vite preview --port ${port} --strictPort`,
    url: `http://127.0.0.1:${port}/`,
    timeout: 180_000,
    reuseExistingServer: false,
  },
});
