import { type PusherDialer, wsDialer } from '@breakwater/listen-client';

/**
 * The real `ws` dialer, watched: counts every dial a pod makes and tells the
 * session adapter when its connection opens and closes. Both clients (legacy and
 * Breakwater) dial through it, so their numbers are counted the same way.
 */
export class DialCounter {
  dials = 0;
}

export function observedDialer(
  counter: DialCounter,
  watch: { open(): void; close(): void } = { open() {}, close() {} },
): PusherDialer {
  return (url, events, options) => {
    counter.dials++;
    const attempt = wsDialer(
      url,
      {
        message: (data, isBinary) => events.message(data, isBinary),
        pong: () => events.pong(),
        close: (code, reason) => {
          watch.close();
          events.close(code, reason);
        },
      },
      options,
    );
    attempt.ready.then(
      () => watch.open(),
      () => {},
    );
    return attempt;
  };
}
