import { defineConfig } from 'vitest/config';

/** `npm run test:deployed`: checks a deployed stack (see scripts/deploy-local.sh); not part of `npm test`. */
export default defineConfig({
  test: { include: ['test/deployed/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 60_000 },
});
