/**
 * @breakwater/listen-client/testing — for tests of code that uses a
 * `PusherSession`: a scheduler whose time moves only when told, a breaker moved
 * by hand, and a dialer whose dials wait for the test. No I/O, no real time.
 */
export { ManualScheduler } from '../time/manual-scheduler.js';
export { FakeBreaker } from './fake-breaker.js';
export { FakeConnection, FakeDialer, type PendingDial } from './fake-dialer.js';
