import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    // PGlite start-up and the R4 schema compile take seconds on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Many suites wait on real receivers, pollers and child processes more than they compute.
    maxWorkers: 3,
    // One module graph per worker: each file would otherwise compile the R4 schema and profiles again
    // (seconds each). Test files keep their state in their own stores, schemas and ports.
    isolate: false,
  },
});
