import { afterAll } from 'vitest';
import { stopAll } from './process-registry.js';

// Runs after every test file, whether its tests passed, failed or timed out.
afterAll(async () => {
  await stopAll();
});
