import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // integration files each start their own S3 server and databases; two at a time fits two cores
    maxWorkers: 2,
    fileParallelism: true,
  },
})
