import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A deployed stack is checked by `npm run test:deployed` (vitest.deployed.config.ts), after a deployment.
    exclude: ['test/deployed/**', '**/node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Integration suites start emulators and OS processes; two cores do not like them in parallel.
    fileParallelism: false,
  },
});
