import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Builds the control plane and checks the upstream data and Chromium once, before any file starts.
    globalSetup: ['./test/setup/global.ts'],
    reporters: ['default', './test/reporters/summary.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
