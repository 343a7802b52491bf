import { defineConfig } from 'vitest/config';
import { scaled } from './test/support/timeouts.js';

/**
 * Three projects; every test file belongs to exactly one (integration is "everything else"):
 * - unit: pure code, no database, no socket (`npm run test:unit`);
 * - pbt: property-based tests, `*.pbt.test.ts` and test/pbt/ (`npm run test:pbt`; PBT_NUM_RUNS, PBT_SEED);
 * - integration: databases, HTTP, the CLI as a process, the emulator, the contract suite (`npm run test:integration`).
 * `npm test` runs all three.
 */
const pbt = ['test/**/*.pbt.test.ts', 'test/pbt/**/*.test.ts'];
const unit = [
  'test/unit/**/*.test.ts',
  'test/connectors/salesforce/pure-parts.test.ts',
  'test/connectors/salesforce/soql.test.ts',
  'test/emulator/soql-parser.test.ts',
  'test/emulator/soql-query-plan.test.ts',
];

export default defineConfig({
  test: {
    // Budgets guard against hangs; they scale with TANDEM_TEST_TIMEOUT_SCALE or the machine's load (test/support/timeouts.ts).
    testTimeout: scaled(60_000),
    hookTimeout: scaled(60_000),
    // expect.poll waits 1 s by default: too short beside another test run; it scales like the budgets above.
    expect: { poll: { timeout: scaled(2_500) } },
    pool: 'forks',
    // Two cores: more workers only fight over them (PGlite is CPU-bound WASM).
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    reporters: process.env.CI ? ['default'] : ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: unit, exclude: pbt } },
      { extends: true, test: { name: 'pbt', include: pbt } },
      { extends: true, test: { name: 'integration', include: ['test/**/*.test.ts'], exclude: [...unit, ...pbt] } },
    ],
  },
});
