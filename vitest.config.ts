import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // the archives the tests import are generated (tests/fixtures/generate.ts), once, before any file runs
    globalSetup: ['tests/helpers/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // integration files each start their own S3 server and databases; two at a time fits two cores
    maxWorkers: 2,
    fileParallelism: true,
  },
})
