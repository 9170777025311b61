import { defineConfig } from '@playwright/test';
import { CHROMIUM } from './web/e2e/chromium';

// `npm run screenshots` sets this: the screenshot spec runs then and only then.
const screenshots = process.env.KEYPLANE_SCREENSHOTS === '1';

export default defineConfig({
  testDir: 'web/e2e',
  // One Keyplane server per run, shared by the specs, on two cores shared with other work.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  globalSetup: './web/e2e/global-setup.ts',
  outputDir: 'test-results/e2e',
  reporter: process.env.KEYPLANE_E2E_REPORT
    ? [['list'], ['json', { outputFile: process.env.KEYPLANE_E2E_REPORT }]]
    : [['list']],
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: { executablePath: CHROMIUM },
    permissions: ['clipboard-read', 'clipboard-write'],
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
    trace: 'off',
  },
  projects: screenshots
    ? [{ name: 'screenshots', testMatch: 'screenshots.spec.ts' }]
    : [{ name: 'e2e', testMatch: '*.spec.ts', testIgnore: 'screenshots.spec.ts' }],
});
