import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Integration suites start emulators and OS processes; two cores do not like them in parallel.
    fileParallelism: false,
  },
});
