// Vite's dependency scan, as it runs on the first start in a fresh clone (no cache yet): the
// dashboard's dev server and the CLIs' headless pages scan their own pages only. By default Vite
// scans every HTML file in the tree, and examples/browser imports the built package by name, which
// a fresh clone lacks: the scan then fails with a long "Failed to run dependency scan" block.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, createServer, type InlineConfig } from 'vite';
import { describe, expect, it } from 'vitest';
import { pageServerConfig } from '../../src/headless/browser-runtime.ts';

/** Starts a server with `config` and an empty cache folder, waits for its dependency scan, and
 * returns what it logged as errors. */
async function scanErrors(config: InlineConfig): Promise<string[]> {
  const cacheDir = await mkdtemp(join(tmpdir(), 'vite-scan-'));
  const errors: string[] = [];
  const customLogger = createLogger('error');
  customLogger.error = (msg) => void errors.push(msg);
  const server = await createServer({ ...config, cacheDir, customLogger, server: { ...config.server, port: 0, hmr: false, watch: null } });
  try {
    await server.listen();
    const optimizer = server.environments.client.depsOptimizer;
    expect(optimizer?.initState, 'the optimizer started its scan').toBe('initialized');
    await optimizer?.scanProcessing;
    return errors;
  } finally {
    await server.close();
    await rm(cacheDir, { recursive: true, force: true });
  }
}

describe('the dependency scan in a fresh clone', () => {
  it.for(['src/headless/headless.html', 'src/headless/bench.html'])('the headless page %s scans without errors', async (page) => {
    expect(await scanErrors(pageServerConfig(page))).toEqual([]);
  });

  it('the dashboard\'s dev server scans without errors', async () => {
    expect(await scanErrors({ configFile: 'vite.config.ts', logLevel: 'error' })).toEqual([]);
  });
});
