/** Debian's Chromium; Playwright never downloads a browser here. */
export const CHROMIUM = process.env.KEYPLANE_CHROMIUM ?? '/usr/bin/chromium';
