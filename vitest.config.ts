import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // CLI tests start the built binary as a process and wait for real (short) retries.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
