import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One software GPU is shared by every test file: running files in parallel
    // only makes lavapipe thrash on two cores.
    fileParallelism: false,
    // Dawn (the 'webgpu' package) can abort at exit in a forked child; worker threads are fine.
    pool: 'threads',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
