// The page in browsers without a usable WebGPU, simulated in Chromium before the page's scripts
// run: navigator.gpu removed (or giving no adapter) and another browser's user-agent string. The
// advice must fit that browser, and never be a server's (apt-get, Mesa, Vulkan drivers).
import { STEP_TIMEOUT_MS } from './downloads.mjs';
import { fail } from './page-checks.mjs';

const CHROME_LINUX = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.0.0 Safari/537.36';
const CHROME_OLD = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36';
const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';
const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:143.0) Gecko/20100101 Firefox/143.0';
const SAFARI_17 = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15';

/** [what, user agent, navigator.gpu: 'none' | 'no-adapter', text the advice must contain] */
const CASES = [
  ['Chrome on Linux without WebGPU', CHROME_LINUX, 'none', 'chrome://flags/#enable-unsafe-webgpu'],
  ['Chrome 109', CHROME_OLD, 'none', 'update to Chrome 113 or later'],
  ['Chrome with no adapter', CHROME_LINUX, 'no-adapter', 'chrome://gpu'],
  ['Firefox 128 on Windows', FIREFOX_WINDOWS, 'none', 'from version 141: update Firefox'],
  ['Firefox on Linux', FIREFOX_LINUX, 'none', 'dom.webgpu.enabled'],
  ['Safari 17', SAFARI_17, 'none', 'Develop → Feature Flags'],
];

/**
 * Loads the page once per case in `page` (last: its other checks are done), which keeps its
 * renderer (a new page would start another, seconds on a loaded machine). Returns one line per case.
 */
export async function checkNoWebGpuAdvice(page, url, screenshot) {
  // Before the page's own scripts: the case named in the URL's query (none: the page as it is).
  await page.addInitScript(() => {
    const query = new URLSearchParams(location.search);
    const ua = query.get('simulate-ua');
    if (!ua) return;
    Object.defineProperty(Navigator.prototype, 'userAgent', { get: () => ua });
    if (query.get('simulate-gpu') === 'none') Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined });
    else if (globalThis.GPU) GPU.prototype.requestAdapter = async () => null;
  });
  const lines = [];
  for (const [what, userAgent, gpu, want] of CASES) {
    await page.goto(`${url}?${new URLSearchParams({ 'simulate-ua': userAgent, 'simulate-gpu': gpu })}`, { timeout: STEP_TIMEOUT_MS });
    await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout: STEP_TIMEOUT_MS });
    const error = ((await page.textContent('#error')) ?? '').trim();
    if (!error.includes(want)) fail(`${what}: the advice "${error}" should say "${want}"`);
    if (/apt-get|mesa|vulkan-drivers/i.test(error)) fail(`${what}: the advice "${error}" is for a server, not a browser`);
    lines.push(`${what}: "…${error.slice(error.indexOf(want) - 20, error.indexOf(want) + want.length + 10)}…"`);
    if (what === CASES[0][0]) await page.screenshot({ path: screenshot, fullPage: true, timeout: STEP_TIMEOUT_MS });
  }
  return lines;
}
