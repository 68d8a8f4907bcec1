/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import { playwright } from '@vitest/browser-playwright';
import { chromiumArgs, findChrome } from './src/headless/chrome.ts';
import { mnistAssets } from './src/headless/mnist-assets.ts';

// One config for the app (index.html), and for Vitest's three projects:
// unit (plain Node, no GPU), gpu-node (the kernel suites of test/gpu through Dawn, and the
// Node-only GPU tests of test/node-gpu: commands run as a user runs them) and gpu-chromium (the
// same test/gpu files in headless Chromium with WebGPU, through the system browser).
export default defineConfig({
  plugins: [mnistAssets()],
  // The dashboard (index.html) builds to a static site: relative URLs let any static server host
  // it at any path, and the training worker is an ES module like the page.
  base: './',
  worker: { format: 'es' },
  // Scan the dashboard's page only: by default Vite scans every HTML file in the tree, and
  // examples/browser imports the built package by name, which a fresh clone lacks.
  optimizeDeps: { entries: ['index.html'] },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  test: {
    // CI sums this file with Playwright's test-results/e2e.json into its closing line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results/vitest.json' }]] : ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          environment: 'node',
          include: ['test/unit/**/*.test.ts', 'test/fuzz/**/*.test.ts'],
          testTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'gpu-node',
          environment: 'node',
          include: ['test/gpu/**/*.test.ts', 'test/node-gpu/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        extends: true,
        // Imported only when the bench's peer test runs: optimized then, Vite would reload the page mid-test.
        optimizeDeps: { include: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu', '@jax-js/jax', 'onnxruntime-web'] },
        test: {
          name: 'gpu-chromium',
          include: ['test/gpu/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({
              launchOptions: { executablePath: findChrome(), args: chromiumArgs },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
