/**
 * A time-bucketed window as a fixed ring: bucket `epoch = floor(now / bucketMs)`
 * lives in slot `epoch % buckets`, and a slot holding an older epoch is reused.
 * Size is bounded by construction; old outcomes leave without a sweep.
 * lua/includes/window.lua implements the same arithmetic.
 */
export interface Bucket {
  epoch: number;
  failures: number;
  successes: number;
}

export function createWindow(buckets: number): Bucket[] {
  return Array.from({ length: buckets }, () => ({ epoch: -1, failures: 0, successes: 0 }));
}

export function addToWindow(
  window: Bucket[],
  bucketMs: number,
  now: number,
  failures: number,
  successes: number,
): void {
  const epoch = Math.floor(now / bucketMs);
  const bucket = window[epoch % window.length] as Bucket;
  if (bucket.epoch !== epoch) {
    bucket.epoch = epoch;
    bucket.failures = 0;
    bucket.successes = 0;
  }
  bucket.failures += failures;
  bucket.successes += successes;
}

/** Sums the buckets of the last `window.length` epochs, the current one included. */
export function sumWindow(window: Bucket[], bucketMs: number, now: number): { failures: number; successes: number } {
  const epoch = Math.floor(now / bucketMs);
  let failures = 0;
  let successes = 0;
  for (const b of window) {
    if (b.epoch > epoch - window.length && b.epoch <= epoch) {
      failures += b.failures;
      successes += b.successes;
    }
  }
  return { failures, successes };
}

export function clearWindow(window: Bucket[]): void {
  for (const b of window) {
    b.epoch = -1;
    b.failures = 0;
    b.successes = 0;
  }
}
