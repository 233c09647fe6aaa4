/**
 * Debian's Chromium, as browser tests and benchmarks drive it with playwright-core (no browser can
 * be downloaded here): its path (CHROMIUM_PATH overrides it) and flags that keep it headless and
 * off the network.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
