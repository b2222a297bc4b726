// What to tell a person whose browser gives the page no WebGPU: advice for that browser (its
// version, where WebGPU ships, which flag turns it on), never advice for a server.

/** The browser, from its user-agent string: { name: 'chrome'|'edge'|'firefox'|'safari'|'other', version, os }. */
export function identifyBrowser(userAgent) {
  const os = /Android/.test(userAgent)
    ? 'android'
    : /iPhone|iPad|iPod/.test(userAgent)
      ? 'ios'
      : /Windows/.test(userAgent)
        ? 'windows'
        : /Mac OS X|Macintosh/.test(userAgent)
          ? 'macos'
          : /CrOS/.test(userAgent)
            ? 'chromeos'
            : /Linux/.test(userAgent)
              ? 'linux'
              : 'other';
  const match = (re) => Number(re.exec(userAgent)?.[1] ?? NaN);
  if (/Edg\//.test(userAgent)) return { name: 'edge', version: match(/Edg\/(\d+)/), os };
  if (/Firefox\//.test(userAgent)) return { name: 'firefox', version: match(/Firefox\/(\d+)/), os };
  if (/Chrome\/|Chromium\//.test(userAgent)) return { name: 'chrome', version: match(/(?:Chrome|Chromium)\/(\d+)/), os };
  if (/Safari\//.test(userAgent) && /Version\//.test(userAgent)) return { name: 'safari', version: match(/Version\/(\d+)/), os };
  return { name: 'other', version: NaN, os };
}

function chromeAdvice({ name, version, os }, hasApi) {
  const product = name === 'edge' ? 'Edge' : 'Chrome';
  const flags = name === 'edge' ? 'edge://flags' : 'chrome://flags';
  const gpuPage = name === 'edge' ? 'edge://gpu' : 'chrome://gpu';
  if (version < 113) return `${product} ${version} predates WebGPU: update to ${product} 113 or later.`;
  if (hasApi) {
    return (
      `${product} has WebGPU but offered no adapter: your GPU or its driver may be on ${product}'s blocklist, or hardware ` +
      `acceleration is off (Settings → System). ${gpuPage} says which; ${flags}/#enable-unsafe-webgpu overrides the blocklist (restart after).`
    );
  }
  if (os === 'linux') {
    return (
      `${product} on Linux enables WebGPU only on some GPUs so far: turn on ${flags}/#enable-unsafe-webgpu and ` +
      `${flags}/#enable-vulkan, restart ${product}, and check ${gpuPage} ("WebGPU: Hardware accelerated").`
    );
  }
  if (os === 'android' && version < 121) return `${product} for Android has WebGPU from version 121 (Android 12 or later): update ${product}.`;
  return `WebGPU is on by default in ${product} ${version} here; check ${flags}/#enable-unsafe-webgpu is not disabled and ${gpuPage} for the reason.`;
}

function firefoxAdvice({ version, os }, hasApi) {
  if (hasApi) {
    return 'Firefox has WebGPU but offered no adapter: about:support (Graphics) says why; gfx.webgpu.ignore-blocklist in about:config overrides the blocklist.';
  }
  const shipped = os === 'windows' ? 141 : os === 'macos' ? 145 : undefined;
  if (shipped && version < shipped) return `Firefox ships WebGPU on ${os === 'windows' ? 'Windows' : 'macOS (Apple silicon)'} from version ${shipped}: update Firefox.`;
  return `Firefox ${version} here has WebGPU behind a preference: open about:config, set dom.webgpu.enabled to true and reload (Firefox Nightly has it on).`;
}

function safariAdvice({ version, os }) {
  const system = os === 'ios' ? 'iOS / iPadOS 26' : 'macOS 26';
  if (version < 26) {
    const where = os === 'ios' ? 'Settings → Apps → Safari → Advanced → Feature Flags' : 'Develop → Feature Flags';
    return `Safari has WebGPU from Safari 26 (${system}); in Safari ${version}, turn on WebGPU in ${where} and reload.`;
  }
  return `Safari ${version} should have WebGPU: check it is not turned off in ${os === 'ios' ? 'Settings → Apps → Safari → Advanced → Feature Flags' : 'Develop → Feature Flags'}.`;
}

/**
 * One paragraph for a browser without a usable WebGPU. `hasApi`: navigator.gpu exists (but gave
 * no adapter); `secure`: the page is a secure context (navigator.gpu exists only in those).
 */
export function noWebGpuAdvice(userAgent, { hasApi, secure }) {
  if (!secure) {
    return 'WebGPU exists only on secure pages: open this page over https://, or from http://localhost or http://127.0.0.1 (not file:// or a LAN address).';
  }
  const browser = identifyBrowser(userAgent);
  const lead = hasApi ? 'This browser found no usable WebGPU adapter.' : 'This browser exposes no WebGPU (navigator.gpu is missing).';
  const advice =
    browser.name === 'chrome' || browser.name === 'edge'
      ? chromeAdvice(browser, hasApi)
      : browser.name === 'firefox'
        ? firefoxAdvice(browser, hasApi)
        : browser.name === 'safari'
          ? safariAdvice(browser)
          : 'Use a browser with WebGPU: Chrome or Edge 113+, Firefox 141+ (Windows), or Safari 26+.';
  return `${lead} ${advice}`;
}
