/**
 * @breakwater/listen-client/legacy — PRE-FIX BEHAVIOUR, FOR THE INCIDENT REPLAY
 * ONLY. NOT FOR PRODUCTION. How listen pods talked to pusher before Breakwater,
 * so the replay can run it side by side with `PusherSession`; see
 * legacy-pusher-session.ts.
 */
export { LegacyPusherSession, type LegacyPusherSessionOptions, type LegacyStats } from './legacy-pusher-session.js';
