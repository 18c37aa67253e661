/**
 * Milliseconds since the epoch. Every time-dependent piece takes one, so tests
 * drive time by hand instead of sleeping.
 */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();
