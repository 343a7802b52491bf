import { defineConfig } from 'vitest/config';
import { scaled } from './test/support/timeouts.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Budgets guard against hangs; they scale with TANDEM_TEST_TIMEOUT_SCALE or the machine's load (test/support/timeouts.ts).
    testTimeout: scaled(60_000),
    hookTimeout: scaled(60_000),
    pool: 'forks',
    // Two cores: more workers only fight over them (PGlite is CPU-bound WASM).
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
