import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    reporters: ['default', './test/reporters/summary.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
