import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Rebuilds dist/ before the tests (they run what the package ships) and says when fixtures are absent.
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: process.env.CI ? ['default', ['json', { outputFile: process.env.TEST_RESULTS_FILE ?? 'test-results.json' }]] : ['default'],
  },
});
