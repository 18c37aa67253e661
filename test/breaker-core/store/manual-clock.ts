/** A clock tests move by hand. Starts at a fixed, realistic epoch so runs are reproducible. */
export interface ManualClock {
  (): number;
  advance(ms: number): number;
  set(ms: number): void;
}

export function manualClock(start = 1_800_000_000_000): ManualClock {
  let now = start;
  const clock = (() => now) as ManualClock;
  clock.advance = (ms: number) => {
    now += ms;
    return now;
  };
  clock.set = (ms: number) => {
    now = ms;
  };
  return clock;
}
