// Where the system's Chrome or Chromium lives. Playwright's own browser downloads are never used:
// the trainer runs in whatever Chrome the user already has, or Debian's chromium.
import { existsSync } from 'node:fs';

/** Flags that expose navigator.gpu in headless Chromium on Linux (SwiftShader when there is no
 * GPU) and keep it from calling home on a closed network. */
export const chromiumArgs = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const candidates = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/opt/google/chrome/chrome',
  '/snap/bin/chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
];

/** CHROME_PATH if set, else the first usual install location that exists; undefined if none. */
export function findChrome(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.CHROME_PATH) {
    if (!existsSync(env.CHROME_PATH)) {
      throw new Error(`CHROME_PATH=${env.CHROME_PATH} does not exist; point it at a Chrome or Chromium binary`);
    }
    return env.CHROME_PATH;
  }
  return candidates.find((p) => existsSync(p));
}

export const noChromeMessage =
  'No Chrome or Chromium found. Install one (Debian/Ubuntu: `sudo apt-get install chromium`), ' +
  'set CHROME_PATH to its binary, or run in Node through Dawn with `--runtime node`.';

/** Headless Chrome/Chromium with WebGPU, from the system (never Playwright's downloads). The
 * commands handle Ctrl-C, SIGTERM and SIGHUP themselves (src/cli/interrupt.ts): the browser, in a
 * process group of its own, must keep running until the page has stopped and handed back its
 * state, so Playwright is told not to close it on those signals. */
export async function launchChromium(): Promise<import('playwright').Browser> {
  const executablePath = findChrome();
  if (!executablePath) throw new Error(noChromeMessage);
  const { chromium } = await import('playwright');
  return chromium.launch({ executablePath, args: chromiumArgs, headless: true, handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false });
}
