import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Most files wait on real HTTP, retries and child processes rather than on the CPU: four files at
    // a time on two cores take the suite from about 6.5 to about 2.5 minutes.
    maxWorkers: 4,
    // CLI tests start the built binary as a process and wait for real (short) retries.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
