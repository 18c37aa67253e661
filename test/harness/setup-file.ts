import { stopAll } from '@breakwater/redis-harness';
import { afterAll } from 'vitest';

// Runs after every test file, whether its tests passed, failed or timed out: stops every
// server the file started through @breakwater/redis-harness.
afterAll(async () => {
  await stopAll();
});
