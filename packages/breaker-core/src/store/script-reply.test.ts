import { describe, expect, it } from 'vitest';
import { canonicalConfigJson, configHash, resolveBreakerConfig } from '../config/breaker-config.js';
import { isStoreUnavailableError } from '../errors/store-unavailable-error.js';
import { parseAcquireReply, parseCreateReply, parseReportReply, parseScriptReply } from './script-reply.js';

const config = resolveBreakerConfig();
const snapshot = {
  name: 'pusher',
  state: 'half_open',
  automaticState: 'half_open',
  generation: 2,
  incarnation: '1800000000000000',
  mode: 'enforce',
  window: { failures: 0, successes: 0, failingPods: 0 },
  openedAt: 1_800_000_000_000,
  cooldownUntil: null,
  probeFailures: 0,
  halfOpenSuccesses: 0,
  probe: null,
  override: null,
  configHash: configHash(config),
  configJson: canonicalConfigJson(config),
  at: 1_800_000_060_000,
};
/** A script reply as cjson encodes it: an empty transition list is `{}`. */
const reply = (fields: Record<string, unknown>) => JSON.stringify({ snapshot, transitions: {}, ...fields });
const lease = { token: '1800000000000000.2.1', generation: 2, holder: 'pod-a', expiresAt: 1_800_000_070_000 };

function refused(parse: () => unknown): boolean {
  try {
    parse();
  } catch (err) {
    return isStoreUnavailableError(err);
  }
  return false;
}

describe('script replies', () => {
  it('parses each reply shape into typed values', () => {
    expect(parseScriptReply(reply({})).transitions).toEqual([]);
    expect(parseCreateReply(reply({ created: true, drift: false }))).toMatchObject({ created: true, drift: false });
    expect(parseAcquireReply(reply({ granted: true, lease }))).toMatchObject({ granted: true, lease });
    expect(parseAcquireReply(reply({ granted: false, reason: 'held', holder: 'pod-b', expiresAt: 5 }))).toMatchObject({
      granted: false,
      reason: 'held',
      holder: 'pod-b',
      expiresAt: 5,
    });
    expect(parseAcquireReply(reply({ granted: false, reason: 'not_half_open' }))).toMatchObject({ granted: false });
    expect(parseReportReply(reply({ accepted: false, reason: 'expired' }))).toMatchObject({ reason: 'expired' });
  });

  it('refuses a reply of the wrong shape with StoreUnavailableError instead of passing it on', () => {
    const bad: Array<[string, () => unknown]> = [
      ['created missing', () => parseCreateReply(reply({ drift: false }))],
      ['drift as a string', () => parseCreateReply(reply({ created: false, drift: 'no' }))],
      ['granted missing', () => parseAcquireReply(reply({ lease }))],
      ['a lease without a token', () => parseAcquireReply(reply({ granted: true, lease: { ...lease, token: null } }))],
      [
        'a lease generation as text',
        () => parseAcquireReply(reply({ granted: true, lease: { ...lease, generation: '2' } })),
      ],
      ['an unknown refusal', () => parseAcquireReply(reply({ granted: false, reason: 'busy' }))],
      ['held without a holder', () => parseAcquireReply(reply({ granted: false, reason: 'held', expiresAt: 5 }))],
      [
        'held with a numeric holder',
        () => parseAcquireReply(reply({ granted: false, reason: 'held', holder: 7, expiresAt: 5 })),
      ],
      ['an unknown report refusal', () => parseReportReply(reply({ accepted: false, reason: 'late' }))],
      ['accepted as 1', () => parseReportReply(reply({ accepted: 1 }))],
      ['transitions as a string', () => parseScriptReply(reply({ transitions: 'none' }))],
      ['not an object', () => parseScriptReply('[1]')],
      ['not JSON', () => parseScriptReply('OK')],
    ];
    for (const [what, parse] of bad) expect(refused(parse), what).toBe(true);
  });
});
