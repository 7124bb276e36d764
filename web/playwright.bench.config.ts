// The web vault's benchmarks (scripts/bench-web.sh), not tests: they time, and assert nothing
// about the times. Same Chromium as the tests.
import { defineConfig } from '@playwright/test';
import base from './playwright.config';

export default defineConfig({
  ...base,
  testDir: 'bench',
  testMatch: /.*\.bench\.ts/,
  outputDir: 'test-results/bench',
  timeout: 600_000,
});
